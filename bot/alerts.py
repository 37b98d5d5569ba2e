"""Alerts: after a reload, each chat gets the new articles that match the phrases it follows.

``send_alerts`` is the one call, made once an ingest has returned its report (by ``/reload``
today; by any other path that adds articles). What matches is the library's business
(``Library.alerts``); here the alerts are claimed, formatted and sent through the application's
bot, so its rate limiter paces them.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from telegram.error import Forbidden, TelegramError

from bot import replies
from bot.messaging import send
from knowledge import KnowledgeError

if TYPE_CHECKING:
    from telegram.ext import Application, ContextTypes

    from knowledge import ChatAlerts, IngestReport, Library

logger = logging.getLogger(__name__)

__all__ = ["send_alerts"]


async def send_alerts(
    context: ContextTypes.DEFAULT_TYPE | Application,
    library: Library,
    report: IngestReport,
) -> int:
    """Send each chat the new articles of ``report`` that match what it follows (one message
    per chat, at most ``ALERTS_PER_CHAT`` articles, never one it was sent before); returns the
    number of chats alerted. ``context`` is anything with the bot: a handler's or job's
    context, or the application. Never raises: a chat that cannot be reached is skipped, and one
    that blocked the bot or removed it loses its follows."""
    if not report.added_ids:
        return 0
    try:
        plans = await asyncio.to_thread(library.alerts, report.added_ids)
    except Exception:  # alerts must never spoil the reload that triggered them
        logger.exception("could not work out the alerts")
        return 0
    sent = 0
    for plan in plans:
        sent += await _send_chat_alerts(context, library, plan)
    if sent:
        logger.info("sent alerts to %d chats", sent)
    return sent


async def _send_chat_alerts(
    context: ContextTypes.DEFAULT_TYPE | Application, library: Library, plan: ChatAlerts
) -> int:
    """Claim and send one chat's alerts; 1 if a message was sent, else 0."""
    try:
        # Claimed before sending: an alert lost to a failure beats one sent twice.
        plan = await asyncio.to_thread(library.mark_sent, plan)
    except KnowledgeError as error:
        logger.warning("alerts for chat %s not sent: %s", plan.chat_id, error)
        return 0
    if not plan.alerts:
        return 0
    reply = replies.format_alerts(plan, plan.lang or "en")
    try:
        await send(context, plan.chat_id, reply)
    except Forbidden as error:  # blocked by the user, or removed from the group
        await _drop_follows(library, plan.chat_id, error)
        return 0
    except TelegramError as error:
        logger.warning("could not send alerts to chat %s: %s", plan.chat_id, error)
        return 0
    return 1


async def _drop_follows(library: Library, chat_id: int, error: Exception) -> None:
    try:
        removed = await asyncio.to_thread(library.unfollow, chat_id)
    except KnowledgeError as busy:
        logger.warning("chat %s is unreachable (%s); its follows stay: %s", chat_id, error, busy)
        return
    logger.info("chat %s is unreachable (%s): dropped its %d follows", chat_id, error, len(removed))
