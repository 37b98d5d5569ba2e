"""The replies to a question: first the one sentence that answers it (its source and date, the
rest of its passage folded), then pages of the other results grouped by article, with one row of
buttons (article, more results, 👍 / 👎); kind words when the library has no answer (with a hint
to ask in the library's language); the items of inline mode. Also reads the question back from
an answer's header.
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
    render_lead,
    source_and_date,
    trim_span,
)
from bot.i18n import is_arabic, t, t_plain
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
    "language_hint",
    "majority_language",
    "page_span",
    "question_from_answer",
]

INLINE_SNIPPET = 150
"""Characters of the snippet under each inline result's title."""
# Full passages first; if a message is too long, drop the context, then shorten the quotes.
_FITS = ((True, 1200), (False, 1200), (False, 600), (False, 250))


def page_span(page: int) -> tuple[int, int]:
    """The hits page ``page`` shows, as ``result.hits[first:last]``: the first answer alone on
    page 0, then ``PAGE_SIZE`` others a page (at most ``MAX_RESULTS`` in all)."""
    if page <= 0:
        return 0, 1
    first = 1 + (page - 1) * PAGE_SIZE
    return first, min(first + PAGE_SIZE, MAX_RESULTS)


def format_answer(
    result: SearchResult,
    lang: str,
    page: int = 0,
    example: str | None = None,
    question_id: int | None = None,
    votes: Votes | None = None,
    library_lang: str | None = None,
) -> Reply:
    """The reply to a question: on page 0 the best sentence that answers it, with its source
    and date and the rest of its passage folded; on later pages the other results grouped by
    article. One row of buttons: the article, more results, 👍 / 👎.

    ``result`` should hold one hit more than the page shows when there are that many, so that
    the "More results" button appears only when there is more. With the logged
    ``question_id``, 👍 / 👎 buttons (labelled with ``votes`` so far) rate the page.
    ``library_lang``: the language most of the library is in, for the no-answer hint.
    """
    if not result.answered or not result.hits:
        return format_no_answer(result, lang, example, library_lang)
    first, last = page_span(page)
    hits = result.hits[first:last]
    if not hits:
        return Reply(t(lang, "no_more"))
    text = _lead_text(result, hits[0], lang) if page == 0 else _page_text(result, hits, first, lang)
    buttons = _answer_buttons(result, hits, first, lang, page)
    if question_id is not None:
        buttons = _with_feedback(buttons, question_id, [h.passage_id for h in hits], votes)
    return Reply(text, buttons)


def _lead_text(result: SearchResult, lead: Hit, lang: str) -> str:
    """The question, then the one sentence that answers it, short enough to read at a glance."""
    for context, quote_limit in _FITS:
        body = (
            render_lead(lead, lang, quote_limit) if context else _no_fold(lead, lang, quote_limit)
        )
        text = apply_bidi(question_header(result.query) + "\n" + body, lang == "ar")
        if visible_len(text) <= MAX_MESSAGE:
            break
    return text


def _no_fold(hit: Hit, lang: str, limit: int) -> str:
    """The lead without its fold, for passages too long to fit with it."""
    return render_lead(hit, lang, limit).split("\n<blockquote expandable>")[0]


def _page_text(result: SearchResult, hits: Sequence[Hit], first: int, lang: str) -> str:
    """A page of the other results, grouped by article, numbered after the first answer."""
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
        text = apply_bidi("\n\n".join(blocks), lang == "ar")
        if visible_len(text) <= MAX_MESSAGE:
            break
    return text


def format_no_answer(
    result: SearchResult, lang: str, example: str | None = None, library_lang: str | None = None
) -> Reply:
    """Kind words instead of a random passage, with a way on. ``example``: a question the
    library answers, shown to someone who sent no words. A question in the other script than
    most of the library (``library_lang``) gets a hint to ask in the library's language."""
    if result.reason == "empty":
        text = t(lang, "empty", example=example or t_plain(lang, "example_question"))
    elif result.reason == "stopwords":
        text = t(lang, "stopwords")
    else:
        text = question_header(result.query) + "\n\n" + t(lang, "no_answer")
        hint = language_hint(result.query, library_lang)
        if hint:
            text += "\n\n" + t(lang, hint)
    latest = (Button(t_plain(lang, "latest_button"), callbacks.latest_page(0, LATEST_DEFAULT)),)
    return Reply(apply_bidi(text, lang == "ar"), (latest,))


MAJORITY = 2 / 3
"""The share of a library's articles in one language that makes it "mostly" that language."""


def majority_language(mix: dict[str, int]) -> str | None:
    """The language most of a library is in (``Library.language_mix``), if one clearly is."""
    total = sum(mix.values())
    return next((lang for lang, n in mix.items() if total and n >= MAJORITY * total), None)


def language_hint(question: str, library_lang: str | None) -> str | None:
    """The key of the hint to ask in the library's language, when ``question`` is written in
    the other script (an English question to a mostly-Arabic library, or the reverse)."""
    if library_lang not in ("ar", "en") or not any(ch.isalpha() for ch in question):
        return None
    asked = "ar" if is_arabic(question) else "en"
    return None if asked == library_lang else f"ask_in_{library_lang}"


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
    result: SearchResult, hits: Sequence[Hit], first: int, lang: str, page: int
) -> tuple[tuple[Button, ...], ...]:
    """Page 0: one row, the article then more results. Later pages: a button per article
    shown (named by its result's number), then back / more."""
    articles = []
    number = first
    for group in _group_by_article(hits):
        label = (
            t_plain(lang, "article_button")
            if page == 0
            else t_plain(lang, "article_number_button", number=number + 1)
        )
        articles.append(Button(label, callbacks.article(group[0].article_id)))
        number += len(group)
    nav = []
    if page > 0:
        nav.append(Button(t_plain(lang, "previous"), callbacks.answer_page(page - 1)))
    if len(result.hits) > page_span(page)[1] and page_span(page)[1] < MAX_RESULTS:
        nav.append(Button(t_plain(lang, "more"), callbacks.answer_page(page + 1)))
    rows = (tuple(articles + nav),) if page == 0 else (tuple(articles), tuple(nav))
    return tuple(row for row in rows if row)


def _with_feedback(
    rows: tuple[tuple[Button, ...], ...],
    question_id: int,
    passage_ids: list[int],
    votes: Votes | None,
) -> tuple[tuple[Button, ...], ...]:
    """👍 and 👎 at the end of the last row (one row on the first page): ``f|question|vote|
    passage ids``, numbers only (so they work after a restart), within 64 bytes."""
    if any(n >= 10**MAX_ID_DIGITS for n in (question_id, *passage_ids)):
        return rows  # ids this long would not fit: no buttons rather than broken ones
    feedback = tuple(
        Button(feedback_label(helpful, votes), callbacks.vote(question_id, helpful, passage_ids))
        for helpful in (True, False)
    )
    if not rows:
        return (feedback,)
    return (*rows[:-1], rows[-1] + feedback)


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
    meta = source_and_date(article.source or "", article.published, lang)
    return InlineItem(
        id=str(article.id),
        title=shorten(strip_invisible(article.title) or "—", 100),
        description=one_line(f"{meta}: {opening}" if meta else opening, INLINE_SNIPPET),
        url=article.url if link(article.url) else None,
        text=apply_bidi(text, lang == "ar"),
    )
