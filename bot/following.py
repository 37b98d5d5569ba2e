"""Follows: /follow, /following, /unfollow and the buttons that stop a follow; a group's follows
moving with it when it becomes a supergroup; and the followers' alerts when articles arrive."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from telegram import Update

from bot import alerts as alerting
from bot.context import BotContext, answer_query, user_lang
from bot.conversation import extract_question, follow, following, unfollow
from bot.i18n import t
from bot.messages import Reply
from bot.messaging import edit, send
from bot.questions import pressed
from bot.refusals import cannot_save
from knowledge import LibraryBusy

if TYPE_CHECKING:
    from bot.people import People
    from knowledge import IngestReport

logger = logging.getLogger(__name__)

__all__ = [
    "articles_arrived",
    "on_chat_migrated",
    "on_follow",
    "on_following",
    "on_unfollow",
    "on_unfollow_button",
    "send_due_alerts",
]


async def on_follow(update: Update, context: BotContext) -> None:
    """/follow phrase: new articles that contain it are sent to this chat after each reload."""
    await _on_phrase_command(update, context, follow)


async def on_following(update: Update, context: BotContext) -> None:
    """/following: what this chat follows, with buttons to stop."""
    if update.effective_chat is None:
        return
    chat_id, lang = update.effective_chat.id, user_lang(update, context)
    reply = await asyncio.to_thread(following, context.people, chat_id, lang)
    await send(context, chat_id, reply)


async def on_unfollow(update: Update, context: BotContext) -> None:
    """/unfollow phrase, /unfollow all, or /unfollow alone to pick from a list."""
    await _on_phrase_command(update, context, unfollow)


async def _on_phrase_command(
    update: Update, context: BotContext, action: Callable[[People, int, str, str], Reply]
) -> None:
    """Run ``action(people, chat id, phrase, lang)`` off the event loop and send its reply."""
    message = update.effective_message
    if message is None:
        return
    phrase = extract_question(message.text or "", context.bot.username)
    lang = user_lang(update, context, phrase)
    reply = await asyncio.to_thread(action, context.people, message.chat_id, phrase, lang)
    await send(context, message.chat_id, reply)


async def on_unfollow_button(update: Update, context: BotContext) -> None:
    """🔕 under the list of follows: stop that one and show the list as it is now."""
    press = pressed(update, context)
    if press is None:
        return
    query, message, _, lang = press
    people = context.people
    chat_id = message.chat_id if message else query.from_user.id
    follow_id = int(context.button[1])
    try:
        removed = await asyncio.to_thread(people.unfollow, chat_id, None, follow_id)
    except LibraryBusy as error:  # (or the library is read-only here)
        await answer_query(query, cannot_save(lang, error), alert=True)
        return
    # Pressed twice, or stopped meanwhile: the list as it is now says enough.
    done = t(lang, "unfollow_done", phrase=removed[0].phrase) if removed else ""
    await answer_query(query, done)
    if message is not None:
        await edit(
            context, message, await asyncio.to_thread(following, people, chat_id, lang, done)
        )


async def on_chat_migrated(update: Update, context: BotContext) -> None:
    """A group became a supergroup, with a new id: its follows go along. Telegram says so in
    both chats (``migrate_to_chat_id`` in the old one, ``migrate_from_chat_id`` in the new)."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat_id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat_id
    else:
        return
    await alerting.move_chat(context.people, old, new)


async def articles_arrived(context: BotContext, report: IngestReport) -> None:
    """The one place where the bot reacts to what an ingest stored: called after every reload
    (/reload or scheduled) and every channel post, with its report, once the new articles
    (``report.added_ids``) are searchable. Reactions to new articles belong here. The alerts go
    out in a task of their own: a reload or the channel post queue never waits for a round."""
    if report.added_ids:
        logger.info("%d new articles: ids %s", len(report.added_ids), report.added_ids[:20])
    context.bot_data.alert_rounds.request()
    context.bot_data.embedding.request()  # their passages' vectors, in the background


async def send_due_alerts(context: BotContext) -> None:
    """Send the followers' alerts that are due, one round at a time (a round that waits for
    another then sends what that one left). Also the job that runs at start-up and then every
    minute: it finds what another process (a command-line ingest) added, and the alerts that
    had to wait."""
    async with context.bot_data.alerts_lock:
        await alerting.send_alerts(context, context.library, context.people)
