"""The admins' side: who is an admin, /reload and the scheduled reload, /stats, and reports to
the admin chat."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from telegram import Update

from bot import following
from bot.context import BotContext, user_lang
from bot.conversation import ReloadOutcome, reload_sources, stats
from bot.i18n import t
from bot.messages import Reply
from bot.messaging import cosmetic, send, send_all

logger = logging.getLogger(__name__)

__all__ = [
    "ADMIN_CHAT_LANG",
    "admin_only",
    "on_reload",
    "on_stats",
    "run_reload",
    "scheduled_reload",
    "tell_admin_chat",
]

ADMIN_CHAT_LANG = "en"
"""The language of reports to the admin chat, which has no user language to go by."""

Callback = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


def admin_only(callback: Callback, command: str) -> Callback:
    """``callback`` of ``/command`` for the bot's admins; anyone else is told it is for
    admins."""

    @functools.wraps(callback)
    async def guarded(update: Update, context: BotContext) -> None:
        user, chat = update.effective_user, update.effective_chat
        # The user, not the chat: an admin of some group is not an admin of the bot.
        if context.settings.is_admin(user.id if user else None):
            await callback(update, context)
        elif chat is not None:
            logger.info("refused /%s from user %s", command, user.id if user else None)
            await send(context, chat.id, Reply(t(user_lang(update, context), "not_admin")))

    return guarded


async def on_reload(update: Update, context: BotContext) -> None:
    """/reload (admins): re-ingest the sources off the event loop, then report."""
    chat = update.effective_chat
    if chat is None:
        return
    lang = user_lang(update, context)
    if await run_reload(context, chat.id, lang) is None:
        await send(context, chat.id, Reply(t(lang, "reload_busy")))


async def on_stats(update: Update, context: BotContext) -> None:
    """/stats (admins): the library and the questions people ask."""
    if update.effective_chat is None:
        return
    reply = await asyncio.to_thread(
        stats, context.library, context.people, user_lang(update, context)
    )
    await send(context, update.effective_chat.id, reply)


async def scheduled_reload(context: BotContext) -> None:
    """The job that ``ARTICLEBOT_RELOAD_EVERY`` repeats."""
    if await run_reload(context) is None:
        logger.info("scheduled reload skipped: a reload is already running")


async def run_reload(
    context: BotContext, chat_id: int | None = None, lang: str = ADMIN_CHAT_LANG
) -> ReloadOutcome | None:
    """Re-ingest the configured sources, one reload at a time, for /reload and the schedule.

    With ``chat_id`` (an admin's /reload) the start and the report go to that chat; without it
    (the schedule) only a report with failures is sent, to the admin chat. None when another
    reload is running.
    """
    lock = context.bot_data.reload_lock
    if lock.locked():
        return None
    async with lock:
        if chat_id is not None:
            await send(context, chat_id, Reply(t(lang, "reload_started")))
        outcome = await asyncio.to_thread(reload_sources, context.library, context.settings.sources)
    try:
        await _report_reload(context, outcome, chat_id, lang)
    finally:
        # The followers' alerts must not hang on the report reaching the admin (who may have
        # blocked the bot, or be out of reach).
        if outcome.report is not None:
            await following.articles_arrived(context, outcome.report)
    return outcome


async def _report_reload(
    context: BotContext, outcome: ReloadOutcome, chat_id: int | None, lang: str
) -> None:
    """Report a reload to the admin who asked for it, or (a scheduled one) to the admin chat
    when it has new failures."""
    if chat_id is not None:
        await send_all(context, chat_id, outcome.replies(lang))
    elif _new_failures(context, outcome):
        await tell_admin_chat(context, outcome.replies(ADMIN_CHAT_LANG))


def _new_failures(context: BotContext, outcome: ReloadOutcome) -> bool:
    """Whether a scheduled reload failed in a way not reported by the previous one: a source
    that stays broken is reported once, not at every run."""
    failures = outcome.failures()
    if failures:
        logger.warning("scheduled reload: %d failures", len(failures))
    previous = context.bot_data.reported_failures
    context.bot_data.reported_failures = failures
    return bool(failures - previous)


async def tell_admin_chat(context: BotContext, items: Iterable[Reply]) -> None:
    """Send ``items`` to ``ARTICLEBOT_ADMIN_CHAT_ID``; without one, they are only logged."""
    chat_id = context.settings.admin_chat_id
    if chat_id is None:
        logger.info("no ARTICLEBOT_ADMIN_CHAT_ID: the report stays in this log")
        return
    for reply in items:
        await cosmetic(send(context, chat_id, reply), "admin chat report")
