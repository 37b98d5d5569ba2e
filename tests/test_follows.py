"""Follows and alerts (``bot.people``): what a chat follows, and which new articles it is sent."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import bot.people as people_module
from bot.people import DueAlerts, People, facade
from bot.people import follows as follows_store
from knowledge import Article, Library, LibraryBusy
from knowledge.serving import ServingIndex
from knowledge.store import articles as articles_store

GAZA = Article(
    key="gaza",
    title="وقف إطلاق النار في غزة",
    text="أعلنت الفصائل وقف إطلاق النار في قطاع غزة فجر الجمعة.\n\n"
    "وقالت وزارة الصحة إن عدد الضحايا بلغ مئتين وثلاثين شخصا.",
    published="2021-05-21",
    lang="ar",
)
RAIN = Article(
    key="rain",
    title="أمطار غزيرة في عمّان",
    text="هطلت أمطار غزيرة على العاصمة الأردنية عمّان وأغلقت عدة طرق.",
    published="2021-06-02",
    lang="ar",
)


def news(key: str, title: str, text: str) -> Article:
    return Article(key=key, title=title, text=text, published="2021-07-01", lang="ar")


@pytest.fixture
def filled(library: Library) -> Library:
    library.add_articles([GAZA, RAIN])
    return library


# --- following ----------------------------------------------------------------------------


def test_follow_lists_and_refuses_duplicates_in_any_case(people: People, library: Library) -> None:
    assert people.follow(1, "غزة", "ar") == "added"
    assert people.follow(1, "  «Lunar   Mission» ", "en") == "added"
    assert people.follow(1, "lunar mission") == "exists"
    assert people.follow(2, "غزة") == "added"  # another chat's follows are its own
    assert [(f.phrase, f.lang) for f in people.follows(1)] == [
        ("غزة", "ar"),
        ("Lunar Mission", "en"),
    ]
    assert [f.phrase for f in people.follows(2)] == ["غزة"]


@pytest.mark.parametrize(
    ("phrase", "status"),
    [("", "empty"), (" ?! ", "empty"), ("من في على", "stopwords"), ("غ" * 101, "too_long")],
)
def test_follow_refuses_phrases_that_cannot_match(
    people: People, library: Library, phrase: str, status: str
) -> None:
    assert people.follow(1, phrase) == status
    assert people.follows(1) == []


def test_a_chat_follows_at_most_the_limit(people: People, library: Library) -> None:
    for i in range(people_module.MAX_FOLLOWS):
        assert people.follow(1, f"topic{i}") == "added"
    assert people.follow(1, "one more") == "limit"
    assert len(people.follows(1)) == people_module.MAX_FOLLOWS
    assert people.follow(2, "one more") == "added"


def test_unfollow_by_phrase_by_id_and_all(people: People, library: Library) -> None:
    for phrase in ("غزة", "Lunar", "rain"):
        people.follow(1, phrase)
    people.follow(2, "غزة")
    assert [f.phrase for f in people.unfollow(1, "LUNAR")] == ["Lunar"]
    assert people.unfollow(1, "nothing like it") == []
    gaza_of_chat_2 = people.follows(2)[0]
    assert people.unfollow(1, follow_id=gaza_of_chat_2.id) == []  # not this chat's
    rain = next(f for f in people.follows(1) if f.phrase == "rain")
    assert [f.phrase for f in people.unfollow(1, follow_id=rain.id)] == ["rain"]
    people.follow(1, "storm")
    assert sorted(f.phrase for f in people.unfollow(1)) == ["storm", "غزة"]
    assert people.follows(1) == []
    assert [f.phrase for f in people.follows(2)] == ["غزة"]


def test_follows_survive_reopening_the_library(tmp_path: Path) -> None:
    with Library.open(tmp_path / "lib.db"), People(tmp_path / "lib.db") as first:
        first.follow(7, "غزة", "ar")
    with Library.open(tmp_path / "lib.db"), People(tmp_path / "lib.db") as second:
        assert [(f.chat_id, f.phrase, f.lang) for f in second.follows(7)] == [(7, "غزة", "ar")]


def test_an_older_library_gets_the_new_tables(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    Library.open(path).close()
    People(path).close()
    with sqlite3.connect(path) as conn:  # as a library made before follows existed
        for table in ("follows", "alerts_sent", "feedback", "feedback_passages"):
            conn.execute(f"DROP TABLE {table}")
        conn.execute("DELETE FROM _sqlite_migrations WHERE migration_set = 'articlebot.people'")
    with Library.open(path), People(path) as people:
        assert people.follow(1, "غزة") == "added"


def test_follow_gives_up_while_an_ingest_holds_the_library(
    people: People, library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(facade, "USER_WRITE_SECONDS", 0.05)
    other = sqlite3.connect(tmp_path / "lib.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # what an ingest's transaction does to writers
    try:
        with pytest.raises(LibraryBusy):
            people.follow(1, "غزة")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert people.follow(1, "غزة") == "added"


# --- alerts ---------------------------------------------------------------------------------


def test_alerts_offer_only_the_new_matching_articles(people: People, filled: Library) -> None:
    people.follow(1, "غزة", "ar")
    people.follow(2, "الطقس")
    filled.add_articles(
        [
            news("g2", "الهدنة صامدة", "أكد الوسطاء أن الهدنة في غزة صامدة والمفاوضات مستمرة."),
            news("moon", "Lunar mission", "The lander will touch down next month."),
        ]
    )
    plans = people.due_alerts(filled).chats
    assert [p.chat_id for p in plans] == [1]  # nobody else follows what is new
    (alert,) = plans[0].alerts
    assert plans[0].lang == "ar" and plans[0].more == 0
    assert alert.phrase == "غزة" and alert.hit.title == "الهدنة صامدة"  # not the older one
    assert "غزة" in alert.hit.best_sentence and alert.hit.matches


def test_a_phrase_matches_a_passage_holding_all_its_words(people: People, filled: Library) -> None:
    people.follow(1, "وقف إطلاق النار")
    filled.add_articles(
        [
            news("fire", "حريق", "اندلعت النار في مصنع قديم وسط المدينة."),
            news("truce", "هدنة جديدة", "أعلن الطرفان وقف إطلاق النار مساء الأحد."),
        ]
    )
    (plan,) = people.due_alerts(filled).chats
    assert [a.hit.title for a in plan.alerts] == ["هدنة جديدة"]


def test_the_title_counts_as_in_search(people: People, filled: Library) -> None:
    people.follow(1, "مجلس الأمن")
    filled.add_articles([news("un", "مجلس الأمن يجتمع", "اجتمع الأعضاء صباح اليوم.")])
    (plan,) = people.due_alerts(filled).chats
    assert plan.alerts[0].hit.title == "مجلس الأمن يجتمع"


def test_alert_scores_are_the_search_scores(people: People, filled: Library) -> None:
    people.follow(1, "الهدنة غزة")
    filled.add_articles(
        [news("g2", "الهدنة صامدة", "أكد الوسطاء أن الهدنة في غزة صامدة والمفاوضات مستمرة.")]
    )
    (alert,) = people.due_alerts(filled).chats[0].alerts
    searched = {h.passage_id: h.score for h in filled.search("الهدنة غزة", k=10).hits}
    assert alert.hit.score == searched[alert.hit.passage_id]


def test_alerts_are_capped_per_chat_best_first(people: People, filled: Library) -> None:
    people.follow(1, "غزة")
    articles = [
        news(f"n{i}", f"خبر {i}", "غزة " * (i + 1) + "ثم كلام آخر عن أمور كثيرة مختلفة.")
        for i in range(5)
    ]
    filled.add_articles(articles)
    (plan,) = people.due_alerts(filled, per_chat=3).chats
    scores = [a.hit.score for a in plan.alerts]
    assert len(plan.alerts) == 3 and plan.more == 2
    assert scores == sorted(scores, reverse=True)
    assert [a.hit.title for a in plan.alerts] == ["خبر 4", "خبر 3", "خبر 2"]


def test_an_article_matching_two_follows_is_offered_once(people: People, filled: Library) -> None:
    people.follow(1, "غزة")
    people.follow(1, "الهدنة")
    filled.add_articles(
        [news("g2", "الهدنة صامدة", "أكد الوسطاء أن الهدنة في غزة صامدة والمفاوضات مستمرة.")]
    )
    (plan,) = people.due_alerts(filled).chats
    assert len(plan.alerts) == 1


def test_an_alert_is_never_sent_twice(people: People, filled: Library, tmp_path: Path) -> None:
    people.follow(1, "غزة")
    people.follow(2, "غزة")
    filled.add_articles([news("g2", "غزة اليوم", "هدوء حذر في غزة صباح اليوم.")])
    first, second = people.due_alerts(filled).chats
    assert (first.chat_id, second.chat_id) == (1, 2)
    assert len(people.mark_sent(first).alerts) == 1
    assert people.mark_sent(first).alerts == []  # a second sender gets nothing to send
    # Made again (the mark has not moved): chat 1 is done, chat 2 is not.
    assert [p.chat_id for p in people.due_alerts(filled).chats] == [2]
    filled.close()
    people.close()
    with Library.open(tmp_path / "lib.db") as reopened, People(reopened.path) as again:
        assert [p.chat_id for p in again.due_alerts(reopened).chats] == [2]


def test_no_follows_or_no_new_articles_mean_no_alerts(people: People, filled: Library) -> None:
    filled.add_articles([news("g2", "غزة اليوم", "هدوء حذر في غزة.")])
    assert people.due_alerts(filled).chats == []
    people.follow(1, "غزة")
    assert people.due_alerts(filled) == DueAlerts()
    again = filled.add_articles([news("g2", "غزة اليوم", "هدوء حذر في غزة.")])
    assert again.added_ids == [] and people.due_alerts(filled) == DueAlerts()


def test_alerts_after_a_file_ingest(people: People, library: Library, tmp_path: Path) -> None:
    people.follow(1, "lunar")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.md").write_text(
        "---\ntitle: A lunar mission\n---\nThe agency launched it on Friday.\n", encoding="utf-8"
    )
    library.ingest([tmp_path / "src"])
    (plan,) = people.due_alerts(library).chats
    assert plan.alerts[0].hit.title == "A lunar mission"


def test_a_one_word_follow_finds_other_forms_of_the_word(people: People, filled: Library) -> None:
    people.follow(1, "غزة")
    people.follow(2, "الحرب")
    filled.add_articles(
        [news("w", "أخبار المنطقة", "تحدث الوزير عن حرب طويلة بين رفح وغزة والمدن المجاورة.")]
    )
    assert [p.chat_id for p in people.due_alerts(filled).chats] == [1, 2]


def test_sent_articles_are_looked_up_in_batches(people: People, library: Library) -> None:
    db = people._db()
    follows_store.claim_alerts(db, [(1, 7, None), (1, 1200, None), (2, 8, None)])
    # more ids than any SQLite build allows variables in one statement (250,000 at most)
    assert follows_store.sent_articles(db, 1, list(range(1, 300_000))) == {7, 1200}


# --- the alerts mark: every new article handled once, whoever added it --------------------


def truce(key: str = "g2") -> Article:
    return news(key, "الهدنة صامدة", "أكد الوسطاء أن الهدنة في غزة صامدة والمفاوضات مستمرة.")


def test_due_alerts_cover_what_was_added_since_they_were_last_handled(
    people: People, filled: Library
) -> None:
    people.follow(1, "غزة", "ar")
    assert people.due_alerts(filled).through is None  # GAZA came before anyone followed
    first = filled.add_articles([truce()]).added_ids
    second = filled.add_articles([news("g3", "غزة اليوم", "هدوء حذر في غزة.")]).added_ids
    due = people.due_alerts(filled)
    assert due.through == second[-1]
    (plan,) = due.chats
    assert sorted(a.hit.article_id for a in plan.alerts) == sorted(first + second)
    people.alerts_done(filled, due.through)
    assert people.due_alerts(filled).through is None
    people.alerts_done(filled, first[-1])  # a slower sender that handled less: the mark stays
    assert people.due_alerts(filled).through is None


def test_articles_stored_while_nobody_follows_are_never_news(
    people: People, filled: Library
) -> None:
    filled.add_articles([truce()])
    people.follow(1, "غزة")
    assert people.due_alerts(filled) == DueAlerts()
    later = filled.add_articles([truce("g3")]).added_ids
    assert people.due_alerts(filled).through == later[-1]


def test_an_existing_library_is_not_announced_when_it_gets_the_mark(tmp_path: Path) -> None:
    with Library.open(tmp_path / "lib.db") as library, People(library.path) as people:
        people.follow(1, "غزة")
        library.add_articles([GAZA, RAIN])
    with sqlite3.connect(tmp_path / "lib.db") as conn:  # as a library made before the mark
        conn.execute("DELETE FROM people_meta WHERE key = 'alerts_through'")
    with Library.open(tmp_path / "lib.db") as library, People(library.path) as people:
        assert people.due_alerts(library).through is None
        new = library.add_articles([truce()]).added_ids
        assert [a.hit.article_id for a in people.due_alerts(library).chats[0].alerts] == new


def test_due_alerts_include_another_process_ingest_once_its_index_is_saved(
    people: People, filled: Library, tmp_path: Path
) -> None:
    people.follow(1, "غزة")
    filled.recheck_seconds = 3600  # this process has not looked at the library again yet
    filled.search("غزة")
    with Library.open(tmp_path / "lib.db") as other:  # a command-line ingest
        added = other.add_articles([truce()]).added_ids
    assert people.due_alerts(filled) == DueAlerts()  # not searchable here yet
    filled.recheck_seconds = 0
    due = people.due_alerts(filled)
    assert due.through == added[-1] and due.chats[0].alerts[0].hit.article_id == added[-1]


def test_due_alerts_stop_at_the_first_article_the_index_lacks(
    people: People, filled: Library
) -> None:
    people.follow(1, "غزة")
    ready = filled.add_articles([truce()]).added_ids
    filled.recheck_seconds = 3600
    filled.search("غزة")
    with Library.open(filled.path) as other:
        other.add_articles([truce("g3")])
    due = people.due_alerts(filled)
    assert due.through == ready[-1]
    assert [a.hit.article_id for a in due.chats[0].alerts] == ready


def test_what_the_cap_left_out_is_not_sent_when_alerts_are_made_again(
    people: People, filled: Library
) -> None:
    people.follow(1, "غزة")
    people.follow(2, "غزة")
    filled.add_articles(
        news(f"n{i}", f"خبر {i}", "غزة " * (i + 1) + "ثم كلام آخر.") for i in range(5)
    )
    first, second = people.due_alerts(filled, per_chat=3).chats
    claimed = people.mark_sent(first)
    assert len(claimed.alerts) == 3 and claimed.more == 2
    # Chat 2 could not be claimed (busy): the mark stays, and the alerts are made again.
    (again,) = people.due_alerts(filled, per_chat=3).chats
    assert again.chat_id == 2 and again == second
    assert people.mark_sent(first).alerts == [] and people.mark_sent(first).more == 0


@contextmanager
def ingest_writing(path: Path) -> Iterator[None]:
    """What an ingest's transaction does to other writers, for as long as the block runs."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_claiming_and_the_mark_give_up_while_an_ingest_writes(
    people: People, filled: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(facade, "USER_WRITE_SECONDS", 0.05)
    people.follow(1, "غزة")
    filled.add_articles([truce()])
    due = people.due_alerts(filled)
    with ingest_writing(filled.path):
        with pytest.raises(LibraryBusy):
            people.mark_sent(due.chats[0])
        with pytest.raises(LibraryBusy):
            people.alerts_done(filled, due.through)
    assert people.due_alerts(filled) == due  # nothing was claimed: all of it is still due


