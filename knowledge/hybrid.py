"""Hybrid ranking: BM25's candidates and the passages nearest to the question's vector, ordered by
BM25 and cosine similarity together; the library answers on lexical or on semantic evidence.

The nearest vectors bring the passages BM25 cannot find: a question in another language, or in
other words than the passage's. A passage without a vector yet (a library still embedding) keeps
its BM25 place, so a half-embedded library ranks at least as BM25 alone does there.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

import numpy as np

from .embedding import Embedder
from .evidence import hit_with_evidence
from .ranking import (
    RERANK_DEPTH,
    SURE_COVERAGE,
    BM25Ranker,
    Candidates,
    Ranker,
    Ranking,
    answers_lexically,
    bm25_order,
    query_coverage,
    query_coverages,
)
from .records import Hit
from .vectors import PassageVectors

T = TypeVar("T")

LEXICAL_WEIGHT = 0.1
"""Weight of the lexical score in the hybrid score; the cosine similarity weighs the rest. The
lexical score is BM25 plus the best sentence's evidence (over the best candidate's), times the
share of the query's weight the passage holds: a passage sharing one stray word with a question
(often, across languages: a name, a number) must not outrank one that answers it in other words.
Measured on XQuAD (R@1), against the lexical score without that share: +1.5 Arabic, +0.1
English, +9.5 English questions on Arabic passages."""
DEPTH = RERANK_DEPTH
"""BM25's best passages re-ranked, as by ``BM25Ranker``."""
NEAREST = 20
"""Passages nearest to the question's vector added as candidates (they need no shared word)."""
SEMANTIC_MARGIN = 0.06
"""How far above the query's typical near passage (the median similarity of its ``NEAREST``
nearest) the best passage must be to answer on its meaning alone (no shared word needed)."""
MEANING_FLOOR = 0.5
"""Shared words answer only when the passage's meaning is also somewhat closer to the question
than its typical near passage (this share of ``SEMANTIC_MARGIN``). Measured on a real news
library (250 articles of SaudiNewsNet and BBC, 106 questions written from them): without it,
9 of 19 Arabic questions the library cannot answer were answered on shared words alone ("who is
Al-Hilal's new coach?" with a passage on another club's new coach); with it, 3 of 19, while 40
of the 41 answerable Arabic questions are still answered (41 without; figures before
``FULL_COVERAGE`` and ``JOINT_EVIDENCE`` 1.4, which bring them to 2 of 19 and 41 of 41). On
XQuAD it costs answered questions (Arabic 93.8% -> 87.1%, English 97.9% -> 94.4%): Wikipedia
paragraphs sit closer together in meaning than news stories do. A false answer costs a reader
more than a "nothing found" does. At 0.6: 1 of 19 false, 39 of 41 answered, XQuAD Arabic 83.2%."""
JOINT_EVIDENCE = 1.4
"""Short of either sure level, a passage sharing two query terms or more answers when its two
evidences, each as a fraction of its sure level (``SURE_COVERAGE``, ``SEMANTIC_MARGIN``), add up
to this: clearly more than either alone would need, so two weak signals are not enough. At 1.1,
off-topic questions about the news (bench/data/offtopic/questions-2.txt: "which team won the
Champions League final this year?") were answered on XQuAD's English articles with a passage
holding a third of their weight, and a real news library answered 3 of 19 Arabic questions it
cannot answer (2 at 1.4); the questions it answers correctly hold more of either evidence."""
FULL_COVERAGE = 0.8
"""A passage holding this share of the query's weight, in two distinct terms or more, answers on
its words alone (no ``MEANING_FLOOR``): it says nearly everything the question says. Below it,
the one missing word is often the one that matters (the club, the company, the year of a
question the library cannot answer), so the meaning must agree. Measured (README): XQuAD
answered English 94.4% -> 95.5% (with ``JOINT_EVIDENCE`` 1.4), Arabic 87.1% (unchanged); on the
real news library the 41 answerable Arabic questions are all answered (40 before), still no
more than 2 of its 19 unanswerable ones; off-topic questions stay unanswered on XQuAD."""


