"""The replies about follows: the answer to /follow, the list of what a chat follows with a
button to stop each, and the alert message with the new articles on what it follows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot import callbacks
from bot.bidi import apply_bidi
from bot.blocks import article_header, one_line, render_hit
from bot.i18n import t, t_plain
from bot.limits import MAX_MESSAGE
from bot.markup import escape, visible_len
from bot.messages import Button, Reply
from knowledge.text import shorten

if TYPE_CHECKING:
    from bot.people import ChatAlerts, Follow

__all__ = ["follow_status", "format_alerts", "format_follows"]


def follow_status(status: str, phrase: str, lang: str, example: str, per: int, limit: int) -> str:
    """The reply to ``/follow phrase`` for the library's ``status``."""
    phrase = one_line(phrase, 100)
    if status in ("added", "exists"):
        return t(lang, f"follow_{status}", phrase=phrase, per=per)
    if status in ("limit", "too_long"):
        return t(lang, f"follow_{status}", limit=limit)
    if status == "stopwords":
        return t(lang, "follow_stopwords")
    return t(lang, "follow_usage", example=example, per=per)


def format_follows(follows: Sequence[Follow], lang: str, example: str, lead: str = "") -> Reply:
    """What a chat follows, with a button to stop each; ``lead`` (HTML) goes first."""
    if not follows:
        text = t(lang, "following_empty", example=example)
        return Reply(apply_bidi("\n\n".join(x for x in (lead, text) if x), lang == "ar"))
    lines = [t(lang, "following_title")]
    lines += [f"• {escape(one_line(f.phrase, 100))}" for f in follows]
    text = "\n".join(lines) + "\n\n" + t(lang, "following_hint")
    text = apply_bidi("\n\n".join(x for x in (lead, text) if x), lang == "ar")
    buttons = tuple(
        (
            Button(
                t_plain(lang, "unfollow_button", phrase=shorten(f.phrase, 40)),
                callbacks.unfollow(f.id),
            ),
        )
        for f in follows
    )
    return Reply(text, buttons)


def format_alerts(plan: ChatAlerts, lang: str) -> Reply:
    """One message with the new articles a chat follows: each with its phrase and the best
    sentence of its best passage, and a button to open it."""
    rtl = lang == "ar"
    for quote_limit in (600, 250):
        blocks = [t(lang, "alerts_title")]
        for number, alert in enumerate(plan.alerts, 1):
            h = alert.hit
            header = article_header(h.title, h.url, h.published, h.source, lang)
            phrase = t(lang, "alert_phrase", phrase=one_line(alert.phrase, 60))
            blocks.append(f"{header}\n{phrase}\n{render_hit(h, number, False, quote_limit)}")
        if plan.more:
            blocks.append(t(lang, "alerts_more", more=plan.more))
        text = apply_bidi("\n\n".join(blocks), rtl)
        if visible_len(text) <= MAX_MESSAGE:
            break
    buttons = tuple(
        (
            Button(
                t_plain(lang, "show_article", title=one_line(a.hit.title, 40)),
                callbacks.article(a.hit.article_id),
            ),
        )
        for a in plan.alerts
    )
    return Reply(text, buttons)