# --- a group that becomes a supergroup ------------------------------------------------------


def test_move_chat_takes_follows_and_sent_alerts_along(people: People, filled: Library) -> None:
    people.follow(-5, "غزة", "ar")
    people.follow(-5, "الهدنة", "ar")
    people.follow(-1005, "الهدنة", "en")  # already followed in the supergroup
    people.follow(9, "غزة")
    filled.add_articles([truce()])
    (old_plan,) = [p for p in people.due_alerts(filled).chats if p.chat_id == -5]
    people.mark_sent(old_plan)
    assert people.move_chat(-5, -1005) == 1
    assert people.follows(-5) == []
    assert [(f.phrase, f.lang) for f in people.follows(-1005)] == [("غزة", "ar"), ("الهدنة", "en")]
    # What the group was sent is not sent again to the supergroup; other chats are untouched.
    assert [p.chat_id for p in people.due_alerts(filled).chats] == [9]
    assert people.move_chat(-5, -1005) == 0  # a second notice of the same move


# --- an article stored but never indexed ----------------------------------------------------


def fail_index_build_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The next index build fails (a full disk, a kill) after the ingest's commit."""
    real = ServingIndex.build

    def failing(self: ServingIndex, db: object) -> object:
        monkeypatch.setattr(ServingIndex, "build", real)
        raise OSError("no space left on device")

    monkeypatch.setattr(ServingIndex, "build", failing)


