"""The replies to a question: a page of quoted passages grouped by article with its buttons
(articles, paging, 👍 / 👎), kind words when the library has no answer, and the items of inline
mode. Also reads the question back from an answer's header.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot import callbacks
from bot.bidi import RLM, apply_bidi
from bot.blocks import (
    SEARCH_ICON,
    also_in,
    article_header,
    one_line,
    question_header,
    render_hit,
    trim_span,
)
from bot.i18n import format_date, t, t_plain
from bot.limits import LATEST_DEFAULT, MAX_ID_DIGITS, MAX_MESSAGE, MAX_RESULTS, PAGE_SIZE
from bot.markup import escape, link, visible_len
from bot.messages import Button, InlineItem, Reply
from knowledge.text import shorten, strip_invisible

if TYPE_CHECKING:
    from bot.people import Votes
    from knowledge import Hit, SearchResult, StoredArticle

__all__ = [
    "INLINE_SNIPPET",
    "feedback_label",
    "format_answer",
    "format_inline_article",
    "format_inline_hit",
    "format_no_answer",
    "question_from_answer",
]

INLINE_SNIPPET = 150
"""Characters of the snippet under each inline result's title."""
# Full passages first; if a message is too long, drop the context, then shorten the quotes.
_FITS = ((True, 1200), (False, 1200), (False, 600), (False, 250))


def format_answer(
    result: SearchResult,
    lang: str,
    page: int = 0,
    example: str | None = None,
    question_id: int | None = None,
    votes: Votes | None = None,
) -> Reply:
    """The reply to a question: page ``page`` of the hits grouped by article, with buttons.

    ``result`` should hold at least ``(page + 1) * PAGE_SIZE + 1`` hits when there are that
    many, so that the "More results" button appears only when there is more. With the logged
    ``question_id``, 👍 / 👎 buttons (labelled with ``votes`` so far) rate the page.
    """
    if not result.answered or not result.hits:
        return format_no_answer(result, lang, example)
    first = page * PAGE_SIZE
    hits = result.hits[first : first + PAGE_SIZE]
    if not hits:
        return Reply(t(lang, "no_more"))
    rtl = lang == "ar"
    header = (
        question_header(result.query)
        + "\n"
        + t(lang, "results", first=first + 1, last=first + len(hits))
    )
    for context, quote_limit in _FITS:
        blocks = [header]
        number = first
        for group in _group_by_article(hits):
            h = group[0]
            blocks.append(article_header(h.title, h.url, h.published, h.source, lang))
            for hit in group:
                number += 1
                blocks.append(
                    _with_sources(render_hit(hit, number, context, quote_limit), hit, lang)
                )
        text = apply_bidi("\n\n".join(blocks), rtl)
        if visible_len(text) <= MAX_MESSAGE:
            break
    buttons = _answer_buttons(result, hits, lang, page)
    if question_id is not None:
        buttons += _feedback_row(question_id, [h.passage_id for h in hits], votes)
    return Reply(text, buttons)


def format_no_answer(result: SearchResult, lang: str, example: str | None = None) -> Reply:
    """Kind words instead of a random passage, with a way on. ``example``: a question the
    library answers, shown to someone who sent no words."""
    if result.reason == "empty":
        text = t(lang, "empty", example=example or t_plain(lang, "example_question"))
    elif result.reason == "stopwords":
        text = t(lang, "stopwords")
    else:
        text = question_header(result.query) + "\n\n" + t(lang, "no_answer")
    latest = (Button(t_plain(lang, "latest_button"), callbacks.latest_page(0, LATEST_DEFAULT)),)
    return Reply(apply_bidi(text, lang == "ar"), (latest,))


def feedback_label(helpful: bool, votes: Votes | None) -> str:
    """👍 or 👎, with its count once someone voted."""
    count = (votes.helpful if helpful else votes.unhelpful) if votes else 0
    icon = "👍" if helpful else "👎"
    return f"{icon} {count}" if count else icon


def question_from_answer(text: str | None) -> str | None:
    """The question an answer message was for, read back from its (plain) header line.

    A fallback for when Telegram does not give us the replied-to question: None if the header
    was shortened or absent.
    """
    if not text or not text.lstrip(RLM).startswith(SEARCH_ICON):
        return None
    line = strip_invisible(text.lstrip(RLM).split("\n", 1)[0][len(SEARCH_ICON) :]).strip()
    return None if not line or line.endswith("…") else line


