"""Boilerplate paragraphs (datelines, link lines, headline repeats) are recognised, news
paragraphs never are, and a library neither indexes nor quotes boilerplate."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import knowledge.passages
from knowledge import Library
from knowledge.analysis import analyse
from knowledge.boilerplate import is_boilerplate, is_dateline, is_link_line, repeats_headline

NEWS = Path(__file__).parent / "fixtures" / "news"


@pytest.mark.parametrize(
    "line",
    [
        "القاهرة - 12 شوال 1442 هـ الموافق 24 مايو 2021 م (واس)",
        "غزة - وكالة الأنباء",
        "غزة - 9 شوال 1442 هـ الموافق 21 مايو 2021 م - وكالة الأنباء الفلسطينية (وفا)",
        "الرياض 1445/03/12 هـ الموافق 27 سبتمبر 2023 م واس",
        "جدة - واس",
        "دبي - وام:",
        "لندن - رويترز",
        "القدس المحتلة - صفا",
        "رام الله - وفا",
        "بيروت - «الأخبار»",
        "الخميس 21 أيار/ مايو 2021",
        "آخر تحديث: 24 مايو 2021 - 10:30 ص",
        "CAIRO, May 24 (Reuters) -",
        "Cairo, 24 May 2021 (SPA)",
        "WASHINGTON (AP) —",
        "ATHENS, Greece (AP) —",
        "Published: 24 May 2021",
    ],
)
def test_datelines(line: str) -> None:
    assert is_dateline(line)
    assert is_boilerplate(line)


@pytest.mark.parametrize(
    "paragraph",
    [
        # a dateline that opens the story's first paragraph: the paragraph is the news
        "القاهرة - قال وزير الخارجية المصري، الاثنين 24 مايو 2021، إن المحادثات مستمرة.",
        "LONDON (Reuters) - Britain's economy grew faster than expected in April, official "
        "data showed on Friday.",
        "أعلنت وكالة الأنباء السعودية (واس) في 24 مايو 2021 أن الملك استقبل الوفد",
        "وقالت وكالة الأنباء الفلسطينية إن القصف استمر حتى الفجر",
        # short lines that give a fact with a date or a number
        "وكان ذلك في 24 مايو 2021",
        "It happened on May 24, 2021",
        "Reuters reported the figures on Monday",
        "الموعد: الأحد 24 مايو 2021",
        "عدد القتلى: 279",
        "Hamas said on Friday it would respect the truce",
        "May God have mercy on them",
        # quotations
        'قال: "لن نستسلم"',
        "قال: «لن نستسلم»",
        "«لن نستسلم»",
        "غزة",
    ],
)
def test_news_paragraphs_are_not_datelines(paragraph: str) -> None:
    assert not is_dateline(paragraph)
    assert not is_boilerplate(paragraph)


@pytest.mark.parametrize(
    "line",
    [
        "رابط الخبر في صحيفة الرياض: https://www.alriyadh.com/1890000",
        "للمزيد: https://www.okaz.com.sa/news/local/2140000",
        "https://example.com/story",
        "Full story: https://bbc.co.uk/news/123",
        "Source: https://www.example.com/business/felixstowe-strike",
        "Source: Reuters",
        "المصدر: وكالات",
        "اقرأ أيضا: مصر تعلن تخصيص 500 مليون دولار لإعادة إعمار قطاع غزة",
        "إقرأ أيضاً.. الهدنة تصمد في غزة",
        "اقرأ أيضاً",
        "Read more: Inflation in Britain hits 40-year high of 10.1%",
        "See also: Europe swelters in record July heatwave",
        "Read more",
    ],
)
def test_link_lines(line: str) -> None:
    assert is_link_line(line)
    assert is_boilerplate(line)


@pytest.mark.parametrize(
    "paragraph",
    [
        "The ministry published the full list of the 279 names on https://moh.gov.ps on Friday.",
        "Visit www.example.com to register before the deadline, the ministry said in a statement.",
        "ونشرت الوزارة أسماء المقبولين على موقعها https://moe.gov.sa وأمهلتهم أسبوعا للتسجيل.",
        "المصدر أكد أن المفاوضات ستستأنف الأسبوع المقبل في القاهرة",
        "وقال المصدر: إن المفاوضات ستستأنف الأسبوع المقبل في القاهرة بحضور الوسطاء. "
        "وأضاف أن الوفدين وصلا مساء الأحد.",
        "Sources said the talks would resume next week in Cairo.",
        "Read the full statement, he told reporters, before judging.",
        "رابط التسجيل متاح على موقع الوزارة حتى نهاية الشهر الجاري وفق ما أعلنت الوزارة",
        "Related to the ceasefire, Egypt sent a delegation to Gaza on Saturday. Talks continue.",
    ],
)
def test_news_paragraphs_are_not_link_lines(paragraph: str) -> None:
    assert not is_link_line(paragraph)
    assert not is_boilerplate(paragraph)


TITLE = "افتتاح محطة تحلية جديدة في جدة بطاقة 600 ألف متر مكعب يوميا لخدمة مليوني نسمة"


@pytest.mark.parametrize(
    ("paragraph", "repeats"),
    [
        (TITLE, True),
        ("افتتاح محطة التحلية الجديدة في جدة بطاقة 600 ألف متر مكعب يوميا", True),
        ("Dockworkers begin strike", False),
        ("افتتاح محطة تحلية جديدة", False),  # a part of the headline: a subheading
        ("افتتحت المؤسسة محطة تحلية جديدة في جدة بطاقة 600 ألف متر مكعب يوميا.", False),
        ("وقال المحافظ إن محطة جدة تخدم مليوني نسمة بعد افتتاحها اليوم", False),
    ],
)
def test_headline_repeats(paragraph: str, repeats: bool) -> None:
    assert repeats_headline(paragraph, frozenset(analyse(TITLE))) is repeats


def test_a_long_paragraph_is_never_boilerplate() -> None:
    paragraph = "القاهرة - 12 شوال 1442 هـ (واس) " + "قال الوزير إن المحادثات مستمرة " * 8
    assert not is_boilerplate(paragraph, frozenset(analyse(paragraph)))


QUESTIONS = [
    ("ما الطاقة الإنتاجية لمحطة التحلية الجديدة في جدة؟", "600 ألف متر مكعب من المياه"),
    ("متى بدأ وقف إطلاق النار في غزة؟", "بدأ فجر الجمعة"),
    ("متى يفتح مترو الرياض للركاب؟", "أمام الركاب"),
    ("How many workers are on strike at Felixstowe port?", "1,900 workers"),
    ("What pay rise did the Felixstowe port operator offer?", "7% pay rise"),
    ("How many residents were evacuated because of the wildfire near Athens?", "3,000 residents"),
]
BOILERPLATE = (
    "جدة - 12",
    "غزة - 9",
    "الرياض 1445",
    "LONDON, Aug",
    "ATHENS, Greece",
    "رابط الخبر",
    "للمزيد",
    "اقرأ أيضا",
    "المصدر",
    "Read more",
    "Source",
    "See also",
    "افتتاح محطة تحلية",
    "Dockworkers at Felixstowe port begin",
)


@pytest.mark.parametrize(("question", "answer"), QUESTIONS)
def test_boilerplate_takes_no_result_slot(library: Library, question: str, answer: str) -> None:
    library.ingest([NEWS])
    hits = library.search(question, 3).hits
    assert answer in hits[0].text
    assert not [h.text for h in hits if h.text.startswith(BOILERPLATE)]
    assert not [h.text for h in hits if "https://" in h.text or "(واس)" in h.text]


def test_boilerplate_stays_in_the_article(library: Library) -> None:
    library.ingest([NEWS])
    (hit,) = library.search("محطة التحلية في جدة", 1).hits
    article = library.article(hit.article_id)
    assert article is not None
    assert "جدة - 12 شوال 1442 هـ الموافق 24 مايو 2021 م (واس)" in article.text
    assert "https://www.alriyadh.com/1890000" in article.text
    assert article.text[hit.start : hit.end] == hit.text


def _passages(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT text, id FROM passages WHERE retired = 0").fetchall())


def test_a_library_split_before_drops_its_boilerplate_when_opened(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as old:  # the splitter before boilerplate was recognised
        old.setattr(knowledge.passages, "is_boilerplate", lambda *_: False)
        old.setattr(knowledge.passages, "PASSAGES_VERSION", "before")
        library.ingest([NEWS])
    library.close()
    before = _passages(library.path)
    assert any(text.startswith("جدة - 12 شوال") for text in before)
    with Library.open(library.path) as reopened:
        after = _passages(reopened.path)
        assert not any(text.startswith(BOILERPLATE) for text in after)
        # an unchanged passage keeps its id (votes and chat buttons name passages by id)
        kept = set(before) & set(after)
        assert kept and all(before[text] == after[text] for text in kept)
        hits = reopened.search("كم عدد القتلى في غزة؟", 3).hits
        assert not [h.text for h in hits if h.text.startswith(BOILERPLATE)]


def test_a_one_sentence_lede_that_titles_its_article_is_kept(
    library: Library, tmp_path: Path
) -> None:
    # A plain-text article without a title is titled by its first sentence.
    lede = "Israel and Hamas agreed to a ceasefire on Friday after eleven days of fighting."
    more = "Egypt said it would send two delegations to monitor the truce, officials said."
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "lede.txt").write_text(f"{lede}\n\n{more}\n", encoding="utf-8")
    library.ingest([tmp_path / "src"])
    (hit,) = library.search("When did Israel and Hamas agree to a ceasefire?", 1).hits
    assert hit.title == lede.rstrip(".")
    assert hit.text.startswith(lede)
