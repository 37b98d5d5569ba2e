"""Who may write the library: one ingest at a time, in this process and across processes.

A thread lock orders this process's writers; a lock file beside the library (through
``filelock``, on every OS) keeps out another process's ingest (another bot instance, a
command-line ingest), which is refused at once rather than waited for.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from .errors import INGEST_RUNNING, READ_ONLY, IngestRunning, ReadOnlyLibrary


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold the library's ingest lock, shared with other processes (another bot instance, a
    command-line ingest); refuse at once (``IngestRunning``) if one of them holds it."""
    lock = FileLock(path.with_name(path.name + ".lock"), timeout=0, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        raise IngestRunning(INGEST_RUNNING) from None
    try:
        yield
    finally:
        lock.release()


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
