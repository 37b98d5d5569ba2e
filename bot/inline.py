"""Inline mode: ``@bot question`` in any chat lists the articles that best answer it, one result
per article, paged; choosing one sends its best passage quoted, with the article's title and link.
An empty query lists the newest articles. BotFather's /setinline must be on.

The first half is Telegram-free (library + query in, results out), like ``bot.conversation``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Update,
)
from telegram.constants import InlineQueryLimit
from telegram.error import BadRequest

from bot import answers, i18n
from bot.context import user_lang
from bot.limits import MAX_QUESTION
from bot.messages import InlineItem
from knowledge.text import clean_text

if TYPE_CHECKING:
    from bot.context import BotContext
    from knowledge import Hit, Library

logger = logging.getLogger(__name__)

__all__ = ["InlinePage", "inline_page", "on_inline_query", "query_lang"]

PAGE = 10
"""Results per answer (Telegram allows 50); scrolling down asks for the next page."""
MAX_RESULTS = InlineQueryLimit.RESULTS
"""Results over all pages of one query (as many as one answer may have)."""
MAX_PASSAGES = 400
"""How deep a search may go to find ``MAX_RESULTS`` different articles."""
CACHE_SECONDS = 30
"""How long Telegram may reuse an answer: short, so that a new channel post shows up soon."""
START_PARAMETER = "inline"


@dataclass(frozen=True)
class InlinePage:
    """One answer to an inline query: its results and the offset of the next page ("" for
    none); ``unanswered`` when the library has no answer to the question."""

    items: list[InlineItem]
    next_offset: str = ""
    unanswered: bool = False


def inline_page(library: Library, query: str, offset: int, lang: str) -> InlinePage:
    """The results from ``offset`` on: the best-matching articles for a question, the newest
    articles for an empty query."""
    question = clean_text(query, MAX_QUESTION, typed=True)
    if not 0 <= offset < MAX_RESULTS:
        return InlinePage([])
    if not question:
        return _newest(library, offset, lang)
    found = _best_articles(library, question, offset + PAGE + 1)
    if found is None:
        return InlinePage([], unanswered=offset == 0)
    hits, query_shown = found
    page = hits[offset : min(offset + PAGE, MAX_RESULTS)]
    items = [answers.format_inline_hit(hit, query_shown, lang) for hit in page]
    return InlinePage(items, _next_offset(offset, len(page), len(hits)))


def _best_articles(library: Library, question: str, wanted: int) -> tuple[list[Hit], str] | None:
    """The best hit of each article, best first, at least ``wanted`` of them when the library
    has that many; None when the library does not answer ``question``."""
    k = 2 * wanted
    while True:
        result = library.search(question, k=k)
        if not result.answered:
            return None
        best = _best_per_article(result.hits)
        if len(best) >= wanted or len(result.hits) < k or k >= MAX_PASSAGES:
            return best, result.query
        k = min(2 * k, MAX_PASSAGES)  # several passages of one article: look deeper


def _best_per_article(hits: Sequence[Hit]) -> list[Hit]:
    best: dict[int, Hit] = {}
    for hit in hits:
        best.setdefault(hit.article_id, hit)
    return list(best.values())


def _newest(library: Library, offset: int, lang: str) -> InlinePage:
    infos = library.latest(PAGE + 1, offset)
    page = infos[: min(PAGE, MAX_RESULTS - offset)]
    articles = [library.article(info.id) for info in page]
    items = [answers.format_inline_article(a, lang) for a in articles if a is not None]
    return InlinePage(items, _next_offset(offset, len(page), offset + len(infos)))


def _next_offset(offset: int, shown: int, available: int) -> str:
    """The offset Telegram sends back for the next page: the number of results so far."""
    end = offset + shown
    return str(end) if shown and end < min(available, MAX_RESULTS) else ""


def query_lang(query: str) -> str:
    """Arabic for a question in Arabic script, else English."""
    return "ar" if i18n.is_arabic(query) else "en"


# --- Telegram ----------------------------------------------------------------------------------


async def on_inline_query(update: Update, context: BotContext) -> None:
    """``@bot question``: a page of results, the same for everyone (no personal results).

    Telegram reuses an answer for everyone who types the same query, so the language of the
    labels (dates, the no-answer button) follows the question's script, not the asker. An empty
    query, which everyone sends, lists the newest articles in the asker's language: that answer
    alone is personal."""
    query = update.inline_query
    if query is None:
        return
    personal = not query.query.strip()
    lang = user_lang(update, context) if personal else query_lang(query.query)
    offset = int(query.offset) if query.offset.isdigit() else 0
    page = await asyncio.to_thread(inline_page, context.library, query.query, offset, lang)
    button = None
    if page.unanswered:
        text = i18n.t_plain(lang, "inline_no_answer")
        button = InlineQueryResultsButton(text, start_parameter=START_PARAMETER)
    try:
        await query.answer(
            [_result(item) for item in page.items],
            cache_time=CACHE_SECONDS,
            is_personal=personal,
            # None, never "": with Defaults, PTB 22 sends an empty string as "[]" (taking it
            # for an empty list of poll options); no next_offset means no next page too.
            next_offset=page.next_offset or None,
            button=button,
        )
    except BadRequest as error:
        # The user typed on (or a slow search): Telegram no longer waits for this answer.
        if "too old" not in str(error).lower() and "query_id_invalid" not in str(error).lower():
            raise
        logger.info("inline query expired before its answer: %s", error)


def _result(item: InlineItem) -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        id=item.id,
        title=item.title,
        description=item.description,
        url=item.url,
        # HTML without a link preview: the application's defaults.
        input_message_content=InputTextMessageContent(item.text),
    )
