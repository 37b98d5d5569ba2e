"""/settings, /privacy and /forget with their buttons, the example buttons of /start, and the
link preview an answer gets (the top article's page, unless the user or the bot turned
previews off)."""

from __future__ import annotations

import asyncio

from telegram import LinkPreviewOptions, Update

from bot import preferences
from bot.context import BotContext, answer_query, query_message, user_lang
from bot.conversation import ask_example
from bot.i18n import t
from bot.messages import Reply
from bot.messaging import edit, send
from knowledge import LibraryBusy

__all__ = [
    "link_preview_options",
    "on_example_button",
    "on_forget",
    "on_forget_button",
    "on_privacy",
    "on_setting_button",
    "on_settings",
    "previews_on",
]


def previews_on(context: BotContext, user_id: int | None) -> bool:
    """Whether ``user_id`` gets link previews: their /settings choice, else the bot's
    (``ARTICLEBOT_LINK_PREVIEWS``)."""
    chosen = context.people.previews(user_id) if user_id is not None else None
    return context.settings.link_previews if chosen is None else chosen


def link_preview_options(
    context: BotContext, user_id: int | None, reply: Reply
) -> LinkPreviewOptions | None:
    """The preview under an answer: its top article's page, small and below the text (the
    answer comes first); None (the bot's default: no preview) without a URL or when off."""
    if reply.preview_url is None or not previews_on(context, user_id):
        return None
    # is_disabled explicitly: PTB fills the fields left out from the bot's defaults (disabled).
    return LinkPreviewOptions(is_disabled=False, url=reply.preview_url, prefer_small_media=True)


async def on_settings(update: Update, context: BotContext) -> None:
    """/settings: language and link previews, with buttons to change them."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    lang = user_lang(update, context)
    await send(context, chat.id, preferences.settings_reply(lang, previews_on(context, user.id)))


async def on_setting_button(update: Update, context: BotContext) -> None:
    """A button under /settings: store the choice and show the settings as they are now."""
    query = update.callback_query
    if query is None:
        return
    user_id = query.from_user.id
    choice, previews = context.button[1], context.button[2]
    try:
        if choice:
            await asyncio.to_thread(context.people.set_language, user_id, choice)
        else:
            await asyncio.to_thread(context.people.set_previews, user_id, previews == "1")
    except LibraryBusy:
        await answer_query(query, t(user_lang(update, context), "busy"), alert=True)
        return
    lang = user_lang(update, context)
    await answer_query(query, t(lang, "settings_saved"))
    message = query_message(query)
    if message is not None:
        await edit(
            context, message, preferences.settings_reply(lang, previews_on(context, user_id))
        )


async def on_privacy(update: Update, context: BotContext) -> None:
    """/privacy: what the bot keeps, for how long, and how to delete it."""
    if update.effective_chat is not None:
        await send(
            context, update.effective_chat.id, preferences.privacy(user_lang(update, context))
        )


async def on_forget(update: Update, context: BotContext) -> None:
    """/forget: ask for a confirmation first."""
    if update.effective_chat is not None:
        lang = user_lang(update, context)
        await send(context, update.effective_chat.id, preferences.forget_confirm(lang))


async def on_forget_button(update: Update, context: BotContext) -> None:
    """Delete my data / Cancel under /forget: do it (or not) and say what went, in place."""
    query = update.callback_query
    if query is None:
        return
    lang = user_lang(update, context)  # before the language choice goes
    forgotten = None
    if context.button[1] == "1":
        user_id = query.from_user.id
        try:
            # In a group the chat's follows are the group's: only a private chat's go.
            forgotten = await asyncio.to_thread(context.people.forget, user_id, user_id)
        except LibraryBusy:
            await answer_query(query, t(lang, "busy"), alert=True)
            return
    reply = preferences.forget_done(forgotten, lang)
    await answer_query(query)
    message = query_message(query)
    if message is not None:
        await edit(context, message, reply)


async def on_example_button(update: Update, context: BotContext) -> None:
    """An example question under /start: asked as if typed, answered in a new message."""
    query = update.callback_query
    if query is None:
        return
    message = query_message(query)
    lang = user_lang(update, context)
    article_id, index = int(context.button[1]), int(context.button[2])
    user_id = query.from_user.id
    reply = await asyncio.to_thread(
        ask_example, context.library, context.people, article_id, index, lang, user_id
    )
    if reply is None:
        await answer_query(query, t(lang, "expired"), alert=True)
        return
    await answer_query(query)
    chat_id = message.chat_id if message else user_id
    preview = link_preview_options(context, user_id, reply)
    await send(context, chat_id, reply, link_preview=preview)