class HybridRanker:
    """BM25 and the bundled model's similarity together (see the module docstring)."""

    def __init__(
        self,
        embedder: Embedder,
        depth: int = DEPTH,
        lexical_weight: float = LEXICAL_WEIGHT,
        nearest: int = NEAREST,
    ) -> None:
        self.embedder = embedder
        self.depth = depth
        self.lexical_weight = lexical_weight
        self.nearest = nearest
        self._bm25 = BM25Ranker()

    def rank(self, candidates: Candidates, k: int) -> Ranking:
        vectors = candidates.vectors
        if vectors is None or not len(vectors) or vectors.model != self.embedder.name:
            return self._bm25.rank(candidates, k)  # nothing embedded (yet): BM25 alone
        # The model is most of a hybrid search's time and releases the GIL (and so does the
        # product with every vector): BM25's candidates are ordered meanwhile, on another core.
        semantic = _in_background(lambda: self._nearest(candidates, vectors))
        weights = candidates.weights
        lexical = bm25_order(candidates)
        query, near_ids, near_sims = semantic()
        held = {hit.passage_id for hit, _ in lexical}
        extra = [int(i) for i in near_ids if int(i) not in held]
        extra_rows = candidates.passages(extra) if extra else {}
        # score 0: not among BM25's candidates; with no shared word, the best sentence is the first
        semantic_hits = [
            hit_with_evidence(extra_rows[i], 0.0, weights) for i in extra if i in extra_rows
        ]
        pool = lexical + semantic_hits
        sims = vectors.similarities(query, [hit.passage_id for hit, _ in pool])
        top = max((hit.score + evidence for hit, evidence in lexical), default=0.0)
        coverages = query_coverages(candidates, [hit.passage_id for hit, _ in pool])
        combined = [
            self.lexical_weight * ((hit.score + evidence) / top * coverage)
            + (1 - self.lexical_weight) * float(sim)
            if top > 0
            else float(sim)
            for (hit, evidence), sim, (coverage, _) in zip(pool, sims, coverages, strict=True)
        ]
        hits = _order(pool, sims, combined, k)
        answered = bool(hits) and _answers(candidates, hits[0], near_sims)
        return Ranking(hits, answered)

    def _nearest(
        self, candidates: Candidates, vectors: PassageVectors
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The question's vector and the ids and similarities of its nearest passages, worked
        out once however many times the search asks for more candidates."""
        found = candidates.memo.get("nearest")
        if not isinstance(found, tuple):
            query = self._query_vector(candidates)
            found = candidates.memo["nearest"] = (query, *vectors.nearest(query, self.nearest))
        return found

    def _query_vector(self, candidates: Candidates) -> np.ndarray:
        """The question's vector: the model is the cost of a hybrid search, so it embeds the
        question once however many times the search asks for more candidates."""
        vector = candidates.memo.get("query_vector")
        if not isinstance(vector, np.ndarray):
            vector = candidates.memo["query_vector"] = self.embedder.embed_queries(
                [candidates.query]
            )[0]
        return vector


def _in_background(work: Callable[[], T]) -> Callable[[], T]:
    """Starts ``work`` in a thread of its own; the function returned waits for its result (or
    raises its error). The thread ends with the work: a process that forks workers later (an
    ingest's) must have no other thread left."""
    done: list[T] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            done.append(work())
        except BaseException as error:  # handed to the search, in its own thread
            failed.append(error)

    thread = threading.Thread(target=run, name="question-vector", daemon=True)
    thread.start()

    def result() -> T:
        thread.join()
        if failed:
            raise failed[0]
        return done[0]

    return result


def _order(
    pool: list[tuple[Hit, float]], sims: np.ndarray, combined: list[float], k: int
) -> list[Hit]:
    """The first ``k`` of the pool's hits (BM25's candidates in their order, then the nearest
    ones) ranked: those without a vector keep their BM25 place; the others fill the remaining
    places by hybrid score, each with its similarity beside its BM25 score."""
    missing = np.isnan(sims).tolist()
    order = [i for i in sorted(range(len(pool)), key=lambda i: -combined[i]) if not missing[i]]
    ranked: list[Hit] = []
    embedded = iter(order)
    for i in range(min(k, len(pool))):
        if missing[i]:
            ranked.append(pool[i][0])  # only BM25's candidates can lack a vector
        else:
            j = next(embedded)
            ranked.append(replace(pool[j][0], similarity=float(sims[j])))
    return ranked


def _answers(candidates: Candidates, best: Hit, near_sims: np.ndarray) -> bool:
    """Whether the best hit answers: its meaning is clearly closer to the question's than the
    typical near passage's, or it holds nearly all of the query's weight (``FULL_COVERAGE``),
    or most of it (as with BM25 alone) or both evidences together are strong enough
    (``JOINT_EVIDENCE``), its meaning being somewhat close too (``MEANING_FLOOR``).

    Calibrated on XQuAD (both languages, and across them) against off-topic questions
    (README): e5's similarities are close together for every passage (0.7 to 0.9), so the best
    one is judged against the query's own nearest passages rather than by a fixed value.
    """
    if best.similarity is None:  # no vector yet: BM25's rule
        return answers_lexically(candidates, best.passage_id)
    coverage, found = query_coverage(candidates, best.passage_id)
    typical = float(np.median(near_sims)) if len(near_sims) else 0.0
    return answers_on_evidence(coverage, found, (best.similarity - typical) / SEMANTIC_MARGIN)


def answers_on_evidence(coverage: float, found: int, semantic: float) -> bool:
    """The answered decision from the best passage's evidence: the share of the query's weight
    it holds (``coverage``), how many distinct query terms it holds (``found``), and how far its
    similarity is above the query's typical near passage, in ``SEMANTIC_MARGIN`` units."""
    if semantic >= 1 or (coverage >= FULL_COVERAGE and found >= 2):
        return True
    lexical = coverage / SURE_COVERAGE
    words = lexical >= 1 or (found >= 2 and lexical + semantic >= JOINT_EVIDENCE)
    return words and semantic >= MEANING_FLOOR


def default_ranker(embedder: Embedder | None) -> Ranker:
    """Hybrid when a model is available, unless ``ARTICLEBOT_RANKER=bm25`` asks for BM25 alone."""
    if embedder is None or os.environ.get("ARTICLEBOT_RANKER", "").lower() == "bm25":
        return BM25Ranker()
    return HybridRanker(embedder)
