"""The bot's languages: strings by key from a file per language, plurals and dates through Babel
(recent ones as people say them: "2 hours ago", "أمس"), and which language a reply should be in.

The strings live in ``bot/strings/<lang>.yaml`` (package data), read once. A string is an HTML
template with ``{placeholders}``; a mapping is a plural, its forms by Babel's plural category.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from importlib import resources
from typing import TypeAlias

import yaml
from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_timedelta

from bot.bidi import ARABIC, LATIN
from bot.markup import escape

__all__ = [
    "LANGS",
    "choose_lang",
    "count_articles",
    "format_date",
    "format_moment",
    "is_arabic",
    "plural",
    "strings",
    "t",
    "t_plain",
    "utc_now",
]

LANGS = ("ar", "en")
"""The languages the bot speaks; any other language gets the English strings."""

Entry: TypeAlias = "str | dict[str, str]"


@cache
def strings(lang: str) -> dict[str, Entry]:
    """The strings of ``lang`` (one of ``LANGS``) by key, read once from its file."""
    text = (resources.files("bot") / "strings" / f"{lang}.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"bot/strings/{lang}.yaml is not a mapping of keys to strings")
    return data


def _template(lang: str, key: str) -> str:
    entry = strings(lang if lang in LANGS else "en").get(key) or strings("en")[key]
    if not isinstance(entry, str):
        raise TypeError(f"string {key!r} is a plural: use plural()")
    return entry


def t(lang: str, key: str, **values: object) -> str:
    """The localized HTML template ``key``, with ``values`` escaped and filled in."""
    return _template(lang, key).format(**{k: escape(str(v)) for k, v in values.items()})


def t_plain(lang: str, key: str, **values: object) -> str:
    """A localized string for a button label (plain text, no HTML)."""
    return _template(lang, key).format(**{k: str(v) for k, v in values.items()})


def plural(lang: str, key: str, n: int) -> str:
    """The form of plural ``key`` that ``lang``'s grammar wants for ``n`` (plain text), with
    ``{count}`` the number with thousands separators."""
    lang = lang if lang in LANGS else "en"
    forms = strings(lang)[key]
    if not isinstance(forms, dict):
        raise TypeError(f"string {key!r} is not a plural")
    form = forms.get(_locale(lang).plural_form(n)) or forms["other"]
    return form.format(count=f"{n:,}")


@cache
def _locale(lang: str) -> Locale:
    return Locale(lang)


def count_articles(n: int, lang: str) -> str:
    """``n`` news articles, with the noun in the form the language's grammar wants for ``n``."""
    return plural(lang, "articles", n)


def utc_now() -> dt.datetime:
    """The time dates are said relative to when no ``now`` is given (tests freeze it here)."""
    return dt.datetime.now(dt.timezone.utc)


RECENT_DAYS = 7
"""Dates newer than this many days are said relative to now ("3 days ago"); older as dates."""


def format_date(published: str | None, lang: str, now: dt.datetime | None = None) -> str:
    """``2021-05-21`` -> ``21 May 2021`` / ``21 مايو 2021``; within the last week as people say
    it (``2 hours ago``, ``yesterday``, ``قبل 3 أيام``); unknown forms are shown as given, no
    date as "" (an undated article shows none)."""
    if not published:
        return ""
    day, moment = _parse(published)
    if day is None:
        return published[:25]
    return _recent(day, moment, lang, now) or _calendar_date(day, lang)


def format_moment(iso: str | None, lang: str, now: dt.datetime | None = None) -> str:
    """A stored UTC time (``2021-05-21T10:00:00+00:00``) in ``lang``'s words: relative within
    the last week, else ``21 May 2021, 10:00 UTC`` / ``21 مايو 2021، 10:00 UTC``; "" for none."""
    if not iso:
        return ""
    day, moment = _parse(iso)
    if day is None:
        return iso[:25]
    recent = _recent(day, moment, lang, now)
    if recent or moment is None:
        return recent or _calendar_date(day, lang)
    comma = "، " if lang == "ar" else ", "
    return f"{_calendar_date(day, lang)}{comma}{moment.astimezone(dt.timezone.utc):%H:%M} UTC"


def _parse(text: str) -> tuple[dt.date | None, dt.datetime | None]:
    """The day of ``text`` (``YYYY-MM-DD...``) and, when it carries a time, the moment (UTC when
    no zone is given: the library stores UTC)."""
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
    try:
        day = dt.date(int(m[1]), int(m[2]), int(m[3])) if m else None
    except ValueError:  # no such day
        return None, None
    moment = None
    if day is not None and re.match(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text):
        try:
            moment = dt.datetime.fromisoformat(text.strip())
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.timezone.utc)
    return day, moment


def _recent(
    day: dt.date, moment: dt.datetime | None, lang: str, now: dt.datetime | None
) -> str | None:
    """How long ago, in words, for the last ``RECENT_DAYS`` days; None for older or future."""
    now = now or utc_now()
    locale = lang if lang in LANGS else "en"
    if moment is not None:
        ago = now - moment
        if dt.timedelta(0) <= ago < dt.timedelta(days=1):
            words = format_timedelta(
                -ago, granularity="minute", threshold=1, add_direction=True, locale=locale
            )
            return _AS_SAID.get(words, words)
        day = moment.astimezone(dt.timezone.utc).date()
    days = (now.astimezone(dt.timezone.utc).date() - day).days
    if not 0 <= days < RECENT_DAYS:
        return None
    if days <= 1:  # CLDR's own words: today, yesterday / اليوم، أمس
        return _day_name(-days, locale)
    return format_timedelta(
        dt.timedelta(days=-days), threshold=1, add_direction=True, locale=locale
    )


# Babel says "one minute ago" with the number: Arabic speakers drop it (the noun alone is one).
_AS_SAID = {"قبل دقيقة واحدة": "قبل دقيقة", "قبل ساعة واحدة": "قبل ساعة"}


def _day_name(offset: int, locale: str) -> str:
    """CLDR's name of the day ``offset`` days from today ("yesterday", "أمس")."""
    try:
        from babel.dates import get_relative_name  # Babel 2.19+: the public way
    except ImportError:  # older Babel (pyproject allows 2.12): only its locale data has them
        return str(_locale(locale)._data["date_fields"]["day"]["relative"][offset])
    return get_relative_name("day", offset, locale=locale) or ""


def _calendar_date(day: dt.date, lang: str) -> str:
    # "yyyy": the year as written, four digits (CLDR's "y" would drop a leading zero).
    return babel_format_date(day, "d MMMM yyyy", locale=lang if lang in LANGS else "en")


# --- which language ---------------------------------------------------------------------------


def is_arabic(text: str) -> bool:
    """Whether most letters in ``text`` are Arabic."""
    arabic = len(re.findall(f"[{ARABIC}]", text))
    latin = len(re.findall(f"[{LATIN}]", text))
    return arabic > 0 and arabic >= latin


def choose_lang(
    override: str | None, language_code: str | None, question: str | None = None
) -> str:
    """The reply language: the user's choice; else Arabic for an Arabic client or an Arabic
    question; else English."""
    if override in LANGS:
        return override
    primary = (language_code or "").split("-")[0].split("_")[0].lower()
    if primary == "ar" or (question and is_arabic(question)):
        return "ar"
    return "en"
