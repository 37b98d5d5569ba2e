"""Upgrades migrate: a library made by articlebot 0.1 opens with everything kept."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from bot.people import People, Votes
from knowledge import Article, Library

from .conftest import write_article

FIXTURE = Path(__file__).parent / "fixtures" / "library-v0.1.db"


@pytest.fixture
def old(tmp_path: Path) -> Path:
    """A copy of the library 0.1 made (see tests/fixtures/README.md)."""
    path = tmp_path / "old.db"
    shutil.copy(FIXTURE, path)
    return path


def rows(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_a_library_of_0_1_keeps_its_articles_and_answers(old: Path) -> None:
    (library_id,) = rows(old, "SELECT value FROM meta WHERE key = 'library'")
    with Library.open(old) as library:
        stats = library.stats()
        assert (stats.articles, stats.passages) == (3, 11)
        assert {a.title for a in library.latest(5)} >= {
            "Gaza water plant reopens",
            "افتتاح مدرسة جديدة في غزة",
        }
        result = library.search("كم طالبا تستقبل المدرسة الجديدة في غزة؟")
        assert result.answered and result.hits[0].title == "افتتاح مدرسة جديدة في غزة"
        assert library.search("desalination plant Gaza").hits[0].title == (
            "Gaza water plant reopens"
        )
        assert library.index.meta["library"] == library_id[0]  # the same library, re-indexed


def test_people_keep_their_follows_votes_questions_and_languages(old: Path) -> None:
    with Library.open(old) as library, People(old) as people:
        assert [(f.phrase, f.lang) for f in people.follows(111)] == [("غزة", "ar")]
        assert [(f.phrase, f.lang) for f in people.follows(222)] == [("Gaza", None)]
        assert people.votes(1) == Votes(helpful=1, unhelpful=1)
        stats = people.stats(library)
        assert (stats.questions, stats.unanswered, stats.votes, stats.helpful) == (3, 1, 2, 1)
        assert [q.question for q in stats.top_unanswered] == ["Who won the football match?"]
        assert [p.unhelpful for p in stats.top_unhelpful] == [1]
        assert people.language(111) == "ar" and people.language(222) is None
        assert people.due_alerts(library).through is None  # the mark was kept: nothing is new
    assert rows(old, "SELECT chat_id, article_id FROM alerts_sent ORDER BY chat_id") == [
        (111, 3),
        (222, 2),
    ]
    assert rows(old, "SELECT value FROM people_meta WHERE key = 'alerts_through'") == [("3",)]
    assert rows(old, "SELECT value FROM meta WHERE key = 'alerts_through'") == []


def test_alerts_go_on_after_the_upgrade(old: Path) -> None:
    with Library.open(old) as library, People(old) as people:
        new = library.add_articles(
            [Article("fixture:more", "Gaza fishermen return", "Boats left Gaza port at dawn.")]
        ).added_ids
        due = people.due_alerts(library)
        assert due.through == new[-1]
        assert [(p.chat_id, [a.hit.article_id for a in p.alerts]) for p in due.chats] == [
            (222, new)
        ]


def test_migrations_are_applied_once(old: Path) -> None:
    with Library.open(old), People(old):
        pass
    applied = rows(old, "SELECT migration_set, name FROM _sqlite_migrations ORDER BY id")
    assert {s for s, _ in applied} == {"articlebot.knowledge", "articlebot.people"}
    with Library.open(old) as library, People(old) as people:
        assert library.stats().articles == 3 and len(people.follows(111)) == 1
    assert rows(old, "SELECT migration_set, name FROM _sqlite_migrations ORDER BY id") == applied
    assert len(rows(old, "SELECT * FROM follows")) == 2


def test_people_may_open_a_new_file_before_the_library(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with People(path) as people:
        assert people.follow(1, "غزة") == "added"
    with Library.open(path) as library, People(path) as people:
        new = library.add_articles([Article("g", "غزة اليوم", "هدوء حذر في غزة.")]).added_ids
        assert [a.hit.article_id for a in people.due_alerts(library).chats[0].alerts] == new


def test_a_database_of_a_newer_articlebot_is_refused_clearly(tmp_path: Path) -> None:
    from knowledge import KnowledgeError

    path = tmp_path / "new.db"
    Library.open(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('articlebot.knowledge', '9999_from_the_future', 'later')"
        )
    with pytest.raises(KnowledgeError, match="another articlebot version"):
        Library.open(path)


def test_a_new_analyser_version_analyses_the_stored_articles_again(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import knowledge.analysis as module

    write_article(tmp_path / "src", "a.md", title="a")
    library.ingest([tmp_path / "src"])
    before = library.search("وقف إطلاق النار", 1)
    library.close()
    monkeypatch.setattr(module, "ANALYSER_VERSION", "a-newer-one")
    with Library.open(library.path) as reopened:
        (after,) = reopened.search("وقف إطلاق النار", 1).hits
        assert (after.text, after.score) == (before.hits[0].text, before.hits[0].score)
        assert reopened.index.meta["analyser_version"] == "a-newer-one"
        assert reopened.stats().passages == 1  # replaced, not added
        ((_, terms),) = reopened.documents()
        assert {"وقف", "اطلاق", "نار"} <= set(terms)


def test_a_library_of_another_schema_is_refused_clearly(tmp_path: Path) -> None:
    import sqlite3

    from knowledge import KnowledgeError

    old = sqlite3.connect(tmp_path / "old.db")
    old.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY, tokens TEXT)")
    old.commit()
    old.close()
    with pytest.raises(KnowledgeError, match="another articlebot version"):
        Library.open(tmp_path / "old.db")


def test_articles_dated_by_their_files_time_become_undated(old: Path) -> None:
    with sqlite3.connect(old) as conn:  # as 0.2 stored an article without a date
        conn.execute(
            "UPDATE articles SET published = '2026-01-02T03:04:05+00:00', date_from_mtime = 1 "
            "WHERE key = 'fixture:en'"
        )
    with Library.open(old) as library:
        listed = library.latest(5)
        assert [a.key for a in listed][-1] == "fixture:en" and listed[-1].published is None
        assert library.stats().undated == 1  # (now: undated articles)
    ((title, text, url, source, lang, path, file_time, stored_hash),) = rows(
        old,
        "SELECT title, text, url, source, lang, path, file_time, hash FROM articles "
        "WHERE key = 'fixture:en'",
    )
    assert file_time == "2026-01-02T03:04:05+00:00"  # kept, never a publish date again
    # the hash an ingest computes now: the unchanged source counts unchanged
    assert stored_hash == Article("fixture:en", title, text, None, url, source, lang, path).digest()
    assert rows(old, "SELECT count(*) FROM articles WHERE published IS NULL") == [(1,)]
