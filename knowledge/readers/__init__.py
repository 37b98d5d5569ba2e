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

A format whose files can be big collections of records (JSON lines) also registers a stream
reader (``register_stream``): it gets a ``SourceLines`` and yields its articles a batch at a
time, so that an ingest holds one batch of a file, not the whole file, in memory.

Feeds and OPML lists (``WEB_SUFFIXES``) are no format of this package: their items and feeds may
need fetching, so ``knowledge.reading`` hands them to ``knowledge.web_reading``.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import functools
import importlib
import logging
import os
import pkgutil
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from ..records import Article, FileError
from ..sources import SourceError, build_article, error_text

__all__ = [
    "MAX_COLLECTION_BYTES",
    "MAX_FILE_BYTES",
    "WEB_SUFFIXES",
    "FileRead",
    "Reader",
    "SourceFile",
    "SourceLines",
    "StreamReader",
    "read_file",
    "read_file_reporting",
    "register",
    "register_stream",
    "stream_reader",
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
        self,
        meta: dict,
        title: str | None,
        paragraphs: list[str],
        key: str | None = None,
        notes: tuple[str, ...] = (),
    ) -> Article:
        """An article of this file (keyed by its path unless ``key``), dated by ``meta``
        (undated without a date there: never by the file's time), with ``notes`` to report.
        Raises ``SourceError`` when it has no text or a bad date."""
        return _file_article(self.path, meta, title, paragraphs, key, notes)


def _file_article(
    path: Path,
    meta: dict,
    title: str | None,
    paragraphs: list[str],
    key: str | None,
    notes: tuple[str, ...],
) -> Article:
    return build_article(meta, title, paragraphs, key=key or str(path), path=str(path), notes=notes)


class SourceLines:
    """A UTF-8 text file to read a line at a time (split on ``\\n`` only), and how far it has
    been read (``position``, in bytes: an ingest's progress)."""

    def __init__(self, path: Path, modified: dt.datetime) -> None:
        self.path = path
        self.modified = modified
        self.position = 0

    def article(
        self,
        meta: dict,
        title: str | None,
        paragraphs: list[str],
        key: str | None = None,
        notes: tuple[str, ...] = (),
    ) -> Article:
        """As ``SourceFile.article``."""
        return _file_article(self.path, meta, title, paragraphs, key, notes)

    def lines(self) -> Iterator[tuple[int, str | SourceError]]:
        """(line number from 1, text) of each line; instead of the text, the ``SourceError`` to
        report for a line that is not UTF-8 (that record's problem: the file was found to be
        UTF-8 when it began) or longer than ``MAX_FILE_BYTES`` (skipped unread)."""
        with _open_regular(self.path) as data:
            for number, raw in enumerate(_bounded_lines(data, MAX_FILE_BYTES), 1):
                if raw is None:
                    self.position = data.tell()
                    yield number, SourceError(too_big(None, MAX_FILE_BYTES, f"line {number}"))
                    continue
                if number == 1 and raw.startswith(codecs.BOM_UTF8):
                    raw = raw[len(codecs.BOM_UTF8) :]
                self.position += len(raw)
                try:
                    yield number, raw.decode("utf-8")
                except UnicodeDecodeError:
                    yield number, SourceError(f"undecodable bytes for utf-8 on line {number}")


def _bounded_lines(data: BinaryIO, limit: int) -> Iterator[bytes | None]:
    """The lines of ``data`` (with their newline), None for each longer than ``limit``, read
    a bounded piece at a time and dropped: a line never costs more memory than ``limit``."""
    while True:
        line = data.readline(limit + 1)
        if not line:
            return
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        while line and not line.endswith(b"\n"):  # skip the rest of the line
            line = data.readline(1 << 20)
        yield None


MAX_FILE_BYTES = 20 * 1024 * 1024
"""The biggest file read as one article (.md, .txt, .html), and the longest record of a JSON
lines file: 20 MB is some three million words, twenty times the longest novels and a thousand
times a long news article, so nothing real is refused, while what it bounds (memory, and the
analysis of a text that is one line: linear, about a second a MB) stays small."""
MAX_COLLECTION_BYTES = 200 * 1024 * 1024
"""The biggest JSON file read (whole: JSON lines are read a line at a time, without a limit
on the file): a dump of some 50,000 articles. Bigger collections are JSON lines."""


