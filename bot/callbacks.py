"""The callback-data protocol of the bot's buttons, in one place: a pattern per kind of button
(for ``CallbackQueryHandler(pattern=...)``), a builder per kind, and the parsing.

Kinds: ``m|page`` answer page, ``a|article_id`` show article, ``l|offset|n`` latest page,
``g|lang`` language choice, ``f|question_id|1 or 0|passage_id...`` a vote on an answer page,
``u|follow_id`` stop following, ``x|article_id|i`` ask an example question,
``s|user_id|l|lang`` or ``s|user_id|p|1 or 0`` a setting, ``z|user_id|1 or 0`` confirm or
cancel /forget (the user who asked: only they may press those, in a group too). Only ids and
numbers: they stay valid across restarts. The data of a button stays within
``InlineKeyboardButtonLimit.MAX_CALLBACK_DATA`` (64 bytes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from bot.i18n import LANGS
from bot.limits import MAX_ID_DIGITS, PAGE_SIZE

__all__ = [
    "ANSWER_PAGE",
    "ARTICLE",
    "EXAMPLE",
    "FORGET",
    "LANGUAGE",
    "LATEST_PAGE",
    "PATTERNS",
    "SETTING",
    "UNFOLLOW",
    "VOTE",
    "answer_page",
    "article",
    "example",
    "feedback_question",
    "forget",
    "language",
    "latest_page",
    "parse_callback",
    "setting",
    "unfollow",
    "vote",
    "vote_args",
]

_ID = rf"(\d{{1,{MAX_ID_DIGITS}}})"
_USER = r"(\d{1,16})"  # (Telegram's user ids fit in 52 bits: up to 16 digits)
_LANG = "|".join(map(re.escape, LANGS))

# Anchored at both ends (\Z: "$" would accept a trailing newline); PTB matches from the start.
ANSWER_PAGE = re.compile(rf"m\|{_ID}\Z")
"""``m|page``: another page of an answer."""
ARTICLE = re.compile(rf"a\|{_ID}\Z")
"""``a|article_id``: send the whole article."""
LATEST_PAGE = re.compile(rf"l\|{_ID}\|{_ID}\Z")
"""``l|offset|n``: another page of /latest."""
LANGUAGE = re.compile(rf"g\|({_LANG})\Z")
"""``g|lang``: the reply language chosen."""
VOTE = re.compile(rf"f\|{_ID}\|([01])((?:\|\d{{1,{MAX_ID_DIGITS}}}){{1,{PAGE_SIZE}}})\Z")
"""``f|question_id|1 or 0|passage_id...``: 👍 / 👎 under an answer page."""
UNFOLLOW = re.compile(rf"u\|{_ID}\Z")
"""``u|follow_id``: stop following a phrase."""
EXAMPLE = re.compile(rf"x\|{_ID}\|(\d)\Z")
"""``x|article_id|i``: ask the ``i``-th example question made from an article (/start)."""
SETTING = re.compile(rf"s\|{_USER}\|(?:l\|({_LANG})|p\|([01]))\Z")
"""``s|user_id|l|lang`` or ``s|user_id|p|1 or 0``: a language or link-preview choice under
the /settings of ``user_id``."""
FORGET = re.compile(rf"z\|{_USER}\|([01])\Z")
"""``z|user_id|1`` or ``z|user_id|0``: confirm or cancel the /forget of ``user_id``."""

PATTERNS: dict[str, re.Pattern[str]] = {
    "m": ANSWER_PAGE,
    "a": ARTICLE,
    "l": LATEST_PAGE,
    "g": LANGUAGE,
    "f": VOTE,
    "u": UNFOLLOW,
    "x": EXAMPLE,
    "s": SETTING,
    "z": FORGET,
}
"""Each kind's pattern, by the kind's letter."""


def answer_page(page: int) -> str:
    return f"m|{page}"


def article(article_id: int) -> str:
    return f"a|{article_id}"


def latest_page(offset: int, n: int) -> str:
    return f"l|{offset}|{n}"


def language(lang: str) -> str:
    return f"g|{lang}"


def vote(question_id: int, helpful: bool, passage_ids: Sequence[int]) -> str:
    return "|".join(map(str, ("f", question_id, int(helpful), *passage_ids)))


def unfollow(follow_id: int) -> str:
    return f"u|{follow_id}"


def example(article_id: int, index: int) -> str:
    return f"x|{article_id}|{index}"


def setting(user_id: int, language: str | None = None, previews: bool | None = None) -> str:
    choice = f"l|{language}" if language else f"p|{int(bool(previews))}"
    return f"s|{user_id}|{choice}"


def forget(user_id: int, confirm: bool) -> str:
    return f"z|{user_id}|{int(confirm)}"


def parse_callback(data: str | None) -> tuple[str, tuple[int | str, ...]]:
    """``"a|12"`` -> ``("a", (12,))``; anything malformed -> ``("", ())``. Numbers are ints,
    a language stays a string."""
    for kind, pattern in PATTERNS.items():
        match = pattern.match(data or "")
        if match is None:
            continue
        if kind == "g":
            return kind, tuple(g for g in match.groups() if g is not None)
        if kind == "s":  # (user_id, the language or "1"/"0" for previews)
            return kind, (int(match[1]), *(g for g in match.groups()[1:] if g is not None))
        return kind, tuple(int(a) for a in (data or "").split("|")[1:])
    return "", ()


def vote_args(match: re.Match[str]) -> tuple[int, bool, list[int]]:
    """The question id, whether it helped and the passage ids of a ``VOTE`` match."""
    passage_ids = [int(p) for p in match[3].split("|")[1:]]
    return int(match[1]), match[2] == "1", passage_ids


def feedback_question(datas: Iterable[str | None]) -> int | None:
    """The question id that the 👍 / 👎 buttons among the callback ``datas`` rate."""
    for data in datas:
        match = VOTE.match(data or "")
        if match is not None:
            return int(match[1])
    return None
