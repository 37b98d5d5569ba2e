"""bot.i18n: strings per language, plurals and dates through Babel, the reply language."""

from __future__ import annotations

import datetime as dt
import string

import pytest
from babel import Locale

from bot import i18n


@pytest.mark.parametrize(
    ("override", "code", "question", "expected"),
    [
        (None, "ar-EG", None, "ar"),
        (None, "en", None, "en"),
        (None, None, None, "en"),
        (None, "en", "ما هي سيف القدس", "ar"),
        (None, "ar", "what happened", "ar"),  # an Arabic client keeps its Arabic UI
        (None, "en-US", "what happened", "en"),
        ("en", "ar", "ما هي", "en"),
        (None, "ar", "😀😀", "ar"),
    ],
)
def test_choose_lang(override, code, question, expected) -> None:
    assert i18n.choose_lang(override, code, question) == expected


@pytest.mark.parametrize(
    ("n", "ar", "en"),
    [
        (1, "مقالًا إخباريًا واحدًا", "1 news article"),
        (2, "مقالين إخباريين", "2 news articles"),
        (3, "3 مقالات إخبارية", "3 news articles"),
        (11, "11 مقالًا إخباريًا", "11 news articles"),
        (100, "100 مقال إخباري", "100 news articles"),
        (1203, "1,203 مقالات إخبارية", "1,203 news articles"),
    ],
)
def test_article_counts_are_grammatical(n: int, ar: str, en: str) -> None:
    assert i18n.count_articles(n, "ar") == ar
    assert i18n.count_articles(n, "en") == en


# Today's hand-written Arabic rules, as literal strings: 1 and 2 have their own forms, 3-10
# (by the last two digits) a plural, 11-99 an accusative singular, and 0, 100-102, 1000 the
# genitive singular.
@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "0 مقال إخباري"),
        (1, "مقالًا إخباريًا واحدًا"),
        (2, "مقالين إخباريين"),
        (3, "3 مقالات إخبارية"),
        (10, "10 مقالات إخبارية"),
        (11, "11 مقالًا إخباريًا"),
        (99, "99 مقالًا إخباريًا"),
        (100, "100 مقال إخباري"),
        (101, "101 مقال إخباري"),
        (102, "102 مقال إخباري"),
        (103, "103 مقالات إخبارية"),
        (111, "111 مقالًا إخباريًا"),
        (1000, "1,000 مقال إخباري"),
    ],
)
def test_babel_plural_rules_match_the_hand_written_arabic_ones(n: int, expected: str) -> None:
    assert i18n.count_articles(n, "ar") == expected


@pytest.mark.parametrize(("n", "expected"), [(0, "0 news articles"), (1, "1 news article")])
def test_english_plurals(n: int, expected: str) -> None:
    assert i18n.count_articles(n, "en") == expected


@pytest.mark.parametrize(
    ("published", "ar", "en"),
    [
        ("2021-05-21", "21 مايو 2021", "21 May 2021"),
        ("2024-01-05T10:00:00+00:00", "5 يناير 2024", "5 January 2024"),
        ("2020-12-31", "31 ديسمبر 2020", "31 December 2020"),
        ("last spring", "last spring", "last spring"),
        ("2021-13-01", "2021-13-01", "2021-13-01"),
        ("", "", ""),
        (None, "", ""),
    ],
)
def test_dates_through_babel(published: str | None, ar: str, en: str) -> None:
    assert i18n.format_date(published, "ar") == ar
    assert i18n.format_date(published, "en") == en


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    ar, en = i18n.strings("ar"), i18n.strings("en")
    assert list(ar) == list(en)
    for key in en:
        if isinstance(en[key], dict):  # a plural: each language's own categories
            for lang, forms in (("ar", ar[key]), ("en", en[key])):
                assert isinstance(forms, dict)
                assert set(forms) == set(Locale(lang).plural_form.tags) | {"other"}, (lang, key)
                assert all(_placeholders(f) <= {"count"} for f in forms.values()), (lang, key)
        else:
            assert isinstance(ar[key], str) and isinstance(en[key], str), key
            assert _placeholders(ar[key]) == _placeholders(en[key]), key


def test_strings_are_html_templates_and_plain_labels() -> None:
    done = "🔕 You no longer follow <b>&lt;b&gt;</b>."
    assert i18n.t("en", "unfollow_done", phrase="<b>") == done
    assert i18n.t_plain("ar", "show_article", title="<b>") == "📄 <b>"
    assert i18n.t("fr", "never") == "never"  # an unknown language falls back to English


# --- recent dates as people say them (issue 11, item 11) --------------------------------------

NOW = dt.datetime(2026, 11, 30, 6, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    ("published", "ar", "en"),
    [
        ("2026-11-30T04:00:00+00:00", "قبل ساعتين", "2 hours ago"),
        ("2026-11-30T05:30:00Z", "قبل 30 دقيقة", "30 minutes ago"),
        ("2026-11-30", "اليوم", "today"),
        ("2026-11-29", "أمس", "yesterday"),
        ("2026-11-28T23:00:00", "قبل يومين", "2 days ago"),
        ("2026-11-27", "قبل 3 أيام", "3 days ago"),
        ("2026-11-24", "قبل 6 أيام", "6 days ago"),
        ("2026-11-23", "23 نوفمبر 2026", "23 November 2026"),  # a week ago: the date
        ("2026-12-01", "1 ديسمبر 2026", "1 December 2026"),  # the future: the date
    ],
)
def test_recent_dates_are_said_as_people_say_them(published: str, ar: str, en: str) -> None:
    assert i18n.format_date(published, "ar", NOW) == ar
    assert i18n.format_date(published, "en", NOW) == en


def test_a_moment_is_relative_this_week_and_a_local_date_and_time_before() -> None:
    # As people say it: not "قبل ساعة واحدة" (Babel's words).
    assert i18n.format_moment("2026-11-30T05:00:00+00:00", "ar", NOW) == "قبل ساعة"
    old = "2021-05-21T10:00:00+00:00"
    assert i18n.format_moment(old, "ar", NOW) == "21 مايو 2021، 10:00 UTC"
    assert i18n.format_moment(old, "en", NOW) == "21 May 2021, 10:00 UTC"
    assert i18n.format_moment(None, "en", NOW) == ""
