"""What is left of the old reply formatter until its two remaining jobs move: the callback-data
protocol of the buttons (to ``bot/callbacks.py``) and the menu descriptions of the commands (to
the command table). The formatters live in ``bot.answers``, ``bot.listings``,
``bot.follow_replies`` and ``bot.admin_replies``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.i18n import LANGS
from bot.limits import MAX_ID_DIGITS, PAGE_SIZE

__all__ = ["ADMIN_COMMANDS", "COMMANDS", "feedback_question", "parse_callback"]

COMMANDS: dict[str, dict[str, str]] = {
    "start": {"en": "Start and examples", "ar": "البداية وأمثلة"},
    "help": {"en": "How to use the bot", "ar": "طريقة الاستخدام"},
    "latest": {"en": "Newest articles", "ar": "أحدث المقالات"},
    "sources": {"en": "What the library covers", "ar": "ما تغطيه المكتبة"},
    "ask": {"en": "Ask a question (in groups)", "ar": "اطرح سؤالًا (في المجموعات)"},
    "follow": {"en": "Get new articles about a phrase", "ar": "تلقَّ المقالات الجديدة عن عبارة"},
    "following": {"en": "What you follow", "ar": "ما تتابعه"},
    "unfollow": {"en": "Stop following", "ar": "إلغاء المتابعة"},
    "language": {"en": "Choose the language", "ar": "اختيار اللغة"},
}
ADMIN_COMMANDS: dict[str, dict[str, str]] = {
    "reload": {"en": "Re-read the sources", "ar": "إعادة قراءة المصادر"},
    "stats": {"en": "Library and question statistics", "ar": "إحصاءات المكتبة والأسئلة"},
}


# --- callback data -------------------------------------------------------------------------


def parse_callback(data: str | None) -> tuple[str, tuple[int | str, ...]]:
    """``"a|12"`` -> ``("a", (12,))``; anything malformed -> ``("", ())``.

    Kinds: ``m|page`` answer page, ``a|article_id`` show article, ``l|offset|n`` latest page,
    ``g|lang`` language choice, ``f|question_id|1 or 0|passage_id...`` a vote on an answer page,
    ``u|follow_id`` stop following. Only ids and numbers: they stay valid across restarts.
    """
    parts = (data or "").split("|")
    kind, args = parts[0], parts[1:]
    if kind == "g" and len(args) == 1 and args[0] in LANGS:
        return kind, (args[0],)
    sizes = {"m": (1,), "a": (1,), "l": (2,), "u": (1,), "f": range(3, 3 + PAGE_SIZE)}
    if (
        kind in sizes
        and len(args) in sizes[kind]
        and all(re.fullmatch(rf"\d{{1,{MAX_ID_DIGITS}}}", a) for a in args)
        and (kind != "f" or args[1] in ("0", "1"))
    ):
        return kind, tuple(int(a) for a in args)
    return "", ()


def feedback_question(datas: Iterable[str | None]) -> int | None:
    """The question id that the 👍 / 👎 buttons among the callback ``datas`` rate."""
    for data in datas:
        kind, args = parse_callback(data)
        if kind == "f":
            return int(args[0])
    return None
