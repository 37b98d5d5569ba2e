"""Who may write the library: one ingest at a time, in this process and across processes.

A thread lock orders this process's writers; a lock file beside the library (through
``filelock``, on every OS) keeps out another process's ingest (another bot instance, a
command-line ingest), which is refused at once rather than waited for.

Only the process that takes a lock holds it. A lock file's lock belongs to its open file, which
a forked child shares: an ingest's analysis workers, forked while it holds the lock, would keep
it after their parent was killed, and refuse the next ingest. So a forked child closes its
copies at once (``os.register_at_fork``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from .errors import INGEST_RUNNING, READ_ONLY, IngestRunning, ReadOnlyLibrary

_held: dict[int, tuple[int, int, int]] = {}
"""The lock files this process holds: (descriptor, device, inode) by the lock's ``id``, for a
forked child to let go of."""


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold the library's ingest lock, shared with other processes (another bot instance, a
    command-line ingest); refuse at once (``IngestRunning``) if one of them holds it."""
    with holding(path.with_name(path.name + ".lock"), IngestRunning(INGEST_RUNNING)):
        yield


@contextmanager
def holding(lock_path: Path, refused: Exception) -> Iterator[None]:
    """Hold the lock file ``lock_path`` (in this process only: not in its forked children), or
    raise ``refused`` at once when another holds it."""
    lock = FileLock(lock_path, timeout=0, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        raise refused from None
    fd = lock_descriptor(lock)
    if fd is not None:
        found = os.fstat(fd)
        _held[id(lock)] = (fd, found.st_dev, found.st_ino)
    try:
        yield
    finally:
        _held.pop(id(lock), None)
        lock.release()


def lock_descriptor(lock: FileLock) -> int | None:
    """The descriptor of the open lock file ``lock`` holds (filelock keeps it in its state)."""
    fd = getattr(getattr(lock, "_context", None), "lock_file_fd", None)
    return fd if isinstance(fd, int) else None


def _let_go_in_child() -> None:
    """In a forked child: close the copies of the held lock files, without unlocking them
    (that would unlock them for the parent too). Only a descriptor that is still the lock
    file's (filelock 4 closes its own copies in a child too; 3.x does not)."""
    for fd, device, inode in _held.values():
        try:
            found = os.fstat(fd)
            if (found.st_dev, found.st_ino) == (device, inode):
                os.close(fd)
        except OSError:
            pass
    _held.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_let_go_in_child)


class WriteLock:
    """The library's write lock: this process's writers in turn, another process's refused."""

    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        """A read-only library: every writer is refused (``ReadOnlyLibrary``)."""
        self._thread_lock = threading.Lock()

    @contextmanager
    def writing(self, wait: bool = True) -> Iterator[None]:
        """Hold this process's write lock, then the ingest lock shared with other processes.
        Raises ``IngestRunning`` when another process ingests; without ``wait``, also (at once)
        when another writer of this process holds the lock; ``ReadOnlyLibrary`` for a library
        that may only be read."""
        if self.read_only:
            raise ReadOnlyLibrary(READ_ONLY.format(path=self.path))
        if not self._thread_lock.acquire(blocking=wait):
            raise IngestRunning(INGEST_RUNNING)
        try:
            with exclusive(self.path):
                yield
        finally:
            self._thread_lock.release()

    @contextmanager
    def local(self) -> Iterator[None]:
        """Hold only this process's write lock (waiting for it)."""
        with self._thread_lock:
            yield
