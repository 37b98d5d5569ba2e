"""The passage vectors that serve searches: a ``PassageVectors`` snapshot loaded from the
library, and refreshed when more are stored, without holding a search up.

A snapshot is keyed by the model's id, the library's count of embedding batches and its
generation, checked at most every ``recheck_seconds``. The first load is made by the search
that asks (unless another thread is making it: that search goes on with BM25 alone; the bot
makes it at start, apart); later ones happen in a thread of their own while the previous
snapshot serves. They read only the
batches stored since, and drop the vectors of purged passages when the generation changed.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import numpy as np
import sqlite_utils

from .store import vectors
from .store.connection import connect, get_meta
from .vectors import PassageVectors

logger = logging.getLogger(__name__)

Key = tuple[int | None, int, str | None]
"""(model id, embedding batches so far, generation) of the database."""


class ServingVectors:
    """The snapshot of one model's stored vectors for the library at ``path``."""

    def __init__(self, path: Path, model: str) -> None:
        self.path = path
        self.model = model
        self.snapshot: PassageVectors | None = None
        self._key: Key | None = None
        self._batch = 0
        """The highest batch the snapshot holds."""
        self._checked_at = -float("inf")
        self._loading = threading.Lock()

    def current(self, db: sqlite_utils.Database, recheck_seconds: float) -> PassageVectors | None:
        """The snapshot; looked at again (and refreshed) at most every ``recheck_seconds``."""
        now = time.monotonic()
        if self._key is not None and now - self._checked_at < recheck_seconds:
            return self.snapshot
        self._checked_at = now
        key = self._read_key(db)
        if key == self._key or not self._loading.acquire(blocking=False):
            return self.snapshot  # (None while another thread makes the first load)
        if self.snapshot is None:  # nothing to serve meanwhile: this search waits for it
            try:
                self._refresh(db, key)
            finally:
                self._loading.release()
        else:
            threading.Thread(
                target=self._refresh_apart, args=(key,), name="vectors-refresh", daemon=True
            ).start()
        return self.snapshot

    def wait(self) -> None:
        """Wait for a refresh in progress (for tests and benchmarks)."""
        with self._loading:
            pass

    def _read_key(self, db: sqlite_utils.Database) -> Key:
        return (
            vectors.model_id(db, self.model),
            vectors.batch_counter(db),
            get_meta(db, "generation"),
        )

    def _refresh_apart(self, key: Key) -> None:
        """A refresh in a thread of its own, with a connection of its own."""
        try:
            db = connect(self.path)
            try:
                self._refresh(db, key)
            finally:
                db.close()
        except Exception:  # the old snapshot serves on; the next check tries again
            logger.exception("could not refresh the passage vectors")
            self._key = None if self.snapshot is None else self._key
        finally:
            self._loading.release()

    def _refresh(self, db: sqlite_utils.Database, key: Key) -> None:
        model, _, generation = key
        old, old_key = self.snapshot, self._key
        if model is None:
            self.snapshot, self._key, self._batch = None, key, 0
            return
        since = self._batch if old is not None and old_key and old_key[0] == model else 0
        ids, matrix, batch = _load(db, model, since)
        if since and old is not None:
            if len(ids):
                kept = ~np.isin(old.ids, ids)  # (a passage embedded twice: the newest counts)
                ids = np.concatenate([old.ids[kept], ids])
                matrix = np.concatenate([old.matrix[kept], matrix])
            else:
                ids, matrix = old.ids, old.matrix
            if old_key is not None and old_key[2] != generation:
                present = np.isin(ids, vectors.passage_ids(db, model))
                ids, matrix = ids[present], matrix[present]
        self.snapshot = PassageVectors(self.model, ids, matrix) if len(ids) else None
        self._key, self._batch = key, max(batch, since)
        logger.debug("passage vectors: %d loaded", len(ids))


def _load(db: sqlite_utils.Database, model: int, since: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(ids, float16 matrix, highest batch) of the vectors of ``model`` stored after batch
    ``since``."""
    ids: list[int] = []
    blobs: list[bytes] = []
    highest = since
    for passage_id, batch, blob in vectors.rows_since(db, model, since):
        ids.append(passage_id)
        blobs.append(blob)
        highest = max(highest, batch)
    if not ids:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float16), highest
    flat = np.frombuffer(b"".join(blobs), dtype=vectors.VECTOR_DTYPE)
    matrix = flat.reshape(len(ids), -1).astype(np.float16)
    return np.asarray(ids, dtype=np.int64), matrix, highest
