"""Read the sources of an ingest: walk folders for files, read each file with its format's reader
(``knowledge.readers``), and hand feeds, OPML lists and web pages to ``knowledge.web_reading``.

An ingest reads in two steps: ``scan_paths`` lists the local files to read and reads the web
sources (small, and slow to fetch: before the write lock), then ``FileReading`` reads the local
files one at a time, a batch of articles at a time, while the ingest stores them (a big library
never whole in memory). ``read_paths`` does both at once.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .fetch import is_url
from .readers import WEB_SUFFIXES, read_file_reporting, stream_reader
from .records import Article, FileError, FileSignature, ReadResult, WebMemory
from .sources import SourceError

if TYPE_CHECKING:
    from .fetch import FetchOptions


def read_paths(
    paths: Iterable[str | Path],
    known: dict[str, FileSignature] | None = None,
    web: WebMemory | None = None,
    fetch: FetchOptions | None = None,
) -> ReadResult:
    """Read every article file under ``paths`` (files, or folders walked recursively), except
    those whose signature is the one ``known`` for their path, and every http(s) URL among
    ``paths`` (a feed, an OPML list or an article page), fetched as ``fetch`` says."""
    result = scan_paths(paths, known, web, fetch)
    local = [a for batch in FileReading(result).batches() for a in batch]
    result.articles[:0] = local  # (the files' articles first, as they were given)
    return result


def scan_paths(
    paths: Iterable[str | Path],
    known: dict[str, FileSignature] | None = None,
    web: WebMemory | None = None,
    fetch: FetchOptions | None = None,
) -> ReadResult:
    """``read_paths`` but for the local article files, which are only listed (in
    ``pending``, for ``FileReading``); those unchanged since ``known`` are ``skipped``."""
    result = ReadResult()
    known = known or {}
    paths = list(paths)
    urls = [str(p) for p in paths if is_url(p)]
    web_files: list[tuple[Path, FileSignature, bool]] = []
    for path in iter_files([p for p in paths if not is_url(p)], result.failed):
        try:
            stat = path.stat()
        except OSError as error:
            result.failed.append(FileError(str(path), f"cannot read the file: {error.strerror}"))
            continue
        signature = (stat.st_mtime_ns, stat.st_size)
        if known.get(str(path)) == signature:
            result.skipped.append(str(path))
        elif path.suffix.lower() in WEB_SUFFIXES:
            web_files.append((path, signature, _settles(stat.st_mtime_ns)))
        else:
            result.pending.append((str(path), signature, _settles(stat.st_mtime_ns)))
    if urls or web_files:
        from .web_reading import read_web  # feedparser is loaded only when a feed is read

        read_web(urls, web_files, web or WebMemory(), fetch, result)
    return result


class FileReading:
    """Reads the ``pending`` files of a scan, one at a time: ``batches`` yields their
    articles, a batch at a time (a file of JSON lines in many), and records in the scan's
    result the files read (``files``, ``settled``) and those that failed (``failed``).

    A file that fails after some of its batches (cut short while it was read) is a failed
    file (so a sync keeps its stored articles) whose articles read so far count as read.
    """

    def __init__(self, result: ReadResult) -> None:
        self.result = result
        self.total = sum(size for _, (_, size), _ in result.pending)
        """Bytes of the files to read."""
        self.done = 0
        """Bytes of them read so far."""

    def batches(self) -> Iterator[list[Article]]:
        result = self.result
        for name, signature, settles in result.pending:
            path = Path(name)
            problems: list[FileError] = []
            before = self.done
            try:
                stream = stream_reader(path)
                if stream is None:
                    articles, problems = read_file_reporting(path)
                    self.done += signature[1]
                    yield articles
                else:
                    for read, position in stream():
                        problems += read.problems
                        self.done = before + position
                        yield read.articles
            except SourceError as error:
                result.failed.append(FileError(name, str(error)))
                continue
            finally:
                self.done = before + signature[1]
            result.failed.extend(problems)
            result.files[name] = signature
            # A file with bad records is read again next time, so that they are reported again.
            if not problems and settles:
                result.settled[name] = signature


def iter_files(paths: Iterable[str | Path], failed: list[FileError]) -> Iterator[Path]:
    """The files under ``paths``, each once, in a stable order. Missing paths and folders that
    cannot be listed are added to ``failed`` (so that a sync keeps their articles)."""
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw).expanduser().resolve()
        if path.is_dir():
            files = _walk(path, failed)
        elif path.is_file():
            files = [path]
        else:
            failed.append(FileError(str(path), "no such file or folder"))
            continue
        for file in files:
            if file not in seen:
                seen.add(file)
                yield file


def _walk(root: Path, failed: list[FileError]) -> list[Path]:
    def unreadable(error: OSError) -> None:
        failed.append(FileError(str(error.filename), f"cannot list the folder: {error.strerror}"))

    files: list[Path] = []
    for folder, subfolders, names in os.walk(root, onerror=unreadable, followlinks=True):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith((".", "_")))
        files.extend(Path(folder, n) for n in names if not n.startswith((".", "_")))
    return sorted(files)


_SETTLED_NS = 2_000_000_000


def _settles(mtime_ns: int) -> bool:
    """Whether a file's signature can be trusted: not one written just now, whose time may not
    change with its next write (coarse clock)."""
    return time.time_ns() - mtime_ns > _SETTLED_NS
