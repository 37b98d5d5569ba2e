"""Retrieval quality on SQuAD-format question sets (XQuAD, ARCD, ...), through the real pipeline.

The questions' paragraphs are ingested as articles into a temporary library, exactly as user
articles would be, and each question is searched with ``Library.search``, with BM25 alone and
(when the model is available) with hybrid ranking, on the same library and questions.
The questions may come from a parallel file (the same articles and paragraphs in another
language, as XQuAD's): questions across languages.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from .embedding import Embedder
from .hybrid import HybridRanker
from .library import Library
from .passages import paragraph_spans
from .ranking import BM25Ranker, Ranker

Question = tuple[str, int, str, list[str]]
"""(article key, paragraph number, question, answers)."""


def evaluate_squad(
    path: str | Path, k: int = 10, off_topic: list[str] | None = None
) -> dict[str, float | int]:
    """BM25's figures alone (see ``compare_rankers``)."""
    figures = compare_rankers(path, k, {"off_topic": off_topic or []}, embedder=None)
    return figures["bm25"]


def compare_rankers(
    path: str | Path,
    k: int = 10,
    off_topic: Mapping[str, list[str]] | None = None,
    *,
    questions_from: str | Path | None = None,
    embedder: Embedder | None = None,
) -> dict[str, dict[str, float | int]]:
    """Figures of each ranker ("bm25", and "hybrid" with an ``embedder``) on the articles of
    ``path``: R@1/3/5, MRR@10 (own paragraph found) and answer recall@1/k, in percent, and the
    share answered; for each named list of ``off_topic`` questions (which the set cannot
    answer), how many of each language come back answered. ``questions_from`` takes the
    questions from a parallel file (same articles, paragraphs and questions, in order) instead;
    the answers looked for are still those of ``path``, in the passages' language."""
    squad_articles = _squad(path)
    asked = _squad(questions_from) if questions_from is not None else squad_articles
    if [len(p["qas"]) for a in asked for p in a["paragraphs"]] != [
        len(p["qas"]) for a in squad_articles for p in a["paragraphs"]
    ]:
        raise ValueError("the question file is not parallel to the articles' file")
    rankers: dict[str, Ranker] = {"bm25": BM25Ranker()}
    if embedder is not None:
        rankers["hybrid"] = HybridRanker(embedder)
    with tempfile.TemporaryDirectory(prefix="articlebot-eval-") as tmp:
        # resolved, as article keys are: a temporary folder may be reached through a link
        source = (Path(tmp) / "articles.jsonl").resolve()
        keys_of = _write_articles(squad_articles, source)
        questions = [
            (keys_of[n], para, q, answers)
            for (n, para, q, _), (*_, answers) in zip(
                _questions(asked), _questions(squad_articles), strict=True
            )
        ]
        with Library.open(Path(tmp) / "eval.db", embedder=embedder) as library:
            library.ingest([source])
            library.embed()  # as `articlebot ingest` does (nothing without an embedder)
            keys, paragraphs = _stored_articles(library)
            figures = {}
            for name, ranker in rankers.items():
                library.ranker = ranker
                figures[name] = _measure(library, questions, keys, paragraphs, k)
                for list_name, off in (off_topic or {}).items():
                    figures[name].update(_off_topic(library, list_name, off))
    return figures


def _measure(
    library: Library,
    questions: list[Question],
    keys: dict[int, str],
    paragraphs: dict[str, list[tuple[int, int]]],
    k: int,
) -> dict[str, float | int]:
    depth = max(k, 10)
    ranks, answer_ranks, answered = [], [], 0
    for key, para, question, answers in questions:
        result = library.search(question, depth)
        answered += result.answered
        own = [
            keys[hit.article_id] == key and _overlaps((hit.start, hit.end), paragraphs[key][para])
            for hit in result.hits
        ]
        has_answer = [any(a in hit.text for a in answers) for hit in result.hits]
        ranks.append(own.index(True) + 1 if True in own else None)
        answer_ranks.append(has_answer.index(True) + 1 if True in has_answer else None)
    n = len(ranks)
    if not n:
        raise ValueError("no questions in the file")

    def recall(found: list[int | None], at: int) -> float:
        return 100.0 * sum(r is not None and r <= at for r in found) / n

    return {
        "questions": n,
        "R@1": recall(ranks, 1),
        "R@3": recall(ranks, 3),
        "R@5": recall(ranks, 5),
        "MRR@10": 100.0 * sum(1 / r for r in ranks if r is not None and r <= 10) / n,
        "AnsR@1": recall(answer_ranks, 1),
        f"AnsR@{k}": recall(answer_ranks, k),
        "answered": 100.0 * answered / n,
    }


def _off_topic(library: Library, name: str, questions: Sequence[str]) -> dict[str, int]:
    """How many of ``questions`` of each language (Arabic script or not) come back answered."""
    figures: dict[str, int] = {}
    for question in questions:
        lang = "ar" if any("\u0600" <= ch <= "\u06ff" for ch in question) else "en"
        figures[f"{name}_{lang}"] = figures.get(f"{name}_{lang}", 0) + 1
        answered = library.search(question, 1).answered
        figures[f"{name}_{lang}_answered"] = figures.get(f"{name}_{lang}_answered", 0) + answered
    return figures


def _squad(path: str | Path) -> list:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    try:
        return list(data["data"])
    except (KeyError, TypeError):
        raise ValueError("not a SQuAD file: no top-level 'data' list") from None


def _write_articles(squad_articles: list, target: Path) -> list[str]:
    """Write one JSON-lines article per SQuAD article; return each one's key."""
    keys = []
    with target.open("w", encoding="utf-8") as out:
        for number, article in enumerate(squad_articles):
            key = f"squad-{number}"
            contexts = [" ".join(p["context"].split()) for p in article["paragraphs"]]
            record = {
                "id": key,
                "title": article.get("title") or key,
                "text": "\n\n".join(contexts),
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            keys.append(f"{target}#{key}")
    return keys


def _questions(squad_articles: list) -> list[tuple[int, int, str, list[str]]]:
    """(article number, paragraph number, question, answers) of every question."""
    return [
        (number, para, qa["question"], [" ".join(a["text"].split()) for a in qa.get("answers", [])])
        for number, article in enumerate(squad_articles)
        for para, paragraph in enumerate(article["paragraphs"])
        for qa in paragraph["qas"]
    ]


def _stored_articles(
    library: Library,
) -> tuple[dict[int, str], dict[str, list[tuple[int, int]]]]:
    """The key of each stored article by id, and its paragraphs' offsets by key. A hit is the
    question's own paragraph only if it comes from the question's own article (the offsets
    alone match the same paragraph of any)."""
    keys, spans = {}, {}
    offset = 0
    while batch := library.latest(500, offset):
        for info in batch:
            article = library.article(info.id)
            assert article is not None
            keys[info.id] = info.key
            spans[info.key] = paragraph_spans(article.text)
        offset += len(batch)
    return keys, spans


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]
