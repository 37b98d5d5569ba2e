"""Votes on answers (``bot.people``), and what /stats makes of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.people import People, Votes
from knowledge import Article, Library

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


def test_record_question_returns_its_id(people: People, filled: Library) -> None:
    first = people.record_question("غزة", True)
    second = people.record_question("lunar", True)
    assert isinstance(first, int) and second == first + 1


def test_votes_are_counted_once_per_user_and_can_change(people: People, filled: Library) -> None:
    question = people.record_question("غزة", True)
    shown = passage_ids(filled, "غزة")
    assert people.record_feedback(question, 10, True, shown) == Votes(1, 0)
    assert people.record_feedback(question, 11, False, shown) == Votes(1, 1)
    assert people.record_feedback(question, 10, False, shown) == Votes(0, 2)  # changed
    assert people.votes(question) == Votes(0, 2)
    stats = people.stats(filled)
    assert (stats.votes, stats.helpful, stats.helpful_rate) == (2, 0, 0.0)


def test_a_vote_on_an_unknown_question_is_refused(people: People, filled: Library) -> None:
    assert people.record_feedback(12345, 10, True, [1]) is None
    assert people.stats(filled).votes == 0


def test_stats_show_the_helpful_rate_and_most_unhelpful_passages(
    people: People, filled: Library
) -> None:
    assert people.stats(filled).helpful_rate is None  # no votes yet
    gaza, moon = passage_ids(filled, "غزة")[0], passage_ids(filled, "lunar mission")[0]
    for user in (1, 2, 3):
        question = people.record_question("غزة", True)
        people.record_feedback(question, user, False, [gaza])
    question = people.record_question("lunar mission", True)
    people.record_feedback(question, 1, False, [moon])
    people.record_feedback(question, 2, True, [moon])
    stats = people.stats(filled)
    assert (stats.votes, stats.helpful) == (5, 1)
    assert stats.helpful_rate == pytest.approx(0.2)
    worst = [(p.passage_id, p.unhelpful, p.title) for p in stats.top_unhelpful]
    assert worst == [(gaza, 3, "وقف إطلاق النار في غزة"), (moon, 1, "A lunar mission")]
    assert stats.top_unhelpful[0].start.startswith("أعلنت الفصائل")
    data = stats.as_json()
    assert data["helpful_rate"] == pytest.approx(0.2)
    assert data["top_unhelpful"][0]["unhelpful"] == 3


def test_a_changed_vote_takes_its_passages_along(people: People, filled: Library) -> None:
    gaza = passage_ids(filled, "غزة")[0]
    question = people.record_question("غزة", True)
    people.record_feedback(question, 1, False, [gaza])
    assert [p.passage_id for p in people.stats(filled).top_unhelpful] == [gaza]
    people.record_feedback(question, 1, True, [gaza])
    assert people.stats(filled).top_unhelpful == []


def test_passages_gone_from_the_library_leave_the_list(
    people: People, filled: Library, tmp_path: Path
) -> None:
    moon = passage_ids(filled, "lunar mission")[0]
    question = people.record_question("lunar mission", True)
    people.record_feedback(question, 1, False, [moon])
    changed = Article(key="moon", title="A lunar mission", text="The launch was delayed.")
    filled.add_articles([changed])  # the passage is replaced by a new one
    stats = people.stats(filled)
    assert stats.top_unhelpful == [] and stats.votes == 1


def test_votes_survive_reopening(people: People, filled: Library, tmp_path: Path) -> None:
    question = people.record_question("غزة", True)
    people.record_feedback(question, 1, True, passage_ids(filled, "غزة"))
    filled.close()
    people.close()
    with Library.open(tmp_path / "lib.db"), People(tmp_path / "lib.db") as reopened:
        assert reopened.votes(question) == Votes(1, 0)
