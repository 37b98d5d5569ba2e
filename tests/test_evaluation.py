"""knowledge.evaluation: BM25 and hybrid side by side, questions from a parallel file, and
off-topic questions counted per language (real model, two tiny parallel sets)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge.embedding import default_embedder
from knowledge.evaluation import compare_rankers

from .conftest import write

PARAGRAPHS = {
    "ar": [
        ("بدأ سريان وقف إطلاق النار في قطاع غزة فجر الجمعة.", "متى بدأ وقف إطلاق النار في غزة؟"),
        ("فاز الأهلي على الزمالك بهدفين مقابل هدف.", "من فاز في مباراة الأهلي والزمالك؟"),
        ("ضرب زلزال قوي جبال الأطلس في المغرب.", "أين ضرب الزلزال في المغرب؟"),
    ],
    "en": [
        (
            "A ceasefire took effect in the Gaza Strip at dawn on Friday.",
            "When did the Gaza ceasefire begin?",
        ),
        (
            "Al Ahly beat Zamalek by two goals to one.",
            "Who won the match between Al Ahly and Zamalek?",
        ),
        (
            "A strong earthquake struck the Atlas mountains in Morocco.",
            "Where did the earthquake hit Morocco?",
        ),
    ],
}


def _squad(tmp_path: Path, lang: str) -> Path:
    data = {
        "data": [
            {
                "title": f"{lang}-{n}",
                "paragraphs": [{"context": text, "qas": [{"question": q, "answers": []}]}],
            }
            for n, (text, q) in enumerate(PARAGRAPHS[lang])
        ]
    }
    return write(tmp_path / f"{lang}.json", json.dumps(data, ensure_ascii=False))


def test_questions_across_languages_side_by_side(tmp_path: Path) -> None:
    ar, en = _squad(tmp_path, "ar"), _squad(tmp_path, "en")
    off = {"off_topic": ["how do I bake a chocolate cake", "ما هي أفضل وصفة لكعكة الشوكولاتة؟"]}
    figures = compare_rankers(ar, 3, off, questions_from=en, embedder=default_embedder())
    assert set(figures) == {"bm25", "hybrid"}
    assert figures["bm25"]["questions"] == figures["hybrid"]["questions"] == 3
    assert figures["bm25"]["R@1"] < 100.0 and figures["hybrid"]["R@1"] == 100.0
    assert figures["hybrid"]["off_topic_ar"] == figures["hybrid"]["off_topic_en"] == 1
    assert figures["hybrid"]["off_topic_ar_answered"] == 0
    assert figures["hybrid"]["off_topic_en_answered"] == 0


def test_a_question_file_that_is_not_parallel_is_refused(tmp_path: Path) -> None:
    ar = _squad(tmp_path, "ar")
    other = write(tmp_path / "other.json", json.dumps({"data": []}))
    with pytest.raises(ValueError, match="parallel"):
        compare_rankers(ar, questions_from=other)


def test_the_eval_command_takes_parallel_questions_and_off_topic_files(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from bot.cli import cli

    ar, en = _squad(tmp_path, "ar"), _squad(tmp_path, "en")
    off = write(tmp_path / "off.txt", "how do I bake a chocolate cake\n")
    held_out = write(tmp_path / "held-out.txt", "ما هي أفضل وصفة لكعكة الشوكولاتة؟\n")
    args = ["eval", str(ar), "--questions", str(en), "--off-topic", str(off)]
    result = CliRunner().invoke(cli, [*args, "--off-topic", str(held_out), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["hybrid"]["off_topic_en"] == figures["hybrid"]["off_topic_held-out_ar"] == 1
    text = CliRunner().invoke(cli, [*args, "--bm25-only"]).output
    assert "R@1" in text and "hybrid" not in text
