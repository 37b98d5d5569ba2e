"""Channel posts as articles: each post of a channel listed in ``ARTICLEBOT_CHANNELS`` (the bot
must be one of its administrators to receive them), and each edit of one, is stored in the
library and searchable at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import TYPE_CHECKING

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot import handlers as h
from knowledge import Article, KnowledgeError

if TYPE_CHECKING:
    from knowledge import IngestReport, Library

logger = logging.getLogger(__name__)

__all__ = ["on_channel_post", "post_article", "post_url"]

TITLE_CHARS = 120
STORE_RETRY_DELAYS: tuple[float, ...] = (2.0, 10.0, 60.0)
"""Pauses before storing a post again while another process (a command-line ingest) holds the
library's ingest lock: a post is only delivered once."""


def post_article(post: Message) -> Article | None:
    """The article a channel post (text or caption) makes; None for a post without words.

    Its first line is the title; the other lines are its paragraphs (the whole post when it has
    one line, or when the title had to be shortened). An edit gives the same key, so it
    replaces the article.
    """
    lines = [" ".join(line.split()) for line in (post.text or post.caption or "").split("\n")]
    paragraphs = [line for line in lines if line]
    if not any(ch.isalnum() for ch in "".join(paragraphs)):
        return None
    # A first line of emoji or symbols only is decoration, not a title.
    first = next(i for i, line in enumerate(paragraphs) if any(ch.isalnum() for ch in line))
    title = _shorten(paragraphs[first], TITLE_CHARS)
    rest = paragraphs[first + 1 :]
    body = rest if rest and title == paragraphs[first] else paragraphs
    chat = post.chat
    return Article(
        key=f"telegram:{chat.id}:{post.message_id}",
        title=title,
        text="\n\n".join(body),
        published=post.date.astimezone(dt.timezone.utc).isoformat(timespec="seconds"),
        url=post_url(chat.id, chat.username, post.message_id),
        source=chat.title or (f"@{chat.username}" if chat.username else str(chat.id)),
        path=f"telegram:{chat.id}",
    )


def post_url(chat_id: int, username: str | None, message_id: int) -> str | None:
    """The post's t.me link: by username for a public channel, by internal id for a private
    one (readable by its members)."""
    if username:
        return f"https://t.me/{username}/{message_id}"
    if str(chat_id).startswith("-100"):
        return f"https://t.me/c/{str(chat_id)[4:]}/{message_id}"
    return None


def _shorten(line: str, limit: int) -> str:
    """``line`` cut at a word boundary to at most ``limit`` characters, with an ellipsis."""
    if len(line) <= limit:
        return line
    cut = line.rfind(" ", limit // 2, limit)
    return line[: cut if cut > 0 else limit - 1].rstrip(" ,.،؛:-—") + "…"


async def on_channel_post(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A new or edited channel post: stored as an article when its channel is listed."""
    post = update.effective_message
    chat = post.chat
    settings = context.bot_data[h.SETTINGS]
    if not settings.listens_to(chat.id, chat.username):
        logger.debug("post of channel %s (@%s) ignored: not listed", chat.id, chat.username)
        return
    article = post_article(post)
    if article is None:
        logger.debug("post %s of channel %s ignored: no text", post.message_id, chat.id)
        return
    report = await _store(context.bot_data[h.LIBRARY], article)
    logger.info(
        "channel post %s: %s",
        article.key,
        "added" if report.added else "updated" if report.updated else "unchanged",
    )
    await h.articles_arrived(context, report)


async def _store(library: Library, article: Article) -> IngestReport:
    for delay in STORE_RETRY_DELAYS:
        try:
            return await asyncio.to_thread(library.add_articles, [article])
        except KnowledgeError as error:  # another process is ingesting
            logger.warning("cannot store %s now (%s); again in %.0f s", article.key, error, delay)
            await pause(delay)
    return await asyncio.to_thread(library.add_articles, [article])


pause = asyncio.sleep
"""How ``_store`` waits between attempts (tests replace it)."""
