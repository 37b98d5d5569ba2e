"""Long content as several messages within Telegram's limit: split between paragraphs, then
sentences, then words, never inside a tag.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from bot.bidi import apply_bidi
from bot.limits import MAX_MESSAGE
from bot.markup import escape, utf16_len, visible_len, visible_text
from knowledge.text import sentences

__all__ = ["plain_pieces", "render_long", "split_html_blocks"]

_PARAGRAPHS = re.compile(r"\n\s*\n")
_LINES = re.compile(r"\n")
_SPACES = re.compile(r"\s+")


def plain_pieces(html_text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """The visible text of ``html_text`` as plain messages of at most ``limit`` UTF-16 units,
    split between paragraphs or sentences (the fallback when Telegram refuses the HTML)."""
    text = visible_text(html_text).strip()
    if utf16_len(text) <= limit:
        return [text or "…"]
    # A code point is at most two UTF-16 units.
    return _pieces(text, limit // 2)


def split_html_blocks(
    blocks: Iterable[str], limit: int = MAX_MESSAGE, sep: str = "\n\n"
) -> list[str]:
    """Pack complete HTML blocks into messages of at most ``limit`` visible UTF-16 units.

    Each block must already fit on its own (``render_long`` makes sure of it), so no tag is ever
    cut in two.
    """
    messages: list[str] = []
    for block in blocks:
        if messages and visible_len(messages[-1] + sep + block) <= limit:
            messages[-1] += sep + block
        else:
            messages.append(block)
    return messages


def render_long(text: str, limit: int, rtl: bool) -> list[str]:
    """Escape and bidi-mark plain ``text``, split so that each block fits ``limit``."""
    size = limit
    while True:
        blocks = [apply_bidi(escape(p), rtl) for p in _pieces(text, size)]
        if all(visible_len(b) <= limit for b in blocks) or size < 50:
            return blocks
        # Bidi marks and the wrapper added a little: try smaller pieces.
        size = size * 9 // 10


def _pieces(text: str, limit: int) -> list[str]:
    """Split plain ``text`` into pieces of at most ``limit`` characters: paragraphs first,
    then sentences, then words, then (for absurd words) characters."""
    if len(text) <= limit:
        return [text]
    splitters: tuple[tuple[Callable[[str], list[str]], str], ...] = (
        (_PARAGRAPHS.split, "\n\n"),
        (_LINES.split, "\n\n"),
        (_sentences, " "),
        (_SPACES.split, " "),
    )
    for split, sep in splitters:
        parts = [p for p in split(text) if p.strip()]
        if len(parts) > 1:
            return _merge([q for p in parts for q in _pieces(p, limit)], limit, sep)
    return [text[i : i + limit] for i in range(0, len(text), limit)]


def _sentences(text: str) -> list[str]:
    # A quote closing after a stop stays with what follows, as it always did here.
    return sentences(text, closing_quotes=False)


def _merge(parts: list[str], limit: int, sep: str) -> list[str]:
    out: list[str] = []
    for part in parts:
        if out and len(out[-1]) + len(sep) + len(part) <= limit:
            out[-1] += sep + part
        else:
            out.append(part)
    return out
