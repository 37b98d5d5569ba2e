"""Read the sources of an ingest: walk folders for files, read each file with its format's reader
(``knowledge.readers``), and hand feeds, OPML lists and web pages to ``knowledge.web_reading``.

An ingest reads in two steps: ``scan_paths`` lists the local files to read and reads the web
sources (small, and slow to fetch: before the write lock), then ``FileReading`` reads the local
files one at a time, a batch of articles at a time, while the ingest stores them (a big library
never whole in memory). ``read_paths`` does both at once.
"""

from __future__ import annotations

import errno
import os
import stat
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
    for path in iter_files([p for p in paths if not is_url(p)], result.failed, result.ignored):
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


def iter_files(
    paths: Iterable[str | Path],
    failed: list[FileError],
    ignored: list[FileError] | None = None,
) -> Iterator[Path]:
    """The regular files under ``paths``, each once, in a stable order. Missing paths, folders
    that cannot be listed, and what is no regular file (a named pipe, a device, a socket, a
    broken link) are added to ``failed`` (so that a sync keeps their articles); a folder seen
    before through a symbolic link (a loop) and the project files of a folder (README,
    LICENSE...) are added to ``ignored``."""
    walk = _Walk(failed, [] if ignored is None else ignored)
    for raw in paths:
        try:
            path = Path(raw).expanduser().resolve()
        except (OSError, RuntimeError):  # (RuntimeError: a symbolic link loop, Python < 3.13)
            failed.append(FileError(str(raw), "a symbolic link loop: not read"))
            continue
        try:
            info = path.stat()
        except OSError as error:
            reason = "a symbolic link loop" if error.errno == errno.ELOOP else None
            failed.append(FileError(str(path), reason or "no such file or folder"))
            continue
        if stat.S_ISDIR(info.st_mode):
            yield from walk.folder(path, info)
        else:
            yield from walk.files([(path, info)], given=True)


class _Walk:
    """Walks folders: each real folder once (a symbolic link to one seen before, a loop
    among them, is reported, not followed), each real file once, regular files only."""

    def __init__(self, failed: list[FileError], ignored: list[FileError]) -> None:
        self.failed = failed
        self.ignored = ignored
        self.folders: dict[tuple[int, int], Path] = {}
        self.seen: set[tuple[int, int]] = set()

    def folder(self, root: Path, info: os.stat_result) -> list[Path]:
        found: list[tuple[Path, os.stat_result]] = []
        pending = [(root, info)]
        while pending:
            folder, folder_info = pending.pop()
            identity = (folder_info.st_dev, folder_info.st_ino)
            first = self.folders.setdefault(identity, folder)
            if first != folder:
                reason = f"a link to a folder read already ({first!s}): not read again"
                self.ignored.append(FileError(str(folder), reason))
                continue
            files, folders = self._list(folder)
            found += files
            pending += reversed(folders)
        return list(self.files(sorted(found), given=False))

    def _list(
        self, folder: Path
    ) -> tuple[list[tuple[Path, os.stat_result]], list[tuple[Path, os.stat_result]]]:
        """The files and the subfolders of ``folder`` (hidden ones left out), by name."""
        try:
            names = sorted(os.listdir(folder))
        except OSError as error:
            self.failed.append(FileError(str(folder), _cannot_list(error)))
            return [], []
        files: list[tuple[Path, os.stat_result]] = []
        folders: list[tuple[Path, os.stat_result]] = []
        for name in names:
            if name.startswith((".", "_")):
                continue
            path = folder / name
            try:
                info = path.stat()  # (through links: a link to a file is that file)
            except OSError as error:
                reason = "a broken link" if path.is_symlink() else _cannot_read(error)
                self.failed.append(FileError(str(path), reason))
                continue
            (folders if stat.S_ISDIR(info.st_mode) else files).append((path, info))
        return files, folders

    def files(self, found: Iterable[tuple[Path, os.stat_result]], given: bool) -> Iterator[Path]:
        for path, info in found:
            kind = _not_regular(info.st_mode)
            if kind:
                reason = f"not a regular file ({kind}): not read"
                self.failed.append(FileError(str(path), reason))
                continue
            identity = (info.st_dev, info.st_ino)
            if identity in self.seen:
                continue
            self.seen.add(identity)
            if not given and is_project_file(path.name):
                self.ignored.append(FileError(str(path), "not an article (a project file)"))
                continue
            yield path


PROJECT_FILES = frozenset(
    {"readme", "license", "licence", "copying", "changelog", "contributing", "code_of_conduct"}
)
"""Names (any case, with or without an ending) of the files that come with a folder of
articles (a repository's, a data set's) and are no article: skipped in folders (and said),
read when named on their own."""
PROJECT_FILES_UPPER = frozenset(
    {"AUTHORS", "CONTRIBUTORS", "CHANGES", "COPYRIGHT", "HISTORY", "NOTICE", "SECURITY", "TODO"}
)
"""Names that are project files only in capitals (``NOTICE``, ``AUTHORS.md``): a ``history.md``
may well be an article."""


def is_project_file(name: str) -> bool:
    """Whether a file named ``name`` is a README, a LICENSE and the like: ``README``,
    ``readme.md``, ``LICENSE.txt``, ``CHANGELOG.md``, ``COPYING.LESSER``, ``AUTHORS``..."""
    stem = name.split(".", 1)[0].replace("-", "_")
    return stem.lower() in PROJECT_FILES or stem in PROJECT_FILES_UPPER


def _not_regular(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file"


def _cannot_list(error: OSError) -> str:
    return f"cannot list the folder: {error.strerror or error}"


def _cannot_read(error: OSError) -> str:
    return f"cannot read the file: {error.strerror or error}"


_SETTLED_NS = 2_000_000_000


def _settles(mtime_ns: int) -> bool:
    """Whether a file's signature can be trusted: not one written just now, whose time may not
    change with its next write (coarse clock)."""
    return time.time_ns() - mtime_ns > _SETTLED_NS
