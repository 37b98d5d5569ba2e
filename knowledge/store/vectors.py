"""Passage vectors in SQLite: which passages lack one, storing a batch, reading them back, and
dropping the vectors of another model.

A vector is float16 (768 bytes for 384 dimensions). Measured on multilingual-e5-small vectors
of 120 XQuAD paragraphs against 200 questions: float16 changes a cosine by at most 5e-5 (mean
1e-5) and never the best passage; int8 with a per-vector scale would halve the size but changes
a cosine by up to 1.2e-3 (mean 2e-4) and the best passage of 1 question in 200. float16 is also
the in-memory format (``knowledge.vectors``), so loading is a copy, not a conversion.

``meta.vectors_batch`` counts the batches ever stored (and deletions): a snapshot keyed by it
knows when to look for more.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import sqlite_utils

from .connection import get_meta, set_meta, write_transaction

VECTOR_DTYPE = np.dtype("<f2")
"""How a vector is stored: little-endian float16."""


def model_id(db: sqlite_utils.Database, name: str, *, create: bool = False) -> int | None:
    """The id of model ``name`` in this library (None if it never stored a vector, unless
    ``create``)."""
    row = db.execute("SELECT id FROM vector_models WHERE name = ?", [name]).fetchone()
    if row is not None or not create:
        return None if row is None else int(row[0])
    db.execute("INSERT INTO vector_models (name) VALUES (?)", [name])
    return int(db.execute("SELECT id FROM vector_models WHERE name = ?", [name]).fetchone()[0])


def batch_counter(db: sqlite_utils.Database) -> int:
    """How many batches were ever stored or deleted (the snapshot's key)."""
    return int(get_meta(db, "vectors_batch", "0") or "0")


def count_missing(db: sqlite_utils.Database, model: int | None) -> int:
    """How many current passages have no vector of ``model``."""
    return int(
        db.execute(
            "SELECT count(*) FROM passages p WHERE p.retired = 0 AND NOT EXISTS "
            "(SELECT 1 FROM passage_vectors v WHERE v.passage_id = p.id AND v.model = ?)",
            [model if model is not None else -1],
        ).fetchone()[0]
    )


def count_vectors(db: sqlite_utils.Database, model: int | None) -> int:
    """How many vectors of ``model`` are stored (read from the index alone; a retired
    passage's vector is purged with it moments later)."""
    if model is None:
        return 0
    sql = "SELECT count(*) FROM passage_vectors WHERE model = ?"
    return int(db.execute(sql, [model]).fetchone()[0])


def missing(
    db: sqlite_utils.Database, model: int | None, after: int, limit: int
) -> list[tuple[int, str, str]]:
    """(id, article title, text) of up to ``limit`` current passages with an id above
    ``after`` that have no vector of ``model``, in id order."""
    return db.execute(
        "SELECT p.id, a.title, p.text FROM passages p "
        "JOIN articles a ON a.id = p.article_id "
        "WHERE p.id > ? AND p.retired = 0 AND NOT EXISTS "
        "(SELECT 1 FROM passage_vectors v WHERE v.passage_id = p.id AND v.model = ?) "
        "ORDER BY p.id LIMIT ?",
        [after, model if model is not None else -1, limit],
    ).fetchall()


def store(db: sqlite_utils.Database, model: int, ids: list[int], matrix: np.ndarray) -> int:
    """Store one batch of vectors in its own transaction; returns how many were stored.

    The passages an ingest retired or purged meanwhile (it replaced their article) are skipped:
    their vectors would only be purged, or refer to nothing."""
    with write_transaction(db):
        marks = ",".join("?" * len(ids))
        current = {
            i
            for (i,) in db.execute(
                f"SELECT id FROM passages WHERE retired = 0 AND id IN ({marks})", ids
            )
        }
        batch = batch_counter(db) + 1
        rows = [
            (passage_id, model, batch, vector.astype(VECTOR_DTYPE).tobytes())
            for passage_id, vector in zip(ids, matrix, strict=True)
            if passage_id in current
        ]
        db.conn.executemany("INSERT OR REPLACE INTO passage_vectors VALUES (?, ?, ?, ?)", rows)
        set_meta(db, vectors_batch=batch)
    return len(rows)


def delete_other_models(db: sqlite_utils.Database, model: int, chunk: int = 20_000) -> int:
    """Delete the vectors another model made, a chunk per transaction (a big library's
    vectors must not hold the write lock for long); returns how many were deleted."""
    deleted = 0
    while True:
        with write_transaction(db):
            cursor = db.execute(
                "DELETE FROM passage_vectors WHERE passage_id IN "
                "(SELECT passage_id FROM passage_vectors WHERE model != ? LIMIT ?)",
                [model, chunk],
            )
            if cursor.rowcount:
                set_meta(db, vectors_batch=batch_counter(db) + 1)
        deleted += max(cursor.rowcount, 0)
        if cursor.rowcount < chunk:
            return deleted


def rows_since(
    db: sqlite_utils.Database, model: int, batch: int
) -> Iterator[tuple[int, int, bytes]]:
    """(passage id, batch, vector bytes) of the vectors of ``model`` stored after ``batch``."""
    yield from db.execute(
        "SELECT passage_id, batch, vector FROM passage_vectors WHERE model = ? AND batch > ?",
        [model, batch],
    )


def passage_ids(db: sqlite_utils.Database, model: int) -> np.ndarray:
    """The ids of the passages that have a vector of ``model`` (read from the index alone)."""
    rows = db.execute("SELECT passage_id FROM passage_vectors WHERE model = ?", [model])
    return np.fromiter((i for (i,) in rows), dtype=np.int64)
