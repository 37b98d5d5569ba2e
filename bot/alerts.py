"""Alerts: each chat gets the new articles that match the phrases it follows.

``send_alerts`` is the one call. It sends what is due (``People.due_alerts``: the articles the
library stored since alerts were last handled, by this process or by another one) and then
moves the alerts mark past them. So every new article is handled once however it arrived,
and alerts that had to wait (a restart, a library busy with an ingest) go out with the next
call. ``Rounds`` runs the calls that ingests ask for, one at a time, without making them wait.
What matches is the library's business (``Library.new_matches``); here the alerts are claimed,
formatted and sent through the application's bot, so its rate limiter paces them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from telegram.error import Forbidden, TelegramError

from bot import follow_replies
from bot.messaging import send
from knowledge import KnowledgeError, LibraryBusy

if TYPE_CHECKING:
    from bot.messaging import HasBot
    from bot.people import ChatAlerts, People
    from knowledge import Library

logger = logging.getLogger(__name__)

__all__ = ["Rounds", "move_chat", "send_alerts"]


async def send_alerts(context: HasBot, library: Library, people: People) -> int:
    """Send each chat the new articles that match what it follows (one message per chat, at
    most ``ALERTS_PER_CHAT`` articles, never one it was sent before), then mark them handled;
    returns the number of chats alerted. ``context`` is anything with the bot: a handler's or
    job's context, or the application.

    Never raises. A chat that cannot be reached is skipped, and one that blocked the bot or
    removed it loses its follows. When the library is too busy to record a chat's alerts, the
    round stops there and the mark stays where it was: the next call makes the alerts of that
    chat and the following ones again (what was sent is not sent twice)."""
    try:
        due = await asyncio.to_thread(people.due_alerts, library)
    except Exception:  # alerts must never spoil what triggered them
        logger.exception("could not work out the alerts")
        return 0
    if due.through is None:
        return 0
    sent = 0
    for done, plan in enumerate(due.chats):
        try:
            sent += await _send_chat_alerts(context, people, plan)
        except LibraryBusy as error:
            # The others would wait as long each: the round stops, and the next one makes
            # what is left again (what was sent is not sent twice).
            left = len(due.chats) - done
            logger.warning("alerts for %d chats wait for the next round: %s", left, error)
            break
    else:
        await _mark_handled(library, people, due.through)
    if sent:
        logger.info("sent alerts to %d chats", sent)
    return sent


class Rounds:
    """Runs ``send_round`` in a task of its own when asked, one round at a time: whoever asks
    (an ingest that stored articles) does not wait for a round, which takes as long as the
    chats it has to message. A request made while a round runs gets one more round after it
    (its articles may have come after that round worked out what was due)."""

    def __init__(self, send_round: Callable[[], Awaitable[object]]) -> None:
        self._send_round = send_round
        self._again = False
        self._task: asyncio.Task[None] | None = None

    def request(self) -> None:
        """Have a round run soon; returns at once."""
        self._again = True
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="alerts")

    async def idle(self) -> None:
        """Wait until the rounds requested so far have run."""
        while self._task is not None and not self._task.done():
            await asyncio.wait([self._task])

    async def _run(self) -> None:
        while self._again:
            self._again = False
            try:
                await self._send_round()
            except Exception:  # the next request must still get its round
                logger.exception("an alert round failed")


async def _send_chat_alerts(context: HasBot, people: People, plan: ChatAlerts) -> int:
    """Claim and send one chat's alerts; 1 if a message was sent, else 0. Raises
    ``LibraryBusy`` when they cannot be claimed now."""
    # Claimed before sending: an alert lost to a failure beats one sent twice.
    plan = await asyncio.to_thread(people.mark_sent, plan)
    if not plan.alerts:
        return 0
    reply = follow_replies.format_alerts(plan, plan.lang or "en")
    try:
        message = await send(context, plan.chat_id, reply)
    except Forbidden as error:  # blocked by the user, or removed from the group
        await _drop_follows(people, plan.chat_id, error)
        return 0
    except TelegramError as error:
        logger.warning("could not send alerts to chat %s: %s", plan.chat_id, error)
        return 0
    if message is not None and message.chat_id != plan.chat_id:
        await move_chat(people, plan.chat_id, message.chat_id)  # it became a supergroup
    return 1


async def _mark_handled(library: Library, people: People, through: int) -> None:
    try:
        await asyncio.to_thread(people.alerts_done, library, through)
    except KnowledgeError as error:
        logger.warning("alerts handled up to article %s, not recorded yet: %s", through, error)


async def move_chat(people: People, old: int, new: int) -> None:
    """A group became a supergroup, with a new id: its follows, and what it was sent, go
    along. Never raises (while the library is busy they stay behind, until the next notice:
    Telegram tells both chats, and a send to the old id says so again)."""
    try:
        moved = await asyncio.to_thread(people.move_chat, old, new)
    except KnowledgeError as error:
        logger.warning("chat %s is now %s; its follows stay behind for now: %s", old, new, error)
        return
    logger.info("chat %s is now %s: moved its %d follows", old, new, moved)


async def _drop_follows(people: People, chat_id: int, error: Exception) -> None:
    try:
        removed = await asyncio.to_thread(people.unfollow, chat_id)
    except KnowledgeError as busy:
        logger.warning("chat %s is unreachable (%s); its follows stay: %s", chat_id, error, busy)
        return
    logger.info("chat %s is unreachable (%s): dropped its %d follows", chat_id, error, len(removed))
