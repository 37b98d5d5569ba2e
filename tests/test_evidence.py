"""A search finds the query's words in a passage from what ingest stored (no analysis), and
shows exactly what analysing the passage's text would: the same best sentence and spans."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from knowledge import Library
from knowledge.store import articles as stored

from .conftest import write_article

FIXTURE = Path(__file__).parent / "fixtures" / "library-v0.1.db"

QUERIES = [
    "كم طالبا تستقبل المدرسة الجديدة في غزة؟",
    "desalination plant Gaza",
    "وقف إطلاق النار",
    "The ceasefire held; water reopened",
    "غزة",
    "مدرسة",
]


def _answers(library: Library) -> list:
    return [library.search(q, 5) for q in QUERIES]


def _analysing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows as a library stored before spans were: the search analyses their text."""
    real = stored.passages_by_id

    def without_spans(*args, **kwargs):  # type: ignore[no-untyped-def]
        rows = real(*args, **kwargs)
        return {i: {**row, "spans": None} for i, row in rows.items()}

    monkeypatch.setattr(stored, "passages_by_id", without_spans)


def test_stored_spans_show_what_analysing_the_text_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "articles"
    write_article(
        folder,
        "a.md",
        "الفقرة الأولى عن وقف إطلاق النار في غزة. وقف القصف بعد أحد عشر يوما.\n\n"
        "افتتحت مدرسة جديدة في غزة تستقبل ألف طالب، والمدرسة الجديدة أكبر مدارس المدينة.",
        title="مدرسة غزة",
    )
    write_article(
        folder,
        "b.md",
        "The Gaza desalination plant reopened on Monday. The ceasefire held; water returned.",
        title="Gaza water plant reopens",
    )
    with Library.open(tmp_path / "lib.db") as library:
        library.ingest([folder])
        (row,) = stored.passages_by_id(library._db(), [1]).values()
        assert row["spans"] is not None
        fast = _answers(library)
        _analysing(monkeypatch)
        slow = _answers(library)
    assert fast == slow
    assert all(r.hits and r.hits[0].matches for r in fast)


def test_a_library_of_0_1_answers_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.db"
    shutil.copy(FIXTURE, path)
    with Library.open(path) as library:
        answers = _answers(library)
    with sqlite3.connect(path) as conn:  # its passages analysed again, or else without spans
        spans = {s is None for (s,) in conn.execute("SELECT spans FROM passages")}
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE passages SET spans = NULL")
    with Library.open(path) as library:
        assert _answers(library) == answers
    _analysing(monkeypatch)
    with Library.open(path) as library:
        assert _answers(library) == answers
    assert len(spans) == 1
    assert answers[0].answered and answers[0].hits[0].title == "افتتاح مدرسة جديدة في غزة"


def test_query_words_of_many_passages_are_each_ones_words(tmp_path: Path) -> None:
    # Passages compared all at once (as a search does), with stored spans or without (an older
    # row), show the words that each passage alone shows.
    from knowledge.evidence import query_words, query_words_of, term_weights
    from knowledge.matching import phrase_terms

    folder = tmp_path / "articles"
    write_article(folder, "a.md", "وقف إطلاق النار في غزة. افتتحت مدرسة جديدة في غزة.", title="غزة")
    write_article(folder, "b.md", "The Gaza plant reopened. The ceasefire held in Gaza.", title="x")
    write_article(folder, "c.md", "Nothing about the question here, only other words.", title="y")
    with Library.open(tmp_path / "lib.db") as library:
        library.ingest([folder])
        rows = list(stored.passages_by_id(library._db(), [1, 2, 3]).values())
        rows.append({**rows[0], "spans": None})
        seen = 0
        for query in QUERIES:
            weights = term_weights(library.index, phrase_terms(library.index, query))
            found = query_words_of(rows, weights)
            assert found == [query_words(row, weights) for row in rows]
            assert found[-1] == found[0]
            seen += sum(map(len, found))
    assert seen
