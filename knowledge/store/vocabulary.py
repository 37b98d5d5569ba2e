"""The vocabulary: each term's id (ids are 0, 1, 2, ... in the order terms were first seen)."""

from __future__ import annotations

import sqlite_utils


def vocabulary(db: sqlite_utils.Database) -> list[str]:
    """The stored terms, in id order (ids are 0, 1, 2, ...)."""
    return [term for (term,) in db.execute("SELECT term FROM terms ORDER BY id")]


def add_terms(db: sqlite_utils.Database, terms: list[tuple[int, str]]) -> None:
    db.conn.executemany("INSERT INTO terms (id, term) VALUES (?, ?)", terms)


def replace_vocabulary(db: sqlite_utils.Database, terms: list[tuple[int, str]]) -> None:
    db.execute("DELETE FROM terms")
    add_terms(db, terms)
