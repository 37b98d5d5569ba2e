"""Why a person's write (a vote, a setting, /forget) was refused, in their language: the
library is busy for a moment, may only be read here, or the disk is full (then nothing can
be saved, but questions are still answered)."""

from __future__ import annotations

from bot.i18n import t
from knowledge import LibraryBusy
from knowledge.errors import DiskFull, ReadOnlyLibrary

__all__ = ["cannot_save"]


def cannot_save(lang: str, error: LibraryBusy) -> str:
    """The note for a refused write: ``read_only_save``, ``disk_full_save`` or ``busy``."""
    if isinstance(error, ReadOnlyLibrary):
        return t(lang, "read_only_save")
    return t(lang, "disk_full_save" if isinstance(error, DiskFull) else "busy")
