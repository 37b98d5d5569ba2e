"""Votes on answers in the library, and what /stats makes of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import Article, Library, Votes

ARTICLES = [
    Article(
        key="gaza",
        title="وقف إطلاق النار في غزة",
        text="أعلنت الفصائل وقف إطلاق النار في قطاع غزة فجر الجمعة.\n\n"
        "وقالت وزارة الصحة إن عدد الضحايا بلغ مئتين وثلاثين شخصا.",
    ),
    Article(key="moon", title="A lunar mission", text="The agency launched a lunar mission."),
]


@pytest.fixture
def filled(library: Library) -> Library:
    library.add_articles(ARTICLES)
    return library


def passage_ids(library: Library, question: str) -> list[int]:
    return [h.passage_id for h in library.search(question, k=3).hits]


def test_record_question_returns_its_id(filled: Library) -> None:
    first = filled.record_question("غزة", True)
    second = filled.record_question("lunar", True)
    assert isinstance(first, int) and second == first + 1


def test_votes_are_counted_once_per_user_and_can_change(filled: Library) -> None:
    question = filled.record_question("غزة", True)
    shown = passage_ids(filled, "غزة")
    assert filled.record_feedback(question, 10, True, shown) == Votes(1, 0)
    assert filled.record_feedback(question, 11, False, shown) == Votes(1, 1)
    assert filled.record_feedback(question, 10, False, shown) == Votes(0, 2)  # changed
    assert filled.votes(question) == Votes(0, 2)
    stats = filled.stats()
    assert (stats.votes, stats.helpful, stats.helpful_rate) == (2, 0, 0.0)


def test_a_vote_on_an_unknown_question_is_refused(filled: Library) -> None:
    assert filled.record_feedback(12345, 10, True, [1]) is None
    assert filled.stats().votes == 0


def test_stats_show_the_helpful_rate_and_most_unhelpful_passages(filled: Library) -> None:
    assert filled.stats().helpful_rate is None  # no votes yet
    gaza, moon = passage_ids(filled, "غزة")[0], passage_ids(filled, "lunar mission")[0]
    for user in (1, 2, 3):
        question = filled.record_question("غزة", True)
        filled.record_feedback(question, user, False, [gaza])
    question = filled.record_question("lunar mission", True)
    filled.record_feedback(question, 1, False, [moon])
    filled.record_feedback(question, 2, True, [moon])
    stats = filled.stats()
    assert (stats.votes, stats.helpful) == (5, 1)
    assert stats.helpful_rate == pytest.approx(0.2)
    worst = [(p.passage_id, p.unhelpful, p.title) for p in stats.top_unhelpful]
    assert worst == [(gaza, 3, "وقف إطلاق النار في غزة"), (moon, 1, "A lunar mission")]
    assert stats.top_unhelpful[0].start.startswith("أعلنت الفصائل")
    data = stats.as_json()
    assert data["helpful_rate"] == pytest.approx(0.2)
    assert data["top_unhelpful"][0]["unhelpful"] == 3


def test_a_changed_vote_takes_its_passages_along(filled: Library) -> None:
    gaza = passage_ids(filled, "غزة")[0]
    question = filled.record_question("غزة", True)
    filled.record_feedback(question, 1, False, [gaza])
    assert [p.passage_id for p in filled.stats().top_unhelpful] == [gaza]
    filled.record_feedback(question, 1, True, [gaza])
    assert filled.stats().top_unhelpful == []


def test_passages_gone_from_the_library_leave_the_list(filled: Library, tmp_path: Path) -> None:
    moon = passage_ids(filled, "lunar mission")[0]
    question = filled.record_question("lunar mission", True)
    filled.record_feedback(question, 1, False, [moon])
    changed = Article(key="moon", title="A lunar mission", text="The launch was delayed.")
    filled.add_articles([changed])  # the passage is replaced by a new one
    stats = filled.stats()
    assert stats.top_unhelpful == [] and stats.votes == 1


def test_votes_survive_reopening(filled: Library, tmp_path: Path) -> None:
    question = filled.record_question("غزة", True)
    filled.record_feedback(question, 1, True, passage_ids(filled, "غزة"))
    filled.close()
    with Library.open(tmp_path / "lib.db") as reopened:
        assert reopened.votes(question) == Votes(1, 0)
