"""Retrieval quality on SQuAD-format question sets (XQuAD, ARCD, ...), through the real pipeline.

The questions' paragraphs are ingested as articles into a temporary library, exactly as user
articles would be, and each question is searched with ``Library.search``.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from .library import Library
from .passages import paragraph_spans


def evaluate_squad(
    path: str | Path, k: int = 10, off_topic: list[str] | None = None
) -> dict[str, float | int]:
    """R@1/3/5, MRR@10 (own paragraph found) and answer recall@1/k, in percent; with
    ``off_topic`` questions (which the set cannot answer), how many come back answered."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    try:
        squad_articles = data["data"]
    except (KeyError, TypeError):
        raise ValueError("not a SQuAD file: no top-level 'data' list") from None
    depth = max(k, 10)
    with tempfile.TemporaryDirectory(prefix="articlebot-eval-") as tmp:
        # resolved, as article keys are: a temporary folder may be reached through a link
        source = (Path(tmp) / "articles.jsonl").resolve()
        questions = _write_articles(squad_articles, source)
        with Library.open(Path(tmp) / "eval.db") as library:
            library.ingest([source])
            keys, paragraphs = _stored_articles(library)
            ranks, answer_ranks, answered = [], [], 0
            for key, para, question, answers in questions:
                result = library.search(question, depth)
                answered += result.answered
                own = [
                    keys[hit.article_id] == key
                    and _overlaps((hit.start, hit.end), paragraphs[key][para])
                    for hit in result.hits
                ]
                has_answer = [any(a in hit.text for a in answers) for hit in result.hits]
                ranks.append(own.index(True) + 1 if True in own else None)
                answer_ranks.append(has_answer.index(True) + 1 if True in has_answer else None)
            wrongly = sum(library.search(q, 1).answered for q in off_topic or [])
    n = len(ranks)
    if not n:
        raise ValueError("no questions in the file")

    def recall(found: list[int | None], at: int) -> float:
        return 100.0 * sum(r is not None and r <= at for r in found) / n

    figures = {
        "questions": n,
        "R@1": recall(ranks, 1),
        "R@3": recall(ranks, 3),
        "R@5": recall(ranks, 5),
        "MRR@10": 100.0 * sum(1 / r for r in ranks if r is not None and r <= 10) / n,
        "AnsR@1": recall(answer_ranks, 1),
        f"AnsR@{k}": recall(answer_ranks, k),
        "answered": 100.0 * answered / n,
    }
    if off_topic:
        figures["off_topic"] = len(off_topic)
        figures["off_topic_answered"] = wrongly
    return figures


def _write_articles(squad_articles: list, target: Path) -> list[tuple[str, int, str, list[str]]]:
    """Write one JSON-lines article per SQuAD article; return (key, paragraph, q, answers)."""
    questions = []
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
            for para, paragraph in enumerate(article["paragraphs"]):
                for qa in paragraph["qas"]:
                    answers = [" ".join(a["text"].split()) for a in qa.get("answers", [])]
                    questions.append((f"{target}#{key}", para, qa["question"], answers))
    return questions


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
