"""The HTML blocks that the formatters build messages from: the question's header, an article's
header (title, link, date, source), a passage quoted with its matches in bold, a timestamp.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.i18n import format_date, t
from bot.markup import escape, link
from knowledge.text import shorten, strip_invisible

if TYPE_CHECKING:
    from knowledge import Hit

__all__ = [
    "ALSO_IN_SHOWN",
    "SEARCH_ICON",
    "also_in",
    "article_header",
    "one_line",
    "question_header",
    "render_hit",
    "stamp",
    "trim_span",
]

SEARCH_ICON = "🔎"
"""Opens an answer's header line, so the question can be read back from it."""
ALSO_IN_SHOWN = 5
"""Other sources of a passage named under it at most; the rest are counted."""


def one_line(text: str, limit: int) -> str:
    """Library or user text as a short plain line: no invisible characters, one space between
    words, cut at a word to ``limit`` characters."""
    return shorten(strip_invisible(text), limit)


def question_header(question: str) -> str:
    """The question, in bold after the search icon."""
    return f"{SEARCH_ICON} <b>{escape(one_line(question, 200))}</b>"


def article_header(
    title: str,
    url: str | None,
    published: str | None,
    source: str | None,
    lang: str,
    number: str = "",
) -> str:
    """The article's title in bold (a link when it has one), then its date and source."""
    title_html = escape(shorten(strip_invisible(title) or "—", 200))
    href = link(url)
    head = f'<a href="{href}">{title_html}</a>' if href else title_html
    meta = " · ".join(
        x for x in (format_date(published, lang), escape(one_line(source or "", 60))) if x
    )
    line = f"{number}📰 <b>{head}</b>"
    return f"{line}\n<i>{meta}</i>" if meta else line


def render_hit(hit: Hit, number: int | None, context: bool, limit: int) -> str:
    """The hit's best sentence quoted (at most ``limit`` characters, matches in bold), then with
    ``context`` the rest of the passage in an expandable quote."""
    text = hit.text
    s, e = hit.best_sentence_span
    if not 0 <= s < e <= len(text):
        s, e = 0, len(text)
    s, e, cut = trim_span(text, s, e, limit)
    best = _highlight(text, hit.matches, s, e) + ("…" if cut else "")
    label = f"<b>{number}.</b> " if number is not None else ""
    parts = [f"<blockquote>{label}{best}</blockquote>"]
    # The rest of the passage, collapsed: the best sentence first, its context one tap away.
    # A best sentence that opens or closes the passage is not repeated at the top of the fold.
    rest_start, rest_end = 0, len(text)
    if not cut and not text[:s].strip():
        rest_start = len(text) - len(text[e:].lstrip())
    elif not cut and not text[e:].strip():
        rest_end = len(text[:s].rstrip())
    if context and text[rest_start:rest_end].strip():
        ps, pe, pcut = trim_span(text, rest_start, rest_end, 3 * limit)
        before = "… " if ps > 0 else ""
        after = " …" if pcut or pe < len(text.rstrip()) else ""
        fold = before + _highlight(text, hit.matches, ps, pe) + after
        parts.append(f"<blockquote expandable>{fold}</blockquote>")
    return "\n".join(parts)


def also_in(hit: Hit, lang: str) -> str:
    """The other papers that carry the hit's passage (near-duplicates), each linked to its
    article when it has a link: a line in italics, or "" when there are none."""
    names = []
    for other in hit.also_in[:ALSO_IN_SHOWN]:
        name = escape(one_line(other.source or other.title or "—", 40))
        href = link(other.url)
        names.append(f'<a href="{href}">{name}</a>' if href else name)
    if not names:
        return ""
    more = len(hit.also_in) - ALSO_IN_SHOWN
    return f"<i>{t(lang, 'also_in')} {' · '.join(names)}{f' +{more}' if more > 0 else ''}</i>"


def trim_span(text: str, start: int, end: int, limit: int) -> tuple[int, int, bool]:
    """Shrink ``[start, end)`` to at most ``limit`` characters, ending at a space if possible;
    and whether it was cut."""
    if end - start <= limit:
        return start, end, False
    cut = start + limit
    space = text.rfind(" ", start + limit // 2, cut)
    return start, space if space > 0 else cut, True


def stamp(iso: str | None) -> str:
    """``2021-05-21T10:00:00+00:00`` -> ``2021-05-21 10:00 UTC`` (the library stores UTC)."""
    m = re.match(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})", iso or "")
    return f"{m[1]} {m[2]} UTC" if m else (iso or "")[:25]


def _highlight(text: str, spans: Sequence[tuple[int, int]], start: int, end: int) -> str:
    """Escaped ``text[start:end]`` with the matched ``spans`` in bold."""
    out, pos = [], start
    for s, e in sorted(spans):
        s, e = max(s, pos), min(e, end)
        if s >= e:
            continue
        out.append(escape(strip_invisible(text[pos:s])))
        out.append(f"<b>{escape(strip_invisible(text[s:e]))}</b>")
        pos = e
    out.append(escape(strip_invisible(text[pos:end])))
    return "".join(out)
