"""knowledge.vectors: similarities and exact nearest passages, against plain numpy."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge import vectors as vectors_module
from knowledge.vectors import PassageVectors


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


def test_similarities_match_a_plain_product_and_mark_missing_passages() -> None:
    rng = np.random.default_rng(1)
    matrix, query = _unit(rng.normal(size=(50, 16))), _unit(rng.normal(size=16))
    ids = rng.permutation(np.arange(100, 150))
    store = PassageVectors("m", ids, matrix)
    wanted = [int(ids[3]), 999, int(ids[40])]
    sims = store.similarities(query, wanted)
    assert np.isnan(sims[1])
    assert np.allclose(sims[[0, 2]], matrix[[3, 40]] @ query, atol=1e-5)


def test_nearest_is_the_exact_top_k_across_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vectors_module, "_BLOCK", 7)  # several blocks
    rng = np.random.default_rng(2)
    matrix, query = _unit(rng.normal(size=(40, 8))), _unit(rng.normal(size=8))
    store = PassageVectors("m", np.arange(40) * 3, matrix)
    ids, sims = store.nearest(query, 5)
    expected = np.argsort(-(store.matrix @ query))[:5] * 3
    assert ids.tolist() == expected.tolist() and list(sims) == sorted(sims, reverse=True)
    assert len(store.nearest(query, 100)[0]) == 40
    assert len(PassageVectors("m", np.zeros(0), np.zeros((0, 8))).nearest(query, 3)[0]) == 0
