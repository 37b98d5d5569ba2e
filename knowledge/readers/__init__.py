"""Source readers: one module per file format, each registering the file name endings it reads.

A reader is a function that takes a ``SourceFile`` (the file's path, its bytes as they are on
disk, and its time) and returns a ``FileRead``: the file's articles, and the records of it that
could not be used. It raises ``SourceError`` when the file cannot become articles; any other
exception it raises is reported the same way, as that file's failure, never the whole ingest's.

Adding a format is one new module in this folder plus its test, for example ``docx.py``::

    \"\"\"Word documents (.docx): their paragraphs become an article.\"\"\"

    from . import FileRead, SourceFile, register


    @register(".docx")
    def read_docx(file: SourceFile) -> FileRead:
        paragraphs = ...  # parse file.data, the document's bytes
        return FileRead([file.article({}, None, paragraphs)])

and ``tests/test_readers_docx.py``. The package imports every module in its folder when it is
first asked for a reader, so nothing else needs to know the new module. A text format decodes
``file.data`` with ``knowledge.sources.decode`` (UTF-8, BOMs, UTF-16, detected encodings).

Feeds and OPML lists (``WEB_SUFFIXES``) are no format of this package: their items and feeds may
need fetching, so ``knowledge.reading`` hands them to ``knowledge.web_reading``.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import logging
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..records import Article, FileError
from ..sources import SourceError, build_article, error_text

__all__ = [
    "WEB_SUFFIXES",
    "FileRead",
    "Reader",
    "SourceFile",
    "read_file",
    "read_file_reporting",
    "register",
    "suffixes",
]

logger = logging.getLogger(__name__)

WEB_SUFFIXES = frozenset({".rss", ".atom", ".xml", ".opml"})
"""Feeds and OPML lists: read with the web sources (``knowledge.web_reading``), which fetch."""


@dataclass(frozen=True)
class SourceFile:
    """A file to read: its path, its bytes and its modification time (UTC)."""

    path: Path
    data: bytes
    modified: dt.datetime

    def article(
        self, meta: dict, title: str | None, paragraphs: list[str], key: str | None = None
    ) -> Article:
        """An article of this file (keyed by its path unless ``key``), dated by ``meta``, else
        by the file's time. Raises ``SourceError`` when it has no text or a bad date."""
        return build_article(
            meta,
            title,
            paragraphs,
            key=key or str(self.path),
            path=str(self.path),
            fallback_date=self.modified.isoformat(timespec="seconds"),
        )


@dataclass(frozen=True)
class FileRead:
    """What a reader found in a file: its articles, and its records that could not be used
    (each a ``FileError`` named ``path#n``)."""

    articles: list[Article]
    problems: list[FileError] = field(default_factory=list)


Reader = Callable[[SourceFile], FileRead]

_READERS: dict[str, Reader] = {}


def register(*endings: str) -> Callable[[Reader], Reader]:
    """A decorator making a function the reader of files whose names end with ``endings``
    (lower case, with the dot: ``".md"``)."""

    def add(reader: Reader) -> Reader:
        for ending in endings:
            if ending in _READERS or ending in WEB_SUFFIXES:
                raise ValueError(f"two readers for {ending} files")
        _READERS.update(dict.fromkeys(endings, reader))
        return reader

    return add


@functools.cache
def _readers() -> dict[str, Reader]:
    """The registry, once every module of this package has been imported (and so registered)."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return _READERS


def suffixes() -> frozenset[str]:
    """The file name endings the readers read."""
    return frozenset(_readers())


def read_file(path: Path) -> list[Article]:
    """The articles in one file. Raises ``SourceError`` when the file is unusable."""
    return read_file_reporting(path)[0]


def read_file_reporting(path: Path) -> tuple[list[Article], list[FileError]]:
    """The articles in one file and its bad records (JSON files may hold good and bad ones).
    Raises ``SourceError`` when the file is unusable; never anything else."""
    suffix = path.suffix.lower()
    if suffix in WEB_SUFFIXES:
        raise SourceError("a feed or an OPML list: read it with read_paths, which can fetch")
    reader = _readers().get(suffix)
    if reader is None:
        raise SourceError(
            f"unknown file type '{suffix or path.name}' (expected one of: "
            f"{', '.join(sorted(suffixes() | WEB_SUFFIXES))})"
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(f"cannot read the file: {error.strerror or error}") from error
    try:
        modified = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc)
        read = reader(SourceFile(path, data, modified))
    except SourceError:
        raise
    except Exception as error:
        # a file that vanished meanwhile, nesting that defeats a parser, a reader's bug ...
        if not isinstance(error, (OSError, ValueError, RecursionError, MemoryError)):
            logger.warning("%s: the %s reader failed", path, suffix, exc_info=True)
        raise SourceError(f"unreadable: {error_text(error) or type(error).__name__}") from error
    if not read.articles and not read.problems:
        raise SourceError("no articles in the file")
    return read.articles, read.problems
