"""Alerts: each chat gets the new articles that match the phrases it follows.

``send_alerts`` is the one call. It sends what the library says is due (``Library.due_alerts``:
the articles added since alerts were last handled, by this process or by another one) and then
moves the library's mark past them. So every new article is handled once however it arrived,
and alerts that had to wait (a restart, a library busy with an ingest) go out with the next
call. What matches is the library's business; here the alerts are claimed, formatted and sent
through the application's bot, so its rate limiter paces them.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from telegram.error import Forbidden, TelegramError

from bot import replies
from bot.messaging import send
from knowledge import KnowledgeError, LibraryBusy

if TYPE_CHECKING:
    from bot.messaging import HasBot
    from knowledge import ChatAlerts, Library

logger = logging.getLogger(__name__)

__all__ = ["move_chat", "send_alerts"]


async def send_alerts(context: HasBot, library: Library) -> int:
    """Send each chat the new articles that match what it follows (one message per chat, at
    most ``ALERTS_PER_CHAT`` articles, never one it was sent before), then mark them handled;
    returns the number of chats alerted. ``context`` is anything with the bot: a handler's or
    job's context, or the application.

    Never raises. A chat that cannot be reached is skipped, and one that blocked the bot or
    removed it loses its follows. While the library is too busy to record a chat's alerts, the
    mark stays where it was, and the next call makes them again (what was sent is not sent
    twice)."""
    try:
        due = await asyncio.to_thread(library.due_alerts)
    except Exception:  # alerts must never spoil what triggered them
        logger.exception("could not work out the alerts")
        return 0
    if due.through is None:
        return 0
    sent, waiting = 0, 0
    for plan in due.chats:
        try:
            sent += await _send_chat_alerts(context, library, plan)
        except LibraryBusy as error:
            waiting += 1
            logger.warning("alerts for chat %s wait for the next round: %s", plan.chat_id, error)
    if sent:
        logger.info("sent alerts to %d chats", sent)
    if not waiting:
        await _mark_handled(library, due.through)
    return sent


async def _send_chat_alerts(context: HasBot, library: Library, plan: ChatAlerts) -> int:
    """Claim and send one chat's alerts; 1 if a message was sent, else 0. Raises
    ``LibraryBusy`` when they cannot be claimed now."""
    # Claimed before sending: an alert lost to a failure beats one sent twice.
    plan = await asyncio.to_thread(library.mark_sent, plan)
    if not plan.alerts:
        return 0
    reply = replies.format_alerts(plan, plan.lang or "en")
    try:
        message = await send(context, plan.chat_id, reply)
    except Forbidden as error:  # blocked by the user, or removed from the group
        await _drop_follows(library, plan.chat_id, error)
        return 0
    except TelegramError as error:
        logger.warning("could not send alerts to chat %s: %s", plan.chat_id, error)
        return 0
    if message is not None and message.chat_id != plan.chat_id:
        await move_chat(library, plan.chat_id, message.chat_id)  # it became a supergroup
    return 1


async def _mark_handled(library: Library, through: int) -> None:
    try:
        await asyncio.to_thread(library.alerts_done, through)
    except KnowledgeError as error:
        logger.warning("alerts handled up to article %s, not recorded yet: %s", through, error)


async def move_chat(library: Library, old: int, new: int) -> None:
    """A group became a supergroup, with a new id: its follows, and what it was sent, go
    along. Never raises (while the library is busy they stay behind, until the next notice:
    Telegram tells both chats, and a send to the old id says so again)."""
    try:
        moved = await asyncio.to_thread(library.move_chat, old, new)
    except KnowledgeError as error:
        logger.warning("chat %s is now %s; its follows stay behind for now: %s", old, new, error)
        return
    logger.info("chat %s is now %s: moved its %d follows", old, new, moved)


async def _drop_follows(library: Library, chat_id: int, error: Exception) -> None:
    try:
        removed = await asyncio.to_thread(library.unfollow, chat_id)
    except KnowledgeError as busy:
        logger.warning("chat %s is unreachable (%s); its follows stay: %s", chat_id, error, busy)
        return
    logger.info("chat %s is unreachable (%s): dropped its %d follows", chat_id, error, len(removed))
