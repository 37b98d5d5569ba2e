"""Which passages of newly stored articles match a set of phrases (what alerts are made of).

A phrase matches a passage (with its article's title, as indexed for search) that holds every
term of the phrase analysed as a query; the match scores that passage's BM25 score for the
phrase. Only articles the serving index holds can match: the new articles are taken in id order
up to the first one it does not hold yet.
"""

from __future__ import annotations

import logging
from collections import Counter

import numpy as np
import sqlite_utils

from .analysis import analyse_query
from .evidence import HeldTerms
from .index import BM25Index
from .locking import WriteLock
from .records import Match, NewMatches
from .serving import ServingIndex
from .store import articles

logger = logging.getLogger(__name__)


def new_matches(
    db: sqlite_utils.Database,
    serving: ServingIndex,
    lock: WriteLock,
    phrases: list[str],
    after_article_id: int,
    *,
    recheck_seconds: float,
    repair_seconds: float,
) -> NewMatches:
    """The best passage matching each of ``phrases`` in each article stored after
    ``after_article_id`` that the serving index holds (see ``Library.new_matches``); the index
    is repaired (rebuilt, with ``lock``) when it has lacked stored articles ``repair_seconds``."""
    phrases = list(dict.fromkeys(phrases))
    new_ids = articles.articles_after(db, after_article_id)
    if not new_ids:
        return NewMatches()
    if not phrases:
        return NewMatches(through=new_ids[-1])
    index = serving.current(db, recheck_seconds)
    passages = articles.article_passages(db, new_ids)
    docs, doc_articles = positions(index, passages)
    ready = held_prefix(new_ids, passages, doc_articles)
    if len(ready) < len(new_ids):
        late = serving.lag_seconds(db) >= repair_seconds
        if late and serving.repair(db, lock):
            index = serving.current(db, recheck_seconds)
            passages = articles.article_passages(db, new_ids)
            docs, doc_articles = positions(index, passages)
            ready = held_prefix(new_ids, passages, doc_articles)
        if len(ready) < len(new_ids):
            # Debug at first: another ingest may be about to swap its index in.
            log = logger.warning if late else logger.debug
            log("alerts from article %d on wait: the index lacks it", new_ids[len(ready)])
    if not ready:
        return NewMatches()
    inside = doc_articles <= ready[-1]
    docs, doc_articles = docs[inside], doc_articles[inside]
    found = {
        phrase: best_matches(index, phrase_terms(index, phrase), docs, doc_articles)
        for phrase in phrases
    }
    return NewMatches(found, through=ready[-1])


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
