"""Read the sources of an ingest into one ``ReadResult``: walk folders for files, read each
file with its format's reader (``knowledge.readers``), and hand feeds, OPML lists and web pages
to ``knowledge.web_reading``."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .fetch import is_url
from .readers import WEB_SUFFIXES, read_file_reporting
from .records import FileError, FileSignature, ReadResult, WebMemory
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
            continue
        if path.suffix.lower() in WEB_SUFFIXES:
            web_files.append((path, signature, _settles(stat.st_mtime_ns)))
            continue
        try:
            articles, problems = read_file_reporting(path)
        except SourceError as error:
            result.failed.append(FileError(str(path), str(error)))
            continue
        result.articles.extend(articles)
        result.failed.extend(problems)
        result.files[str(path)] = signature
        # A file with bad records is read again next time, so that they are reported again.
        if not problems and _settles(stat.st_mtime_ns):
            result.settled[str(path)] = signature
    if urls or web_files:
        from .web_reading import read_web  # feedparser is loaded only when a feed is read

        read_web(urls, web_files, web or WebMemory(), fetch, result)
    return result


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
