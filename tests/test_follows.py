"""Follows and alerts in the library: what a chat follows, and which new articles it is sent."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from knowledge import Article, Library, LibraryBusy
from knowledge import library as library_module

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


def test_follow_lists_and_refuses_duplicates_in_any_case(library: Library) -> None:
    assert library.follow(1, "غزة", "ar") == "added"
    assert library.follow(1, "  «Lunar   Mission» ", "en") == "added"
    assert library.follow(1, "lunar mission") == "exists"
    assert library.follow(2, "غزة") == "added"  # another chat's follows are its own
    assert [(f.phrase, f.lang) for f in library.follows(1)] == [
        ("غزة", "ar"),
        ("Lunar Mission", "en"),
    ]
    assert [f.phrase for f in library.follows(2)] == ["غزة"]


@pytest.mark.parametrize(
    ("phrase", "status"),
    [("", "empty"), (" ?! ", "empty"), ("من في على", "stopwords"), ("غ" * 101, "too_long")],
)
def test_follow_refuses_phrases_that_cannot_match(
    library: Library, phrase: str, status: str
) -> None:
    assert library.follow(1, phrase) == status
    assert library.follows(1) == []


def test_a_chat_follows_at_most_the_limit(library: Library) -> None:
    for i in range(library_module.MAX_FOLLOWS):
        assert library.follow(1, f"topic{i}") == "added"
    assert library.follow(1, "one more") == "limit"
    assert len(library.follows(1)) == library_module.MAX_FOLLOWS
    assert library.follow(2, "one more") == "added"


def test_unfollow_by_phrase_by_id_and_all(library: Library) -> None:
    for phrase in ("غزة", "Lunar", "rain"):
        library.follow(1, phrase)
    library.follow(2, "غزة")
    assert [f.phrase for f in library.unfollow(1, "LUNAR")] == ["Lunar"]
    assert library.unfollow(1, "nothing like it") == []
    gaza_of_chat_2 = library.follows(2)[0]
    assert library.unfollow(1, follow_id=gaza_of_chat_2.id) == []  # not this chat's
    rain = next(f for f in library.follows(1) if f.phrase == "rain")
    assert [f.phrase for f in library.unfollow(1, follow_id=rain.id)] == ["rain"]
    library.follow(1, "storm")
    assert sorted(f.phrase for f in library.unfollow(1)) == ["storm", "غزة"]
    assert library.follows(1) == []
    assert [f.phrase for f in library.follows(2)] == ["غزة"]


def test_follows_survive_reopening_the_library(tmp_path: Path) -> None:
    with Library.open(tmp_path / "lib.db") as first:
        first.follow(7, "غزة", "ar")
    with Library.open(tmp_path / "lib.db") as second:
        assert [(f.chat_id, f.phrase, f.lang) for f in second.follows(7)] == [(7, "غزة", "ar")]


def test_an_older_library_gets_the_new_tables(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    Library.open(path).close()
    with sqlite3.connect(path) as conn:  # as a library made before follows existed
        for table in ("follows", "alerts_sent", "feedback", "feedback_passages"):
            conn.execute(f"DROP TABLE {table}")
    with Library.open(path) as library:
        assert library.follow(1, "غزة") == "added"


def test_follow_gives_up_while_an_ingest_holds_the_library(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(library_module, "USER_WRITE_SECONDS", 0.05)
    other = sqlite3.connect(tmp_path / "lib.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # what an ingest's transaction does to writers
    try:
        with pytest.raises(LibraryBusy):
            library.follow(1, "غزة")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert library.follow(1, "غزة") == "added"


# --- alerts ---------------------------------------------------------------------------------


def test_alerts_offer_only_the_new_matching_articles(filled: Library) -> None:
    filled.follow(1, "غزة", "ar")
    filled.follow(2, "الطقس")
    report = filled.add_articles(
        [
            news("g2", "الهدنة صامدة", "أكد الوسطاء أن الهدنة في غزة صامدة والمفاوضات مستمرة."),
            news("moon", "Lunar mission", "The lander will touch down next month."),
        ]
    )
    plans = filled.alerts(report.added_ids)
    assert [p.chat_id for p in plans] == [1]  # nobody else follows what is new
    (alert,) = plans[0].alerts
    assert plans[0].lang == "ar" and plans[0].more == 0
    assert alert.phrase == "غزة" and alert.hit.title == "الهدنة صامدة"  # not the older one
    assert "غزة" in alert.hit.best_sentence and alert.hit.matches


def test_a_phrase_matches_a_passage_holding_all_its_words(filled: Library) -> None:
    filled.follow(1, "وقف إطلاق النار")
    report = filled.add_articles(
        [
            news("fire", "حريق", "اندلعت النار في مصنع قديم وسط المدينة."),
            news("truce", "هدنة جديدة", "أعلن الطرفان وقف إطلاق النار مساء الأحد."),
        ]
    )
    (plan,) = filled.alerts(report.added_ids)
    assert [a.hit.title for a in plan.alerts] == ["هدنة جديدة"]


def test_the_title_counts_as_in_search(filled: Library) -> None:
    filled.follow(1, "مجلس الأمن")
    report = filled.add_articles([news("un", "مجلس الأمن يجتمع", "اجتمع الأعضاء صباح اليوم.")])
    (plan,) = filled.alerts(report.added_ids)
    assert plan.alerts[0].hit.title == "مجلس الأمن يجتمع"


def test_alert_scores_are_the_search_scores(filled: Library) -> None:
    filled.follow(1, "الهدنة غزة")
    report = filled.add_articles(
        [news("g2", "الهدنة صامدة", "أكد الوسطاء أن الهدنة في غزة صامدة والمفاوضات مستمرة.")]
    )
    (alert,) = filled.alerts(report.added_ids)[0].alerts
    searched = {h.passage_id: h.score for h in filled.search("الهدنة غزة", k=10).hits}
    assert alert.hit.score == searched[alert.hit.passage_id]


def test_alerts_are_capped_per_chat_best_first(filled: Library) -> None:
    filled.follow(1, "غزة")
    articles = [
        news(f"n{i}", f"خبر {i}", "غزة " * (i + 1) + "ثم كلام آخر عن أمور كثيرة مختلفة.")
        for i in range(5)
    ]
    report = filled.add_articles(articles)
    (plan,) = filled.alerts(report.added_ids, per_chat=3)
    scores = [a.hit.score for a in plan.alerts]
    assert len(plan.alerts) == 3 and plan.more == 2
    assert scores == sorted(scores, reverse=True)
    assert [a.hit.title for a in plan.alerts] == ["خبر 4", "خبر 3", "خبر 2"]


def test_an_article_matching_two_follows_is_offered_once(filled: Library) -> None:
    filled.follow(1, "غزة")
    filled.follow(1, "الهدنة")
    report = filled.add_articles(
        [news("g2", "الهدنة صامدة", "أكد الوسطاء أن الهدنة في غزة صامدة والمفاوضات مستمرة.")]
    )
    (plan,) = filled.alerts(report.added_ids)
    assert len(plan.alerts) == 1


def test_an_alert_is_never_sent_twice(filled: Library, tmp_path: Path) -> None:
    filled.follow(1, "غزة")
    filled.follow(2, "غزة")
    report = filled.add_articles([news("g2", "غزة اليوم", "هدوء حذر في غزة صباح اليوم.")])
    first, second = filled.alerts(report.added_ids)
    assert (first.chat_id, second.chat_id) == (1, 2)
    assert len(filled.mark_sent(first.alerts)) == 1
    assert filled.mark_sent(first.alerts) == []  # a second sender gets nothing to send
    # The same ids again (a shared reload path calling twice): chat 1 is done, chat 2 is not.
    assert [p.chat_id for p in filled.alerts(report.added_ids)] == [2]
    filled.close()
    with Library.open(tmp_path / "lib.db") as reopened:
        assert [p.chat_id for p in reopened.alerts(report.added_ids)] == [2]


def test_no_follows_or_no_new_articles_mean_no_alerts(filled: Library) -> None:
    report = filled.add_articles([news("g2", "غزة اليوم", "هدوء حذر في غزة.")])
    assert filled.alerts(report.added_ids) == []
    filled.follow(1, "غزة")
    assert filled.alerts([]) == []
    again = filled.add_articles([news("g2", "غزة اليوم", "هدوء حذر في غزة.")])
    assert again.added_ids == [] and filled.alerts(again.added_ids) == []


def test_alerts_after_a_file_ingest(library: Library, tmp_path: Path) -> None:
    library.follow(1, "lunar")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.md").write_text(
        "---\ntitle: A lunar mission\n---\nThe agency launched it on Friday.\n", encoding="utf-8"
    )
    report = library.ingest([tmp_path / "src"])
    (plan,) = library.alerts(report.added_ids)
    assert plan.alerts[0].hit.title == "A lunar mission"


def test_a_one_word_follow_finds_other_forms_of_the_word(filled: Library) -> None:
    filled.follow(1, "غزة")
    filled.follow(2, "الحرب")
    report = filled.add_articles(
        [news("w", "أخبار المنطقة", "تحدث الوزير عن حرب طويلة بين رفح وغزة والمدن المجاورة.")]
    )
    assert [p.chat_id for p in filled.alerts(report.added_ids)] == [1, 2]
