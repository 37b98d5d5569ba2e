"""Read the sources of an ingest: files and folders through ``sources``, feeds, OPML lists and
web pages through ``feeds``, into one ``ReadResult``."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from .fetch import is_url
from .records import FileError, FileSignature, ReadResult, WebMemory
from .sources import WEB_SUFFIXES, SourceError, iter_files, read_file_reporting

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
        from .feeds import read_web  # feedparser is loaded only when a feed is read

        read_web(urls, web_files, web or WebMemory(), fetch, result)
    return result


_SETTLED_NS = 2_000_000_000


def _settles(mtime_ns: int) -> bool:
    """Whether a file's signature can be trusted: not one written just now, whose time may not
    change with its next write (coarse clock)."""
    return time.time_ns() - mtime_ns > _SETTLED_NS
