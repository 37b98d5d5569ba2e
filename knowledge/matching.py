"""Which passages of newly stored articles match a set of phrases (what alerts are made of).

A phrase matches a passage (with its article's title, as indexed for search) that holds every
term of the phrase analysed as a query; the match scores that passage's BM25 score for the
phrase. Only articles the serving index holds can match: the new articles are taken in id order
up to the first one it does not hold yet.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from .analysis import analyse_query
from .evidence import HeldTerms
from .index import BM25Index
from .records import Match


def positions(index: BM25Index, passages: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """The index positions of ``(passage id, article id)`` pairs sorted by passage id, and
    each one's article id; passages the index does not hold are left out."""
    if not passages:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    ids, articles = (np.array(column, dtype=np.int64) for column in zip(*passages, strict=True))
    # The index holds its passages in id order (store corpus), so positions can be looked up.
    found = np.searchsorted(index.doc_ids, ids)
    inside = found < len(index.doc_ids)
    held = inside.copy()
    held[inside] = index.doc_ids[found[inside]] == ids[inside]
    return found[held], articles[held]


def held_prefix(
    article_ids: list[int], passages: list[tuple[int, int]], held_articles: np.ndarray
) -> list[int]:
    """The first of ``article_ids`` (in order) up to the first one with a stored passage
    (``passages``: passage id, article id) that the index does not hold (``held_articles``:
    the article of each passage it holds)."""
    stored = Counter(article_id for _, article_id in passages)
    held = Counter(held_articles.tolist())
    for i, article_id in enumerate(article_ids):
        if held[article_id] < stored[article_id]:
            return article_ids[:i]
    return article_ids


def phrase_terms(index: BM25Index, phrase: str) -> list[str]:
    """A phrase analysed as a query, against the terms the index holds."""
    return analyse_query(phrase, HeldTerms(index))


def best_matches(
    index: BM25Index, terms: list[str], docs: np.ndarray, articles: np.ndarray
) -> list[Match]:
    """For each article with a passage among ``docs`` holding every one of ``terms``: the best
    such passage, with its BM25 score; in article id order."""
    if not terms or not len(docs):
        return []
    scores = np.zeros(len(docs))
    held = np.ones(len(docs), dtype=bool)
    for term in terms:  # summed in query order, repeats included, exactly as search does
        post_docs, weights = index.postings(term)
        if not len(post_docs):
            return []
        at = np.minimum(np.searchsorted(post_docs, docs), len(post_docs) - 1)
        found = post_docs[at] == docs
        held &= found
        scores += np.where(found, index.idf[index.vocab[term]] * weights[at], 0.0)
    best: dict[int, tuple[float, int]] = {}
    for i in np.flatnonzero(held).tolist():
        article_id, score = int(articles[i]), float(scores[i])
        if article_id not in best or score > best[article_id][0]:
            best[article_id] = (score, int(docs[i]))
    return [
        Match(article_id, int(index.doc_ids[doc]), score)
        for article_id, (score, doc) in sorted(best.items())
    ]
