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
    "render_lead",
    "source_and_date",
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
    meta = source_and_date(escape(one_line(source or "", 60)), published, lang)
    line = f"{number}📰 <b>{head}</b>"
    return f"{line}\n<i>{meta}</i>" if meta else line


def source_and_date(source: str, published: str | None, lang: str) -> str:
    """An article's source (as given: HTML or plain) and date in one order everywhere, "Example
    Wire · 21 May 2021", as a citation reads; either may be missing."""
    return " · ".join(x for x in (source, format_date(published, lang)) if x)


def render_hit(hit: Hit, number: int | None, context: bool, limit: int) -> str:
    """The hit's best sentence quoted (at most ``limit`` characters, matches in bold), then with
    ``context`` the rest of the passage in an expandable quote."""
    best, fold = _best_and_fold(hit, limit)
    label = f"<b>{number}.</b> " if number is not None else ""
    parts = [f"<blockquote>{label}{best}</blockquote>"]
    if context and fold:
        parts.append(f"<blockquote expandable>{fold}</blockquote>")
    return "\n".join(parts)


def render_lead(hit: Hit, lang: str, limit: int) -> str:
    """The first answer: the best sentence quoted, its source (linked to the article) and date
    on one line, the other papers that carry it, then the rest of the passage and the article's
    title folded in an expandable quote (the title shown plainly when the passage is all in
    the best sentence)."""
    best, fold = _best_and_fold(hit, limit)
    href = link(hit.url)
    name = escape(one_line(hit.source or hit.title or "—", 60))
    name = f'<a href="{href}">{name}</a>' if href else name
    meta = source_and_date(name, hit.published, lang)
    title = escape(one_line(hit.title, 200))
    head = f"📰 <b>{title}</b>" if title and hit.source else ""
    parts = [f"<blockquote>{best}</blockquote>", f"<i>{meta}</i>"]
    if fold:  # the passage first: it is what shows folded
        fold = "\n".join(x for x in (fold, head) if x)
    elif head:  # a quote folding only the title would hide one line behind a tap
        parts.insert(1, head)
    others = also_in(hit, lang)
    if others:
        parts.append(others)
    if fold:
        parts.append(f"<blockquote expandable>{fold}</blockquote>")
    return "\n".join(parts)


def _best_and_fold(hit: Hit, limit: int) -> tuple[str, str]:
    """The best sentence (at most ``limit`` characters) and the rest of the passage around it
    (at most ``3 * limit``), as HTML with the matches in bold. The fold never repeats the best
    sentence: text before and after it, with "[…]" where it was."""
    text = hit.text
    s, e = hit.best_sentence_span
    if not 0 <= s < e <= len(text):
        s, e = 0, len(text)
    s, be, cut = trim_span(text, s, e, limit)
    best = _highlight(text, hit.matches, s, be) + ("…" if cut else "")
    if cut:  # the sentence was cut: its end goes on in the fold
        e = be
    before_start = _tail_start(text, 0, s, 3 * limit // 2)
    after_start = len(text) - len(text[e:].lstrip())
    after_start, after_end, after_cut = trim_span(text, after_start, len(text), 3 * limit // 2)
    before = text[before_start:s].strip()
    after = text[after_start:after_end].strip()
    pieces = []
    if before:
        lead_in = "… " if before_start > 0 else ""
        pieces.append(lead_in + _highlight(text, hit.matches, before_start, s).strip())
    if before and after:
        pieces.append("[…]")
    if after:
        tail = " …" if after_cut else ""
        pieces.append(
            ("… " if not before else "")
            + _highlight(text, hit.matches, after_start, after_end).strip()
            + tail
        )
    return best, " ".join(pieces)


def _tail_start(text: str, start: int, end: int, limit: int) -> int:
    """Where the last ``limit`` characters of ``text[start:end]`` begin, at a space if possible."""
    if end - start <= limit:
        return start
    cut = end - limit
    space = text.find(" ", cut, cut + limit // 2)
    return space + 1 if space >= 0 else cut


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
