"""People's state beside the library (``bot.people``): the question log and language choices."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bot.people import People, feedback
from knowledge import Library
from knowledge.store import connection as store_connection

from .conftest import write_article


def test_stats_count_the_questions_and_the_unanswered_ones(
    people: People, library: Library
) -> None:
    people.record_question("ما هي عاصمة فرنسا؟", answered=False)
    people.record_question("ما هي عاصمة فرنسا؟", answered=False)
    people.record_question("غزة", answered=True)
    stats = people.stats(library)
    assert (stats.questions, stats.unanswered) == (3, 2)
    assert stats.top_unanswered[0].question == "ما هي عاصمة فرنسا؟"
    assert stats.top_unanswered[0].count == 2
    assert json.dumps(stats.as_json(), ensure_ascii=False)


def test_a_library_missing_a_newer_table_gets_it_on_opening(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    Library.open(path).close()
    People(path).close()
    db = store_connection.connect(path)
    db.execute("DROP TABLE questions")
    db.execute("DELETE FROM _sqlite_migrations WHERE migration_set = 'articlebot.people'")
    db.close()
    with Library.open(path) as library, People(path) as people:
        people.record_question("سؤال", answered=False)
        assert people.stats(library).questions == 1


def test_a_question_logged_while_an_ingest_analyses_does_not_fail_it(
    people: People, library: Library, tmp_path: Path
) -> None:
    write_article(tmp_path / "src", "a.md", title="a")
    logged = []

    def progress(done: int, total: int) -> None:  # called between reading and writing
        logged.append(people.record_question("سؤال أثناء التحديث", answered=False))

    assert library.ingest([tmp_path / "src"], progress=progress).added == 1
    # the ingest holds the database: the questions go unlogged (asked at 0, then once read)
    assert logged == [None, None]


def test_a_language_choice_is_kept_and_replaced(people: People, library: Library) -> None:
    assert people.language(1) is None
    people.set_language(1, "en")
    people.set_language(1, "ar")
    people.set_language(2, "en")
    assert (people.language(1), people.language(2)) == ("ar", "en")


def test_an_unreadable_language_choice_is_no_choice(
    people: People, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    people.set_language(3, "en")

    def broken(*_: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(feedback, "language", broken)
    assert people.language(3) is None  # every message reads it: it must not fail them


def test_a_question_is_logged_with_its_owner_in_one_write(people: People, library: Library) -> None:
    """A second write for the owner could fail on a lock, leaving the question logged
    without it (/forget would miss it) and no id returned (no 👍 / 👎)."""
    db = people._log_db()
    db.conn.set_authorizer(  # any UPDATE of the log fails, as a held lock would
        lambda action, table, *_: (
            sqlite3.SQLITE_DENY
            if action == sqlite3.SQLITE_UPDATE and table == "questions"
            else sqlite3.SQLITE_OK
        )
    )
    try:
        question_id = people.record_question("غزة", True, 42)
    finally:
        db.conn.set_authorizer(None)
    assert question_id is not None
    owners = people._db().execute("SELECT user_id FROM questions WHERE id = ?", [question_id])
    assert owners.fetchall() == [(42,)]


def test_a_write_on_a_full_disk_says_so_not_busy(tmp_path: Path) -> None:
    from bot.people import PeopleDiskFull
    from bot.refusals import cannot_save

    with People(tmp_path / "lib.db") as people:
        people.follow(1, "غزة", "ar")  # the write connection exists now
        pages = people._local.users.execute("PRAGMA page_count").fetchone()[0]
        people._local.users.execute(f"PRAGMA max_page_count = {pages}")  # a full disk, for it
        with pytest.raises(PeopleDiskFull) as caught:
            for i in range(2000):
                people.follow(100 + i, f"عبارة طويلة جدا رقم {i}", "ar")
        assert "disk is full" in cannot_save("en", caught.value)
        assert "ممتلئ" in cannot_save("ar", caught.value)
