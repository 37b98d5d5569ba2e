"""Flood control: a token bucket per user (``Throttle``) and the ``guard`` that applies it to
every update before any other handler runs."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot.context import BotContext, answer_query, user_lang
from bot.i18n import t
from bot.messages import Reply
from bot.messaging import cosmetic, send
from bot.questions import addresses_bot

logger = logging.getLogger(__name__)

__all__ = ["Throttle", "guard"]


@dataclass
class _Bucket:
    tokens: float
    updated: float
    warned: bool = False


@dataclass
class Throttle:
    """A token bucket per user: a burst of ``capacity`` updates, then ``rate`` per second.

    A user over the limit is told once to slow down; further updates are dropped until tokens
    come back. Other users are not affected.
    """

    capacity: float = 8
    rate: float = 0.5
    clock: Callable[[], float] = time.monotonic
    buckets: dict[int, _Bucket] = field(default_factory=dict)

    def check(self, user_id: int) -> str:
        """``"ok"``, ``"warn"`` (first update over the limit) or ``"drop"``."""
        now = self.clock()
        bucket = self.buckets.get(user_id)
        if bucket is None:
            if len(self.buckets) > 10_000:
                self._forget_idle(now)
            bucket = self.buckets[user_id] = _Bucket(self.capacity, now)
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.warned = False
            return "ok"
        if bucket.warned:
            return "drop"
        bucket.warned = True
        return "warn"

    def _forget_idle(self, now: float) -> None:
        full = (self.capacity - 1) / self.rate
        for uid in [u for u, b in self.buckets.items() if now - b.updated > full]:
            del self.buckets[uid]


async def guard(update: Update, context: BotContext) -> None:
    """Throttle floods from one user before any other handler runs.

    Only updates the bot acts on count: in a group (with privacy mode off) people's talk among
    themselves must not use up their allowance. Inline queries, which come as the user types,
    have a bucket of their own.
    """
    user = update.effective_user
    data = context.bot_data
    throttle = data.inline_throttle if update.inline_query else data.throttle
    if user is None or throttle is None:
        return
    message, chat = update.message, update.effective_chat
    if message is not None and chat is not None and chat.type != ChatType.PRIVATE:
        command = (message.text or "").startswith("/")
        if not command and not addresses_bot(message, context.bot.id, context.bot.username):
            return
    verdict = throttle.check(user.id)
    if verdict == "ok":
        return
    logger.info("throttling user %s (%s)", user.id, verdict)
    lang = user_lang(update, context)
    if update.inline_query is not None:
        # No results, for this user only and not cached: the next query is answered again.
        await cosmetic(update.inline_query.answer([], cache_time=0, is_personal=True), "inline")
    elif update.callback_query is not None:
        await answer_query(update.callback_query, t(lang, "slow_down"))
    elif verdict == "warn" and message is not None and chat is not None:
        notice = send(context, chat.id, Reply(t(lang, "slow_down")), reply_to=message.message_id)
        await cosmetic(notice, "slow-down notice")
    raise ApplicationHandlerStop
