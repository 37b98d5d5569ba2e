"""Opening the library's database (migrated on the way), its transactions, and its ``meta``."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils
from sqlite_utils.migrations import Migrations

from ..errors import SchemaError
from . import schema


def connect(path: str | Path, *, timeout: float = 30.0) -> sqlite_utils.Database:
    """Open (creating if needed) the library database at ``path`` in WAL mode, applying the
    migrations it lacks. Raises ``SchemaError`` for a database articlebot did not make, or a
    newer articlebot did."""
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
    if db.journal_mode != "wal":
        db.enable_wal()
    # In WAL mode NORMAL cannot corrupt the database; a power cut may only lose the last
    # transactions, which the next ingest of the sources restores. It spares a disk flush per
    # commit (a channel post, a vote), which FULL makes.
    db.execute("PRAGMA synchronous = NORMAL")
    apply_migrations(db, schema.MIGRATIONS)
    return db


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
