"""Telegram HTML as text: escaping, the visible text and its length as Telegram counts it
(UTF-16 code units after entity parsing), safe links, and plain terminal rendering.
"""

from __future__ import annotations

import html
import re

from knowledge.text import INVISIBLE, strip_bidi

__all__ = ["escape", "html_to_text", "link", "utf16_len", "visible_len", "visible_text"]

_TAG = re.compile(r"<[^>]*>")


def escape(text: str) -> str:
    """Escape for Telegram HTML text (also dropping characters it would reject)."""
    return html.escape(INVISIBLE.sub("", text), quote=False)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts text."""
    return len(text.encode("utf-16-le")) // 2


def visible_text(html_text: str) -> str:
    """The text Telegram shows for ``html_text``: tags removed, entities decoded."""
    return html.unescape(_TAG.sub("", html_text))


def visible_len(html_text: str) -> int:
    """Length as Telegram counts it against the 4096 limit."""
    return utf16_len(visible_text(html_text))


def link(url: str | None) -> str | None:
    """A URL safe to put in ``href``, or None: Telegram rejects anything but absolute links."""
    url = (url or "").strip()
    if re.fullmatch(r"https?://[^\s<>\"]+", url):
        return html.escape(url, quote=True)
    return None


def html_to_text(html_text: str) -> str:
    """Telegram HTML as readable terminal text: quotes indented, links spelled out."""
    text = re.sub(r'<a href="([^"]*)">(.*?)</a>', lambda m: f"{m[2]} ({m[1]})", html_text)
    text = re.sub(r"<blockquote[^>]*>(.*?)</blockquote>", _quote_lines, text, flags=re.DOTALL)
    text = re.sub(r"</?b>", "*", text)
    return strip_bidi(visible_text(text))


def _quote_lines(m: re.Match[str]) -> str:
    return "\n".join("  │ " + line for line in m[1].split("\n"))
