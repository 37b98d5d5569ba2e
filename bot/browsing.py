"""Browsing the library: /latest and its pages, /sources, the buttons that open an article, and
/language with its buttons."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update

from bot import callbacks, messages
from bot.context import BotContext, answer_query, query_message, user_lang
from bot.conversation import coverage, language_arg, latest, set_language, show_article
from bot.i18n import t
from bot.limits import LATEST_DEFAULT, LATEST_MAX
from bot.messages import Reply
from bot.messaging import edit, send, send_all
from bot.questions import expiry, pressed

logger = logging.getLogger(__name__)

__all__ = [
    "on_article",
    "on_language",
    "on_language_button",
    "on_latest",
    "on_latest_page",
    "on_sources",
]


async def on_latest(update: Update, context: BotContext) -> None:
    """/latest [n]: the newest articles."""
    if update.effective_chat is None:
        return
    n = LATEST_DEFAULT
    if context.args and context.args[0].isdigit():
        n = max(1, min(int(context.args[0]), LATEST_MAX))
    lang = user_lang(update, context)
    reply = await asyncio.to_thread(latest, context.library, lang, n, 0)
    if reply is not None:  # only a later page can be gone
        await send(context, update.effective_chat.id, reply)


async def on_sources(update: Update, context: BotContext) -> None:
    """/sources: what the library covers, for everyone."""
    if update.effective_chat is None:
        return
    lang = user_lang(update, context)
    reply = await asyncio.to_thread(coverage, context.library, lang)
    await send(context, update.effective_chat.id, reply)


async def on_language(update: Update, context: BotContext) -> None:
    """/language [ar|en]: choose the reply language."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    choice = language_arg(context.args)
    if choice:
        reply = await asyncio.to_thread(set_language, context.people, user.id, choice)
        await send(context, chat.id, reply)
        return
    lang = user_lang(update, context)
    buttons = (
        (
            messages.Button("العربية", callbacks.language("ar")),
            messages.Button("English", callbacks.language("en")),
        ),
    )
    await send(context, chat.id, Reply(t(lang, "language_choose"), buttons))


async def on_language_button(update: Update, context: BotContext) -> None:
    """A language button under /language: remember it, and say so in that language."""
    query = update.callback_query
    if query is None:
        return
    choice = context.button[1]
    reply = await asyncio.to_thread(set_language, context.people, query.from_user.id, choice)
    await answer_query(query, reply.text)
    message = query_message(query)
    if message is not None:
        await edit(context, message, reply)


async def on_article(update: Update, context: BotContext) -> None:
    """The button of an article: the whole article, as new messages."""
    press = pressed(update, context)
    if press is None:
        return
    query, message, _, lang = press
    await answer_query(query)
    chat_id = message.chat_id if message else query.from_user.id
    article_id = int(context.button[1])
    items = await asyncio.to_thread(show_article, context.library, article_id, lang)
    await send_all(context, chat_id, items)


async def on_latest_page(update: Update, context: BotContext) -> None:
    """Newer / Older under /latest: that page in place of the shown one; a page that is gone
    (the library changed) says so in an alert."""
    press = pressed(update, context)
    if press is None:
        return
    query, message, _, lang = press
    offset, n = int(context.button[1]), int(context.button[2])
    reply = None
    if message is not None:
        reply = await asyncio.to_thread(latest, context.library, lang, n, offset)
    if message is None or reply is None:
        await answer_query(query, t(lang, await expiry(context, message)), alert=True)
        return
    await answer_query(query)
    await edit(context, message, reply)