@contextlib.contextmanager
def _open_regular(path: Path) -> Iterator[BinaryIO]:
    """``path`` opened for reading, when it is a regular file: never blocks on a named pipe
    put in its place since it was listed, nor reads a device. Raises ``SourceError``."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise SourceError(f"cannot read the file: {error.strerror or error}") from error
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise SourceError("not a regular file: not read")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        data = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with data:
        yield data


def read_bytes(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the regular file ``path``. Raises ``SourceError`` when it is bigger than
    ``limit``, is no regular file, or cannot be read."""
    with _open_regular(path) as data:
        size = os.fstat(data.fileno()).st_size
        if size > limit:
            raise SourceError(too_big(size, limit))
        content = data.read(limit + 1)  # (a file that grows meanwhile)
    if len(content) > limit:
        raise SourceError(too_big(len(content), limit))
    return content


def too_big(size: int | None, limit: int, what: str = "the file") -> str:
    """The report of a file (or line) of ``size`` bytes (None: more than ``limit``)."""
    much = f"over {limit / 2**20:.0f} MB" if size is None else f"{size / 2**20:.1f} MB"
    return f"too big: {what} is {much} (the limit is {limit / 2**20:.0f} MB): not read"


@dataclass(frozen=True)
class FileRead:
    """What a reader found in a file: its articles, and its records that could not be used
    (each a ``FileError`` named ``path#n``)."""

    articles: list[Article]
    problems: list[FileError] = field(default_factory=list)


Reader = Callable[[SourceFile], FileRead]
StreamReader = Callable[[SourceLines], Iterator[FileRead]]
"""Yields a file's articles and bad records a batch at a time; raises ``SourceError`` when the
file has no article at all (after the batches of its bad records)."""

_READERS: dict[str, Reader] = {}
_LIMITS: dict[str, int] = {}
_STREAMS: dict[str, StreamReader] = {}
STREAM_PROBE = 1 << 16
"""Bytes looked at before a file is streamed: a file that is not UTF-8 there is read whole
(``decode`` then detects its encoding)."""


def register(*endings: str, limit: int = MAX_FILE_BYTES) -> Callable[[Reader], Reader]:
    """A decorator making a function the reader of files whose names end with ``endings``
    (lower case, with the dot: ``".md"``), files of at most ``limit`` bytes (a bigger one is
    reported and not read)."""

    def add(reader: Reader) -> Reader:
        for ending in endings:
            if ending in _READERS or ending in WEB_SUFFIXES:
                raise ValueError(f"two readers for {ending} files")
        _READERS.update(dict.fromkeys(endings, reader))
        _LIMITS.update(dict.fromkeys(endings, limit))
        return reader

    return add


def register_stream(*endings: str) -> Callable[[StreamReader], StreamReader]:
    """A decorator making a function the stream reader of files whose names end with
    ``endings``, which also have a (whole-file) reader."""

    def add(reader: StreamReader) -> StreamReader:
        _STREAMS.update(dict.fromkeys(endings, reader))
        return reader

    return add


def stream_reader(path: Path) -> Callable[[], Iterator[tuple[FileRead, int]]] | None:
    """A reading of ``path`` a batch at a time (each with how many bytes of the file are read
    once it is), when its format has a stream reader and the
    file starts as UTF-8 text; None otherwise (then ``read_file_reporting`` reads it whole).
    The reading raises ``SourceError`` when the file is unusable (maybe after some batches:
    a file cut short while it was read); never anything else."""
    suffix = path.suffix.lower()
    _readers()
    reader = _STREAMS.get(suffix)
    if reader is None or suffix not in _READERS:
        return None
    try:
        with _open_regular(path) as data:
            head = data.read(STREAM_PROBE)
        modified = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc)
    except (OSError, SourceError):
        return None  # (read whole, which reports it)
    if b"\x00" in head[:8192] or head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return None

    def read() -> Iterator[tuple[FileRead, int]]:
        lines = SourceLines(path, modified)
        try:
            for batch in reader(lines):
                yield batch, lines.position
        except SourceError:
            raise
        except OSError as error:
            raise SourceError(f"cannot read the file: {error.strerror or error}") from error
        except Exception as error:
            raise _reader_failure(path, error) from error

    return read


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
        data = read_bytes(path, _LIMITS.get(suffix, MAX_FILE_BYTES))
    except OSError as error:
        raise SourceError(f"cannot read the file: {error.strerror or error}") from error
    try:
        modified = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc)
        read = reader(SourceFile(path, data, modified))
    except SourceError:
        raise
    except Exception as error:
        raise _reader_failure(path, error) from error
    if not read.articles and not read.problems:
        raise SourceError("no articles in the file")
    return read.articles, read.problems


def _reader_failure(path: Path, error: Exception) -> SourceError:
    # a file that vanished meanwhile, nesting that defeats a parser, a reader's bug ...
    if not isinstance(error, (OSError, ValueError, RecursionError, MemoryError)):
        logger.warning("%s: the %s reader failed", path, path.suffix.lower(), exc_info=True)
    return SourceError(f"unreadable: {error_text(error) or type(error).__name__}")