def _with_sources(quote: str, hit: Hit, lang: str) -> str:
    """A quoted hit, then the other papers that carry the same passage, if any."""
    sources = also_in(hit, lang)
    return f"{quote}\n{sources}" if sources else quote


def _group_by_article(hits: Sequence[Hit]) -> list[list[Hit]]:
    groups: dict[int, list[Hit]] = {}
    for hit in hits:
        groups.setdefault(hit.article_id, []).append(hit)
    return list(groups.values())


def _answer_buttons(
    result: SearchResult, hits: Sequence[Hit], lang: str, page: int
) -> tuple[tuple[Button, ...], ...]:
    rows: list[tuple[Button, ...]] = []
    for group in _group_by_article(hits):
        title = one_line(group[0].title, 40)
        rows.append(
            (
                Button(
                    t_plain(lang, "show_article", title=title),
                    callbacks.article(group[0].article_id),
                ),
            )
        )
    nav = []
    if page > 0:
        nav.append(Button(t_plain(lang, "previous"), callbacks.answer_page(page - 1)))
    if len(result.hits) > (page + 1) * PAGE_SIZE and (page + 1) * PAGE_SIZE < MAX_RESULTS:
        nav.append(Button(t_plain(lang, "more"), callbacks.answer_page(page + 1)))
    if nav:
        rows.append(tuple(nav))
    return tuple(rows)


def _feedback_row(
    question_id: int, passage_ids: list[int], votes: Votes | None
) -> tuple[tuple[Button, ...], ...]:
    """👍 and 👎 for a page: ``f|question|vote|passage ids``, numbers only (so they work after a
    restart), within 64 bytes."""
    if any(n >= 10**MAX_ID_DIGITS for n in (question_id, *passage_ids)):
        return ()  # ids this long would not fit: no buttons rather than broken ones
    return (
        tuple(
            Button(
                feedback_label(helpful, votes), callbacks.vote(question_id, helpful, passage_ids)
            )
            for helpful in (True, False)
        ),
    )


# --- inline mode ---------------------------------------------------------------------------


def format_inline_hit(hit: Hit, query: str, lang: str) -> InlineItem:
    """An article found for an inline question: its best sentence as the snippet; chosen, the
    question, the article's title and link, and the passage quoted (best sentence first)."""
    header = (
        question_header(query)
        + "\n\n"
        + article_header(hit.title, hit.url, hit.published, hit.source, lang)
    )
    for context, quote_limit in _FITS:
        quote = _with_sources(render_hit(hit, None, context, quote_limit), hit, lang)
        text = apply_bidi(header + "\n\n" + quote, lang == "ar")
        if visible_len(text) <= MAX_MESSAGE:
            break
    return InlineItem(
        id=str(hit.article_id),
        title=shorten(strip_invisible(hit.title) or "—", 100),
        description=one_line(hit.best_sentence, INLINE_SNIPPET),
        url=hit.url if link(hit.url) else None,
        text=text,
    )


def format_inline_article(article: StoredArticle, lang: str) -> InlineItem:
    """A newest article for an empty inline query: its date, source and opening as the snippet;
    chosen, its title and link and its opening paragraph quoted."""
    opening = strip_invisible(next((p for p in article.text.split("\n\n") if p.strip()), ""))
    start, end, cut = trim_span(opening, 0, len(opening), 1200)
    quote = escape(opening[start:end]) + ("…" if cut else "")
    header = article_header(article.title, article.url, article.published, article.source, lang)
    text = header + (f"\n\n<blockquote>{quote}</blockquote>" if quote.strip() else "")
    meta = " · ".join(x for x in (format_date(article.published, lang), article.source) if x)
    return InlineItem(
        id=str(article.id),
        title=shorten(strip_invisible(article.title) or "—", 100),
        description=one_line(f"{meta}: {opening}" if meta else opening, INLINE_SNIPPET),
        url=article.url if link(article.url) else None,
        text=apply_bidi(text, lang == "ar"),
    )
