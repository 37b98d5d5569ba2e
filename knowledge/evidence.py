"""What a passage shows of a query: the weight of each query term, the sentence holding most of
it, and the spans to highlight; a stored passage row becomes a ``Hit`` here.

A search analyses no passage text: ingest stored, beside each passage's term ids, where the word
of each term is (``spans``), so the query's words in a passage are found by comparing term ids.
A passage stored before spans were (an older library) is analysed here, as it always was.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from .analysis import analyse_spans
from .index import BM25Index
from .passages import sentence_spans
from .prepare import decode_spans
from .records import Hit

TITLE_IN_SENTENCE = False
"""Whether the query terms of the article's title count for every sentence of its passages (a
passage whose subject is named only in the title would not be demoted for it). Off: measured on
XQuAD it changed nothing in Arabic (its titles are English page names) and lost 0.2 R@1 in
English (95.3 -> 95.1), so it does not hold in both languages."""


class QueryWeights(dict[str, float]):
    """Query term -> weight, and the library term id of each term the library knows."""

    by_id: dict[int, str]


def term_weights(index: BM25Index, terms: list[str]) -> QueryWeights:
    """A positive weight per distinct query term: smoothed idf, highest for unknown terms."""
    n = len(index)
    weights = QueryWeights(
        (
            t,
            math.log(
                1 + (n - index.document_frequency(t) + 0.5) / (index.document_frequency(t) + 0.5)
            ),
        )
        for t in dict.fromkeys(terms)
    )
    weights.by_id = {index.vocab[t]: t for t in weights if t in index.vocab}
    return weights


class HeldTerms:
    """The terms some passage holds now (the vocabulary keeps those of removed passages)."""

    def __init__(self, index: BM25Index) -> None:
        self.index = index

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self.index.document_frequency(term) > 0


def hit(row: dict, score: float, weights: dict[str, float]) -> Hit:
    """The hit for a passage row (see ``store.articles.passages_by_id``)."""
    return hit_with_evidence(row, score, weights)[0]


def hit_with_evidence(
    row: dict,
    score: float,
    weights: dict[str, float],
    found: list[tuple[str, int, int]] | None = None,
) -> tuple[Hit, float]:
    """The hit for a passage row, and the query weight that its best sentence holds (with its
    title's, see ``TITLE_IN_SENTENCE``). ``found``: its ``query_words``, if known already."""
    text = row["text"]
    found = query_words(row, weights) if found is None else found
    title = title_terms(row, weights) if TITLE_IN_SENTENCE else set()
    (start, end), evidence = best_sentence(text, found, weights, title)
    found_hit = Hit(
        article_id=row["article_id"],
        title=row["title"],
        url=row["url"],
        published=row["published"],
        source=row["source"],
        passage_id=row["id"],
        position=row["position"],
        start=row["start"],
        end=row["end"],
        text=text,
        score=float(score),
        best_sentence=text[start:end],
        best_sentence_span=(start, end),
        matches=_merge(tuple((a, b) for _, a, b in found)),
    )
    return found_hit, evidence


def query_words(row: dict, weights: dict[str, float]) -> list[tuple[str, int, int]]:
    """(term, start, end) of each word of the passage that yields a query term, in order."""
    if not weights:
        return []
    by_id = getattr(weights, "by_id", None)
    spans = row.get("spans")
    if by_id is None or spans is None or row.get("terms") is None:
        return [(term, a, b) for term, a, b in analyse_spans(row["text"]) if term in weights]
    ids = np.frombuffer(row["terms"], dtype=np.int32)
    held = _positions(ids, by_id)
    if not len(held):
        return []
    offsets = decode_spans(spans, len(ids))[held].tolist()
    return [(by_id[t], a, b) for t, (a, b) in zip(ids[held].tolist(), offsets, strict=True)]


def query_words_of(rows: list[dict], weights: dict[str, float]) -> list[list[tuple[str, int, int]]]:
    """``query_words`` of each row: the term ids of those with stored spans are compared with
    the query's all at once (per passage, the numpy calls cost more than their work)."""
    by_id = getattr(weights, "by_id", None)
    stored = [
        i
        for i, row in enumerate(rows)
        if row.get("spans") is not None and row.get("terms") is not None
    ]
    if not weights or by_id is None or not stored:
        return [query_words(row, weights) for row in rows]
    kept = set(stored)
    found = [[] if i in kept else query_words(row, weights) for i, row in enumerate(rows)]
    ids = [np.frombuffer(rows[i]["terms"], dtype=np.int32) for i in stored]
    spans = np.concatenate(
        [decode_spans(rows[i]["spans"], len(a)) for i, a in zip(stored, ids, strict=True)]
    )
    all_ids = np.concatenate(ids)
    held = _positions(all_ids, by_id)
    words = [
        (by_id[t], a, b)
        for t, (a, b) in zip(all_ids[held].tolist(), spans[held].tolist(), strict=True)
    ]
    # Each row's words are a run of ``words``: where its positions start and end in ``held``.
    bounds = np.searchsorted(held, np.cumsum([0] + [len(a) for a in ids])).tolist()
    for i, first, last in zip(stored, bounds, bounds[1:], strict=False):
        found[i] = words[first:last]
    return found


def title_terms(row: dict, weights: dict[str, float]) -> set[str]:
    """The query terms that the passage's article title holds."""
    if not weights:
        return set()
    by_id = getattr(weights, "by_id", None)
    if by_id is None or row.get("title_terms") is None:
        return {term for term, _, _ in analyse_spans(row["title"]) if term in weights}
    ids = np.frombuffer(row["title_terms"], dtype=np.int32)
    return {by_id[t] for t in ids[_positions(ids, by_id)].tolist()}


def _positions(ids: np.ndarray, wanted: dict[int, str]) -> np.ndarray:
    """Where ``ids`` holds one of ``wanted``'s ids (one comparison per query term: a query has
    few, and ``np.isin`` costs more than that on a passage's hundred terms)."""
    mask = np.zeros(len(ids), dtype=bool)
    for term_id in wanted:
        mask |= ids == term_id
    return np.flatnonzero(mask)


def best_sentence(
    text: str,
    found: list[tuple[str, int, int]],
    weights: dict[str, float],
    title: Iterable[str] = (),
) -> tuple[tuple[int, int], float]:
    """The sentence holding the most query weight (distinct terms, those of ``title`` counting
    in every sentence; the first one on a tie), and that weight. ``found`` are the query terms
    of ``text`` with their offsets."""
    sentences = sentence_spans(text) or [(0, len(text))]
    titled = set(title)
    best, best_weight = sentences[0], sum(weights[t] for t in titled)
    for start, end in sentences:
        terms = titled | {term for term, a, _ in found if start <= a < end}
        weight = sum(weights[t] for t in terms)
        if weight > best_weight:
            best, best_weight = (start, end), weight
    return best, best_weight


def _merge(spans: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    """Sorted, non-overlapping spans (one word can yield several terms)."""
    merged: list[tuple[int, int]] = []
    for a, b in sorted(set(spans)):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return tuple(merged)
