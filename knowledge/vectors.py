"""Passage vectors in memory, for search: the similarity of a question to given passages, and the
passages nearest to it (exact search: a product with every stored vector).

Vectors are stored as float16 (``knowledge/store/vectors.py``) but kept here as float32: BLAS
multiplies float32, while converting float16 rows took 90% of a search (measured at 100k
passages: 164 ms from float16, 16 ms from float32, on a loaded 2-core machine). That is 1.5 KB
a passage: 150 MB at 100k. Exact search is linear in the library's size, fast enough for a
query up to a few hundred thousand passages (see README, Speed); the product is made a block at
a time, so a search's extra memory is one block of similarities. The products are numpy's own
loop rather than BLAS's (see ``_products``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["PassageVectors"]

_BLOCK = 65_536
"""Rows multiplied at once: bounds a search's temporary memory (a block of float32 rows)."""


class PassageVectors:
    """The vectors of some of a library's passages, made by one model (``model``)."""

    def __init__(self, model: str, ids: np.ndarray, matrix: np.ndarray) -> None:
        if len(ids) != len(matrix):
            raise ValueError("one vector per passage id")
        order = np.argsort(ids, kind="stable")
        self.model = model
        self.ids = np.ascontiguousarray(ids[order], dtype=np.int64)
        self.matrix = np.ascontiguousarray(matrix[order], dtype=np.float32)

    def __len__(self) -> int:
        return len(self.ids)

    def similarities(self, query: np.ndarray, passage_ids: Sequence[int]) -> np.ndarray:
        """The cosine similarity of ``query`` (a unit vector) to each of ``passage_ids``; NaN for
        a passage that has no vector (yet)."""
        wanted = np.asarray(passage_ids, dtype=np.int64)
        out = np.full(len(wanted), np.nan, dtype=np.float32)
        if not len(self.ids) or not len(wanted):
            return out
        at = np.searchsorted(self.ids, wanted).clip(0, len(self.ids) - 1)
        held = self.ids[at] == wanted
        out[held] = _products(self.matrix[at[held]], query.astype(np.float32))
        return out

    def nearest(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ids of the ``k`` passages most similar to ``query`` and their similarities, best
        first."""
        k = min(k, len(self.ids))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        q = query.astype(np.float32)
        best_ids: list[np.ndarray] = []
        best_sims: list[np.ndarray] = []
        for start in range(0, len(self.ids), _BLOCK):
            sims = _products(self.matrix[start : start + _BLOCK], q)
            top = np.argpartition(-sims, min(k, len(sims)) - 1)[:k]
            best_ids.append(self.ids[start + top])
            best_sims.append(sims[top])
        ids, sims = np.concatenate(best_ids), np.concatenate(best_sims)
        order = np.argsort(-sims, kind="stable")[:k]
        return ids[order], sims[order]


def _products(rows: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Each row's dot product with ``query``, on the calling thread.

    Not BLAS (``rows @ query``): its threads split a product this size and then keep spinning,
    taking the core that the next question's embedding needs (measured at 100k passages, one
    search: 2x the CPU time, and twice as slow as this numpy loop on a loaded 2-core machine).
    """
    return np.einsum("ij,j->i", rows, query)
