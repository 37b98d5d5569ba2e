"""One search over one index: the candidates BM25 (and the vectors) find, ordered by the
ranker, near-duplicates collapsed, deeper when the collapsed ones leave slots empty."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import duplicates, matching
from .index import BM25Index, TopK
from .ranking import Candidates, Ranker
from .records import SearchResult
from .vectors import PassageVectors

MAX_DEPTH = 400
"""Most candidates a search ranks to fill the slots that collapsed near-duplicates free."""


def search_index(
    index: BM25Index,
    query: str,
    k: int,
    ranker: Ranker,
    vectors: PassageVectors | None,
    passage_rows: Callable[[list[int]], dict[int, dict]],
    *,
    partial: bool,
) -> SearchResult | None:
    """The ``k`` best hits for ``query`` from ``index`` as ``ranker`` orders them, and whether
    they answer it; None if some of the passages it found are gone (a reload purged them),
    unless ``partial``. ``passage_rows`` reads passages by id."""
    terms = matching.phrase_terms(index, query)
    # Every candidate ranked, not only k: near-duplicates (one wire story in several
    # papers) collapse into one hit, and the slots they free go to the next passages.
    # Deeper only when the candidates run out.
    depth = max(k, ranker.depth)
    rows: dict[int, dict] = {}
    memo: dict[str, object] = {}  # what the ranker works out once per search
    while True:
        top = index.top_k(terms, depth) if terms else None
        if top is None or not len(top.docs):
            if vectors is None or not len(vectors):  # nothing else could find a passage
                reason = "no_match" if terms else "stopwords"
                return SearchResult(query, False, terms=tuple(terms), reason=reason)
            top = TopK(np.zeros(0, dtype=np.int64), np.zeros(0))  # the vectors may find some
        ids = [int(i) for i in index.doc_ids[top.docs]]
        rows.update(passage_rows([i for i in ids if i not in rows]))  # deeper: the rest
        if not partial and any(i not in rows for i in ids):
            return None
        candidates = Candidates(
            query, terms, index, top.docs, top.scores, rows, passage_rows, vectors, memo
        )
        ranking = ranker.rank(candidates, depth)
        hits = duplicates.collapse(ranking.hits, k)
        if len(hits) >= k or len(top.docs) < depth or depth >= MAX_DEPTH:
            break
        depth = min(2 * depth, MAX_DEPTH)
    unanswered = "off_topic" if hits else "no_match" if terms else "stopwords"
    return SearchResult(
        query=query,
        answered=ranking.answered,
        hits=hits,
        terms=tuple(terms),
        reason=None if ranking.answered else unanswered,
    )
