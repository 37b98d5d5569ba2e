"""Whether the library's database can be trusted: a quick check of its pages after an unclean
shutdown (or when asked), and which storage errors mean a damaged database or a full disk.

An unclean shutdown is known without writing anything: SQLite deletes the WAL when the last
connection closes cleanly, so a WAL with content that no running process is using (none holds
the shared lock on the ``.users`` file beside the library) was left by a process that died.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
from pathlib import Path
from typing import IO

import sqlite_utils

from ..errors import DAMAGED, DISK_FULL, DamagedLibrary, DiskFull, KnowledgeError

try:
    import fcntl
except ImportError:  # (Windows: no check after an unclean shutdown; `stats --check` still)
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)


def join(path: Path) -> tuple[IO[bytes] | None, bool]:
    """Join the processes using the library at ``path``: returns the file to keep open while
    it is used (its shared lock says so to the others; None where that cannot be known), and
    whether the last one to use it stopped uncleanly (then ``check``)."""
    if fcntl is None:
        return None, False
    try:
        users = open(path.with_name(path.name + ".users"), "ab")  # noqa: SIM115 (kept open)
    except OSError:
        return None, False
    wal = path.with_name(path.name + "-wal")
    # Turning the probe's exclusive lock into the shared one is not atomic (flock(2)): another
    # process joining in between would find itself alone with a live WAL and check a library
    # in use. Joining is therefore one at a time, under a record lock on the same file (fcntl
    # record locks and flock locks do not interact on Linux and the BSDs).
    try:
        fcntl.lockf(users, fcntl.LOCK_EX)
    except OSError:  # (no record locks here, e.g. some network file systems: cannot be known)
        users.close()
        return None, False
    try:
        try:
            fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
            alone = True
        except OSError:
            alone = False
        unclean = alone and wal.exists() and wal.stat().st_size > 0
        fcntl.flock(users, fcntl.LOCK_SH)
    finally:
        fcntl.lockf(users, fcntl.LOCK_UN)
    return users, unclean


def check(db: sqlite_utils.Database, path: Path) -> None:
    """Check the database's pages (``PRAGMA quick_check``: seconds per 100k passages); raise
    ``DamagedLibrary`` with what to do if they are damaged."""
    try:
        problems = [" ".join(row[0].split()) for row in db.execute("PRAGMA quick_check(5)")]
    except sqlite3.DatabaseError as error:
        problems = [str(error)]
    if problems != ["ok"]:
        raise DamagedLibrary(DAMAGED.format(path=path, detail="; ".join(problems)[:300]))


def explain(error: BaseException, path: Path | str = "") -> KnowledgeError | None:
    """The library error that a storage error means (a full disk, a damaged database), or
    None for any other error."""
    text = str(error).lower()
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return DiskFull(DISK_FULL)
    if isinstance(error, sqlite3.OperationalError) and "database or disk is full" in text:
        return DiskFull(DISK_FULL)
    # (not "file is not a database": that is most often a file that never was one)
    if isinstance(error, sqlite3.DatabaseError) and ("malformed" in text or "corrupt" in text):
        return DamagedLibrary(DAMAGED.format(path=path or "this path", detail=str(error)))
    return None


def leave(users: IO[bytes] | None) -> None:
    """Stop using the library (closing the file releases the shared lock)."""
    if users is not None:
        users.close()
