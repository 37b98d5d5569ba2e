"""The ranking seam: a ranker orders BM25's candidates and decides whether they answer."""

from __future__ import annotations

from pathlib import Path

from knowledge import BUNDLED_ARTICLES, Article, BM25Ranker, Candidates, Library, Ranking

ARTICLES = [
    Article(key=f"a{i}", title=f"خبر {i}", text="غزة " * (i + 1) + "ثم كلام آخر عن أمور مختلفة.")
    for i in range(4)
]


class Reversing:
    """A ranker of its own: BM25's order reversed, and every query answered."""

    depth = 3

    def __init__(self) -> None:
        self.seen: list[Candidates] = []

    def rank(self, candidates: Candidates, k: int) -> Ranking:
        self.seen.append(candidates)
        hits = BM25Ranker().rank(candidates, len(candidates.docs)).hits
        return Ranking(sorted(hits, key=lambda h: h.score)[:k], answered=True)


def test_the_default_ranker_is_hybrid_with_the_model_and_bm25_without(tmp_path: Path) -> None:
    from knowledge.hybrid import HybridRanker

    with Library.open(tmp_path / "a.db") as library:  # this platform has the bundled model
        assert isinstance(library.ranker, HybridRanker)
    with Library.open(tmp_path / "b.db", embedder=None) as library:
        assert isinstance(library.ranker, BM25Ranker)


def test_a_ranker_passed_to_open_orders_the_hits_and_decides(tmp_path: Path) -> None:
    ranker = Reversing()
    with Library.open(tmp_path / "lib.db", ranker=ranker) as library:
        library.add_articles(ARTICLES)
        result = library.search("غزة", k=2)
        (candidates,) = ranker.seen
        assert candidates.query == "غزة" and candidates.terms == ["غز"]
        assert len(candidates.docs) == 3  # the ranker's depth
        assert len(candidates.rows) == 3 and list(candidates.scores) == sorted(
            candidates.scores, reverse=True
        )
        scores = [h.score for h in result.hits]
        assert len(scores) == 2 and scores == sorted(scores)  # its order, not BM25's
        assert result.answered and result.reason is None
        assert library.search("football match").reason == "no_match"
        assert len(ranker.seen) == 1  # no candidates: nothing to rank


def test_a_ranker_can_look_up_more_passages(tmp_path: Path) -> None:
    with Library.open(tmp_path / "lib.db", default_sources=[BUNDLED_ARTICLES]) as library:
        hit = library.search("غزة", k=1).hits[0]
        ranker = Reversing()
        library.ranker = ranker
        library.search("غزة")
        rows = ranker.seen[0].passages([hit.passage_id])
        assert rows[hit.passage_id]["text"] == hit.text


def test_coverages_of_many_passages_are_each_ones_coverage(tmp_path: Path) -> None:
    from knowledge.ranking import query_coverage, query_coverages

    ranker = Reversing()
    with Library.open(tmp_path / "lib.db", ranker=ranker, embedder=None) as library:
        library.add_articles(ARTICLES)
        library.search("غزة كلام مختلفة")
        (candidates,) = ranker.seen
        ids = [int(i) for i in candidates.index.doc_ids] + [10_000]  # 10_000: not held
        assert query_coverages(candidates, ids) == [query_coverage(candidates, i) for i in ids]
        assert query_coverages(candidates, [10_000]) == [(0.0, 0)]
        assert query_coverages(candidates, []) == []
