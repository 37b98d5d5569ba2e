"""Worker processes that end with their parent: a pool's worker whose parent was killed
(``kill -9``) exits at once, instead of living on busy (a batch of embeddings takes a minute
on a loaded machine), or waiting for work that will never come (a forked worker holds the
write end of its own task queue, so it never sees its end)."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

__all__ = ["PARENT_CHECK_SECONDS", "follow_parent"]

PARENT_CHECK_SECONDS = 0.5
"""How often a worker checks that its parent is alive, where the system cannot tell it."""

_PR_SET_PDEATHSIG = 1


def follow_parent(parent: int) -> None:
    """In a worker process of ``parent`` (a pool's initializer): end as soon as it is gone.

    On Linux the kernel kills the worker when its parent dies (``PR_SET_PDEATHSIG``), even in
    the middle of a computation that holds the interpreter. Elsewhere a thread polls
    ``os.getppid()``, which changes when the parent dies and the worker is adopted. (The
    Linux signal comes when the parent's *thread* that started the worker ends: a pool is
    made, used and shut down by one thread, so that is the parent's end too.)"""
    if sys.platform == "linux":
        _die_with_parent()
    if os.getppid() != parent:  # it died before the worker got here
        os._exit(1)
    watch = threading.Thread(target=_watch, args=(parent,), name="follow-parent", daemon=True)
    watch.start()


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no prctl here: the thread below still watches
        pass


def _watch(parent: int) -> None:
    while True:
        time.sleep(PARENT_CHECK_SECONDS)
        if os.getppid() != parent:
            # os._exit: no clean-up to run, and nothing of the parent's (its locks, its
            # database) to flush from a copy of its memory.
            os._exit(1)
