"""Opening the library's database (migrated on the way, or read-only where it cannot be written),
its transactions, and its ``meta``."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils
from sqlite_utils.migrations import Migrations

from ..errors import NEEDS_UPGRADE, ReadOnlyLibrary, SchemaError
from . import schema


def connect(
    path: str | Path, *, timeout: float = 30.0, read_only: bool | None = None
) -> sqlite_utils.Database:
    """Open (creating if needed) the library database at ``path`` in WAL mode, applying the
    migrations it lacks. Raises ``SchemaError`` for a database articlebot did not make, or a
    newer articlebot did.

    A library this process may not write (``read_only``; by default, when the file or its
    folder is not writable) is opened read-only and nothing is written: one that needs
    migrating raises ``ReadOnlyLibrary`` (a writable run upgrades it)."""
    path = Path(path)
    if read_only is None:
        read_only = is_read_only(path)
    if read_only:
        conn = sqlite3.connect(
            _read_only_uri(path), uri=True, timeout=timeout, check_same_thread=False
        )
    else:
        conn = sqlite3.connect(str(path), timeout=timeout, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA foreign_keys = ON")
    newer = schema.unknown_migrations(db) if schema.is_library(db) else ["?"]
    if newer:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        db.close()
        raise SchemaError(
            f"{path} holds a library of another articlebot version (schema {version}, "
            f"migrations {', '.join(newer)}): open it with that version, or ingest your "
            "articles into a new file (--db)"
        )
    if read_only:
        if schema.MIGRATIONS.pending(db):
            db.close()
            raise ReadOnlyLibrary(NEEDS_UPGRADE.format(path=path))
        return db
    if db.journal_mode != "wal":
        db.enable_wal()
    # In WAL mode NORMAL cannot corrupt the database; a power cut may only lose the last
    # transactions, which the next ingest of the sources restores. It spares a disk flush per
    # commit (a channel post, a vote), which FULL makes.
    db.execute("PRAGMA synchronous = NORMAL")
    apply_migrations(db, schema.MIGRATIONS)
    return db


def writable(path: Path) -> bool:
    """Whether this process may write ``path`` (a file or a folder): not on a read-only file
    system, nor without the permission (root has it everywhere but on the former)."""
    return os.access(path, os.W_OK)


def is_read_only(path: Path) -> bool:
    """Whether the library at ``path`` exists and may only be read: the file is read-only, or
    its folder is (SQLite writes beside it: the WAL and its index), as with a library baked
    into a container image."""
    return path.exists() and not (writable(path) and writable(path.parent.resolve()))


def _read_only_uri(path: Path) -> str:
    """The URI that opens ``path`` read-only. Immutable (no locks, no WAL index to create) in
    a folder where SQLite could not create them, unless a WAL was left there: its committed
    transactions must be read, from its existing index."""
    uri = "file:" + urllib.parse.quote(str(path.resolve())) + "?mode=ro"
    folder_writable = writable(path.parent.resolve())
    wal = path.with_name(path.name + "-wal")
    if not folder_writable and not (wal.exists() and wal.stat().st_size):
        uri += "&immutable=1"
    return uri


def apply_migrations(db: sqlite_utils.Database, migrations: Migrations) -> None:
    """Apply those of ``migrations`` that ``db`` lacks, all in one transaction that holds the
    write lock from its start: two processes opening one library migrate it once, in turn."""
    if migrations.pending(db):
        with write_transaction(db):
            migrations.apply(db)


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """An ingest's transaction, holding the write lock from its start (BEGIN IMMEDIATE).

    A deferred one reads first (the stored ids) and writes once the first chunk is analysed;
    had another connection written in between (a question logged meanwhile), SQLite would
    refuse its first write ("database is locked") and the whole ingest would fail.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        # (a COMMIT that failed too, on a full disk: left open, the transaction would keep the
        # write lock, and every other writer would wait on it until a restart)
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise


def unless_busy(db: sqlite_utils.Database, write: Callable[[sqlite_utils.Database], None]) -> bool:
    """Make ``write`` (housekeeping) unless another connection holds the write lock now;
    False then: it never waits (a long ingest may hold the lock for minutes)."""
    timeout = db.execute("PRAGMA busy_timeout").fetchone()[0]
    db.execute("PRAGMA busy_timeout = 0")
    try:
        write(db)
        return True
    except sqlite3.OperationalError as error:
        if "locked" not in str(error) and "busy" not in str(error):
            raise
        return False
    finally:
        db.execute(f"PRAGMA busy_timeout = {int(timeout)}")


def now(precise: bool = False) -> str:
    """The time in UTC, ISO 8601, to the second (or the microsecond: to order writes)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(
        timespec="microseconds" if precise else "seconds"
    )


def library_id(db: sqlite_utils.Database) -> str:
    """The random id given to the library when it was created."""
    return get_meta(db, "library", "") or ""


def get_meta(db: sqlite_utils.Database, key: str, default: str | None = None) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return default if row is None else row[0]


def set_meta(db: sqlite_utils.Database, **values: object) -> None:
    db.table("meta").upsert_all([{"key": k, "value": str(v)} for k, v in values.items()], pk="key")
