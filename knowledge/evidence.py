"""What a passage shows of a query: the weight of each query term, the sentence holding most of
it, and the spans to highlight; a stored passage row becomes a ``Hit`` here."""

from __future__ import annotations

import math

from .analysis import analyse_spans
from .index import BM25Index
from .passages import sentence_spans
from .records import Hit


def term_weights(index: BM25Index, terms: list[str]) -> dict[str, float]:
    """A positive weight per distinct query term: smoothed idf, highest for unknown terms."""
    n = len(index)
    return {
        t: math.log(
            1 + (n - index.document_frequency(t) + 0.5) / (index.document_frequency(t) + 0.5)
        )
        for t in dict.fromkeys(terms)
    }


class HeldTerms:
    """The terms some passage holds now (the vocabulary keeps those of removed passages)."""

    def __init__(self, index: BM25Index) -> None:
        self.index = index

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self.index.document_frequency(term) > 0


def hit(row: dict, score: float, weights: dict[str, float]) -> Hit:
    """The hit for a passage row (see ``store.articles.passages_by_id``)."""
    return hit_with_evidence(row, score, weights)[0]


def hit_with_evidence(row: dict, score: float, weights: dict[str, float]) -> tuple[Hit, float]:
    """The hit for a passage row, and the query weight that its best sentence holds."""
    text = row["text"]
    found = [(term, a, b) for term, a, b in analyse_spans(text) if term in weights]
    (start, end), evidence = best_sentence(text, found, weights)
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


def best_sentence(
    text: str, found: list[tuple[str, int, int]], weights: dict[str, float]
) -> tuple[tuple[int, int], float]:
    """The sentence holding the most query weight (distinct terms; the first one on a tie),
    and that weight. ``found`` are the query terms of ``text`` with their offsets."""
    sentences = sentence_spans(text) or [(0, len(text))]
    best, best_weight = sentences[0], 0.0
    for start, end in sentences:
        terms = {term for term, a, _ in found if start <= a < end}
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
