"""/settings, /privacy and /forget with their buttons: a person's own settings and data.

The buttons under /settings and /forget carry the id of the user who sent the command, and
only that user may press them: in a group everyone sees them, and a press by someone else
would change, or delete, the presser's data from another's message (or show the presser's
settings in it). Others get a short alert instead; the commands themselves work in groups
too (where the bot is addressed), so nobody has to leave the group to use them.
"""

from __future__ import annotations

import asyncio

from telegram import CallbackQuery, Update

from bot import preferences
from bot.context import BotContext, answer_query, query_message, user_lang
from bot.i18n import t
from bot.messaging import edit, send
from bot.previews import previews_on
from bot.refusals import cannot_save
from knowledge import LibraryBusy

__all__ = [
    "on_forget",
    "on_forget_button",
    "on_privacy",
    "on_setting_button",
    "on_settings",
]


async def on_settings(update: Update, context: BotContext) -> None:
    """/settings: language and link previews, with buttons to change them."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    lang = user_lang(update, context)
    on = previews_on(context, user.id)
    await send(context, chat.id, preferences.settings_reply(lang, on, user.id))


async def on_setting_button(update: Update, context: BotContext) -> None:
    """A button under /settings: store the choice and show the settings as they are now."""
    query = await _own_press(update, context)
    if query is None:
        return
    user_id = query.from_user.id
    choice, previews = context.button[2], context.button[3]
    try:
        if choice:
            await asyncio.to_thread(context.people.set_language, user_id, choice)
        else:
            await asyncio.to_thread(context.people.set_previews, user_id, previews == "1")
    except LibraryBusy as error:  # (or the library is read-only here)
        await answer_query(query, cannot_save(user_lang(update, context), error), alert=True)
        return
    lang = user_lang(update, context)
    await answer_query(query, t(lang, "settings_saved"))
    message = query_message(query)
    if message is not None:
        reply = preferences.settings_reply(lang, previews_on(context, user_id), user_id)
        await edit(context, message, reply)


async def on_privacy(update: Update, context: BotContext) -> None:
    """/privacy: what the bot keeps, for how long, and how to delete it."""
    if update.effective_chat is not None:
        await send(
            context, update.effective_chat.id, preferences.privacy(user_lang(update, context))
        )


async def on_forget(update: Update, context: BotContext) -> None:
    """/forget: ask for a confirmation first, with buttons for the sender alone."""
    user, chat = update.effective_user, update.effective_chat
    if user is not None and chat is not None:
        lang = user_lang(update, context)
        await send(context, chat.id, preferences.forget_confirm(lang, user.id))


async def on_forget_button(update: Update, context: BotContext) -> None:
    """Delete my data / Cancel under /forget: do it (or not) and say what went, in place."""
    query = await _own_press(update, context)
    if query is None:
        return
    lang = user_lang(update, context)  # before the language choice goes
    forgotten = None
    if context.button[2] == "1":
        user_id = query.from_user.id
        try:
            # In a group the chat's follows are the group's: only a private chat's go.
            forgotten = await asyncio.to_thread(context.people.forget, user_id, user_id)
        except LibraryBusy as error:  # (or the library is read-only here)
            await answer_query(query, cannot_save(lang, error), alert=True)
            return
    reply = preferences.forget_done(forgotten, lang)
    await answer_query(query)
    message = query_message(query)
    if message is not None:
        await edit(context, message, reply)


async def _own_press(update: Update, context: BotContext) -> CallbackQuery | None:
    """The press of a /settings or /forget button by the user it was made for; None (after
    an alert to the presser) for anyone else."""
    query = update.callback_query
    if query is None:
        return None
    if int(context.button[1]) != query.from_user.id:
        await answer_query(query, t(user_lang(update, context), "not_your_button"), alert=True)
        return None
    return query
