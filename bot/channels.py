"""Channel posts as articles: each post of a channel listed in ``ARTICLEBOT_CHANNELS`` (the bot
must be one of its administrators to receive them), and each edit of one, is stored in the
library and searchable within moments.

Posts are stored by one task, in the order they arrive: ``on_channel_post`` only queues a post
(a newer version of a queued post takes its place), and ``PostQueue`` stores everything queued
with one ``add_articles`` call, in a thread of its own. While the library is busy (a reload, a
command-line ingest) the posts wait in the queue, however long it takes; an older version never
replaces a newer one, in the queue or in the library (``Article.version``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from telegram import Message, Update

from bot import following
from knowledge import Article, LibraryBusy
from knowledge.text import shorten

if TYPE_CHECKING:
    from bot.context import BotApplication, BotContext
    from knowledge import IngestReport, Library

logger = logging.getLogger(__name__)

__all__ = [
    "Backoff",
    "PostQueue",
    "on_channel_post",
    "post_article",
    "post_queue",
    "post_url",
    "store_queued_posts",
]

TITLE_CHARS = 120


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
    title = shorten(paragraphs[first], TITLE_CHARS, collapse=False, trailing=" ,.،؛:-—")
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
        version=int((post.edit_date or post.date).timestamp()),
    )


def post_url(chat_id: int, username: str | None, message_id: int) -> str | None:
    """The post's t.me link: by username for a public channel, by internal id for a private
    one (readable by its members)."""
    if username:
        return f"https://t.me/{username}/{message_id}"
    if str(chat_id).startswith("-100"):
        return f"https://t.me/c/{str(chat_id)[4:]}/{message_id}"
    return None


async def on_channel_post(update: Update, context: BotContext) -> None:
    """A new or edited channel post: queued to be stored as an article when its channel is
    listed."""
    post = update.effective_message
    if post is None:
        return
    chat = post.chat
    if not context.settings.listens_to(chat.id, chat.username):
        logger.debug("post of channel %s (@%s) ignored: not listed", chat.id, chat.username)
        return
    article = post_article(post)
    if article is None:
        logger.debug("post %s of channel %s ignored: no text", post.message_id, chat.id)
        return
    context.bot_data.posts.put(article)


def post_queue(application: BotApplication) -> PostQueue:
    """A queue that stores the posts in the application's library and, after each batch,
    calls ``following.articles_arrived`` (the followers' alerts)."""
    context = application.context_types.context(application)

    async def arrived(report: IngestReport) -> None:
        await following.articles_arrived(context, report)

    return PostQueue(application.bot_data.library, arrived)


async def store_queued_posts(application: BotApplication) -> None:
    """At shutdown (``post_stop``: the bot can still send alerts): stop the queue's task and
    try once more to store what is queued."""
    await application.bot_data.posts.close()


@dataclass(frozen=True)
class Backoff:
    """Pauses between attempts to store posts: ``first`` seconds, doubling up to ``most``."""

    first: float = 1.0
    most: float = 30.0

    def after(self, delay: float | None) -> float:
        """The pause after one of ``delay`` (None: the first pause)."""
        return self.first if delay is None else min(delay * 2, self.most)


class PostQueue:
    """The posts waiting to be stored, newest version per key, and the one task storing them.

    The task takes everything queued at once and stores it with one ``add_articles`` call in
    its own thread, so a busy library parks no thread of the default executor (which searches
    need) and a burst of posts rebuilds the index once. While the library is busy it tries
    again after a pause (``backoff``), indefinitely. Any other failure is logged at ERROR with
    the posts it concerns; each of those posts is then tried alone, and dropped (with an ERROR
    log) after ``attempts`` failures, so that one bad post cannot hold up the others.
    """

    backoff = Backoff()
    attempts = 5
    """Failures (other than a busy library) after which a post is dropped."""

    def __init__(self, library: Library, stored: Callable[[IngestReport], Awaitable[None]]) -> None:
        self.library = library
        self._stored = stored
        # By key, in order of arrival; a newer version keeps its key's place.
        self._pending: dict[str, Article] = {}
        self._failures: dict[str, int] = {}
        self._arrived = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._closing = False
        self._pausing = False
        self._waiting = False  # whether the last attempt found the library busy

    def __len__(self) -> int:
        return len(self._pending)

    def put(self, article: Article) -> None:
        """Queue ``article`` (unless a newer version of it is queued), and start the task that
        stores the queue if it is not running."""
        queued = self._pending.get(article.key)
        if queued is not None and _version(queued) > _version(article):
            logger.info("channel post %s: an older version arrived after a newer one", article.key)
            return
        self._pending[article.key] = article
        self._failures.pop(article.key, None)  # a new version gets its own attempts
        logger.info("channel post %s queued (%d waiting)", article.key, len(self._pending))
        self._idle.clear()
        self._arrived.set()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="channel-posts")

    async def join(self) -> None:
        """Wait until every post queued so far is stored (or dropped)."""
        await self._idle.wait()

    async def close(self) -> None:
        """Stop the task (after the attempt it is making, if any), then store what is queued,
        without pauses, until the queue is empty or the library is busy; what is left is
        logged at ERROR, post by post."""
        self._closing = True
        self._arrived.set()
        task, self._task = self._task, None
        if task is not None:
            if self._pausing:
                task.cancel()  # only a pause is cut short, never an attempt
            await asyncio.wait([task])
        try:
            while self._pending and await self._store_next() != "busy":
                pass
            for article in self._pending.values():
                logger.error("channel post not stored at shutdown: %s", _described(article))
            self._pending.clear()
        finally:
            self._closing = False
            self._idle.set()
            if self._executor is not None:
                self._executor.shutdown(wait=False)
                self._executor = None

    async def _run(self) -> None:
        delay: float | None = None
        while not self._closing:
            if not self._pending:
                self._idle.set()
                self._arrived.clear()
                await self._arrived.wait()
                continue
            try:
                outcome = await self._store_next()
            except Exception:  # the task must outlive any surprise; the posts stay queued
                logger.exception("the channel post queue failed")
                outcome = "failed"
            delay = None if outcome == "stored" else self.backoff.after(delay)
            if delay is not None and not self._closing:
                await self._pause(delay)

    async def _pause(self, seconds: float) -> None:
        """Wait before the next attempt; ``close`` cuts the wait short."""
        self._pausing = True
        try:
            await pause(seconds)
        finally:
            self._pausing = False

    async def _store_next(self) -> str:
        """Store the next batch: ``"stored"``, ``"busy"`` or ``"failed"``."""
        batch = self._next_batch()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="channel-posts")
        add = partial(self.library.add_articles, batch, wait=False)
        try:
            report = await asyncio.get_running_loop().run_in_executor(self._executor, add)
        except (LibraryBusy, sqlite3.OperationalError) as error:
            # The library cannot take them now (another ingest, a lock, a full disk): that is
            # no fault of the posts, which wait as long as it takes. Once per wait: a long
            # ingest would otherwise fill the log.
            log = logger.debug if self._waiting else logger.warning
            log("%d channel posts wait: %s", len(self._pending), error)
            self._waiting = True
            return "busy"
        except Exception:
            self._failed(batch)
            return "failed"
        if self._waiting:
            logger.info("the library is free again: storing the channel posts")
            self._waiting = False
        self._done(batch)
        logger.info(
            "channel posts stored: %d added, %d updated, %d unchanged, %d outdated (%s)",
            report.added,
            report.updated,
            report.unchanged,
            report.outdated,
            ", ".join(article.key for article in batch),
        )
        try:
            await self._stored(report)
        except Exception:  # the posts are stored: only the reaction to them failed
            logger.exception("reacting to stored channel posts failed")
        return "stored"

    def _next_batch(self) -> list[Article]:
        """Everything queued; but after a failure, its posts go one at a time (those that
        failed least first) to tell the bad one from the others."""
        suspects = [a for a in self._pending.values() if self._failures.get(a.key)]
        if suspects:
            return [min(suspects, key=lambda a: self._failures[a.key])]
        return list(self._pending.values())

    def _done(self, batch: list[Article]) -> None:
        for article in batch:
            if self._pending.get(article.key) is article:  # not replaced by a newer version
                del self._pending[article.key]
                self._failures.pop(article.key, None)

    def _failed(self, batch: list[Article]) -> None:
        posts = "; ".join(_described(article) for article in batch)
        logger.error("could not store channel posts: %s", posts, exc_info=True)
        for article in batch:
            if self._pending.get(article.key) is not article:
                continue  # a newer version replaced it meanwhile: that one gets its own attempts
            failures = self._failures[article.key] = self._failures.get(article.key, 0) + 1
            if failures >= self.attempts:
                del self._pending[article.key]
                del self._failures[article.key]
                logger.error(
                    "channel post dropped after %d failures: %s", failures, _described(article)
                )


def _version(article: Article) -> int:
    return article.version if article.version is not None else -1


def _described(article: Article) -> str:
    """The post's key and its first words, for a log line."""
    words = " ".join(article.text.split())
    if not words.startswith(article.title.rstrip("…")):  # a one-line post is its own title
        words = f"{article.title} {words}"
    return f"{article.key} «{words[:80]}{'…' if len(words) > 80 else ''}»"


pause = asyncio.sleep
"""How the queue waits between attempts (tests replace it)."""
