"""The library's errors: each one's message says what the user can do about it."""

from __future__ import annotations


class KnowledgeError(Exception):
    """A library problem that the user can act on; the message says what."""


class LibraryBusy(KnowledgeError):
    """The library is being updated; try again in a moment."""


class IngestRunning(LibraryBusy):
    """Another ingest of this library is running; try again when it is done."""


class ReadOnlyLibrary(KnowledgeError):
    """The library may only be read here (its file or folder is read-only): questions are
    answered, but nothing can be stored."""


class DiskFull(KnowledgeError):
    """The disk is full: what was being stored is not, and the library is as it was."""


class DamagedLibrary(KnowledgeError):
    """The library's database is damaged: re-ingest the articles into a new file."""


class SchemaError(Exception):
    """The database was made by another version of articlebot."""


INGEST_RUNNING = "another ingest of this library is running; try again when it is done"
"""The message of ``IngestRunning``."""

NEEDS_UPGRADE = (
    "the library at {path} is read-only here and was made by an older articlebot: open it once "
    "where it can be written (e.g. `articlebot stats --db {path}`) to upgrade it"
)
READ_ONLY = (
    "the library at {path} is read-only here (its file or folder cannot be written): questions "
    "are answered, but nothing can be stored; ingest where it is writable"
)
DISK_FULL = (
    "disk full: what was being written was not stored, and the library keeps everything it "
    "held before (an ingest is stored whole or not at all); free some space, then run it again"
)
DAMAGED = (
    "the library's database at {path} is damaged ({detail}): its answers cannot be trusted. "
    "Recover by ingesting your articles into a new file (`articlebot ingest SOURCES --db NEW.db`), "
    "then use that file"
)