def test_an_ingest_finding_nothing_new_indexes_what_an_earlier_one_stored(
    people: People, filled: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    people.follow(1, "غزة")
    fail_index_build_once(monkeypatch)
    with pytest.raises(OSError):
        filled.add_articles([truce()])
    assert people.due_alerts(filled).through is None  # stored, but not searchable
    again = filled.add_articles([truce()])
    assert again.unchanged == 1 and again.added_ids == []
    assert any(h.title == "الهدنة صامدة" for h in filled.search("الهدنة غزة").hits)
    (plan,) = people.due_alerts(filled).chats
    assert [a.hit.title for a in plan.alerts] == ["الهدنة صامدة"]


def test_alerts_held_by_a_missing_index_are_rebuilt_after_a_while(
    people: People,
    filled: Library,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    people.follow(1, "غزة")
    filled.recheck_seconds = 0
    with Library.open(filled.path) as other:  # a command-line ingest killed before its save
        fail_index_build_once(monkeypatch)
        with pytest.raises(OSError):
            other.add_articles([truce()])
    with caplog.at_level("DEBUG", logger="knowledge.matching"):
        assert people.due_alerts(filled).through is None  # maybe its index is on its way
    assert "WARNING" not in [r.levelname for r in caplog.records]
    filled._lock._thread_lock.acquire()  # an ingest of this process is running: not its job
    try:
        filled.index_repair_seconds = 0
        with caplog.at_level("WARNING", logger="knowledge.matching"):
            assert people.due_alerts(filled).through is None
        assert "the index lacks it" in caplog.text
    finally:
        filled._lock._thread_lock.release()
    (plan,) = people.due_alerts(filled).chats
    assert [a.hit.title for a in plan.alerts] == ["الهدنة صامدة"]
    assert any(h.title == "الهدنة صامدة" for h in filled.search("الهدنة غزة").hits)


# --- an edit committed during an alert round ------------------------------------------------


def edit_while_reading_passages(monkeypatch: pytest.MonkeyPatch, edit: Callable[[], None]) -> None:
    """Run ``edit`` just before the next passage read of the alerts (the race it stands for:
    an edit committing between reading the new articles' passages and reading their text)."""
    real = articles_store.passages_by_id

    def racing(db: object, ids: list[int], **kwargs: bool) -> dict[int, dict]:
        monkeypatch.setattr(articles_store, "passages_by_id", real)
        edit()
        return real(db, ids, **kwargs)

    monkeypatch.setattr(articles_store, "passages_by_id", racing)


def test_an_edit_committed_during_a_round_keeps_the_alert(
    people: People, filled: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    people.follow(1, "غزة")
    (article_id,) = filled.add_articles([truce()]).added_ids
    db = filled._db()

    def commit_edit() -> None:  # what an edit's transaction does to the old passages
        with db.atomic():
            db.execute("UPDATE passages SET retired = 1 WHERE article_id = ?", [article_id])

    edit_while_reading_passages(monkeypatch, commit_edit)
    due = people.due_alerts(filled)
    assert [a.hit.article_id for a in due.chats[0].alerts] == [article_id]
    assert due.through == article_id


def test_an_article_whose_passages_an_edit_purged_is_retried(
    people: People, filled: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    people.follow(1, "غزة")
    before, edited = filled.add_articles([truce("g2"), truce("g3")]).added_ids
    filled.recheck_seconds = 3600  # the round reads the index it had

    def edit_and_purge() -> None:  # another process's whole edit: commit, index, purge
        with Library.open(filled.path) as other:
            other.add_articles([news("g3", "الهدنة صامدة", "ما زالت الهدنة في غزة صامدة.")])

    edit_while_reading_passages(monkeypatch, edit_and_purge)
    due = people.due_alerts(filled)
    assert [a.hit.article_id for a in due.chats[0].alerts] == [before]
    assert due.through == edited - 1  # the edited article is not done
    people.mark_sent(due.chats[0])
    people.alerts_done(filled, due.through)
    filled.recheck_seconds = 0
    (plan,) = people.due_alerts(filled).chats
    assert [a.hit.article_id for a in plan.alerts] == [edited]
    assert "ما زالت" in plan.alerts[0].hit.text


def test_a_private_chat_gets_its_alerts_in_the_language_it_chose_later(
    people: People, filled: Library
) -> None:
    people.follow(1, "غزة", "ar")
    people.follow(2, "غزة", "ar")  # chose nothing since
    people.follow(-5, "غزة", "ar")  # a group: a member's choice is not the group's
    people.set_language(1, "en")
    people.set_language(5, "en")
    filled.add_articles([truce()])
    langs = {plan.chat_id: plan.lang for plan in people.due_alerts(filled).chats}
    assert langs == {1: "en", 2: "ar", -5: "ar"}


def test_the_record_of_old_alerts_and_removed_articles_is_pruned(
    people: People, filled: Library
) -> None:
    people.follow(1, "غزة")
    old, recent, removed = filled.add_articles([truce("g2"), truce("g3"), truce("g4")]).added_ids
    later = filled.add_articles([truce("g5")]).added_ids[-1]  # past the mark below
    db = filled._db()
    follows_store.claim_alerts(people._db(), [(1, i, None) for i in (old, recent, removed, later)])
    with db.atomic():
        db.execute(
            "UPDATE alerts_sent SET sent_at = '2020-01-01T00:00:00+00:00' "
            "WHERE article_id IN (?, ?)",
            [old, later],
        )
        articles_store.retire_articles(db, [removed])
    articles_store.purge_retired(db)
    people.alerts_done(filled, removed)
    kept = {row[0] for row in people._db().execute("SELECT article_id FROM alerts_sent")}
    assert kept == {recent, later}  # an old record of an article no round handled yet stays
