"""Questions: a message in a private chat, a caption, /ask, a mention or a reply in a group,
an example button of /start; the pages of an answer (the first with its link preview) and
the 👍 / 👎 votes under it; and what is not text."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import TYPE_CHECKING, NamedTuple

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction

from bot import answers, callbacks
from bot.context import BotContext, answer_query, query_message, user_lang
from bot.conversation import answer, ask, ask_example, example_question, extract_question, vote
from bot.i18n import t
from bot.messages import Reply
from bot.messaging import cosmetic, edit, send
from bot.previews import link_preview_options
from bot.refusals import cannot_save
from knowledge import LibraryBusy

if TYPE_CHECKING:
    from bot.people import Votes

logger = logging.getLogger(__name__)

__all__ = [
    "addresses_bot",
    "changed_after",
    "expiry",
    "on_answer_page",
    "on_ask",
    "on_caption",
    "on_example_button",
    "on_group_message",
    "on_not_text",
    "on_question",
    "on_unknown_button",
    "on_vote",
    "question_of",
]


async def on_question(update: Update, context: BotContext) -> None:
    """A text message in a private chat is a question."""
    message = update.effective_message
    if message is None:
        return
    await _answer(
        update, context, message, extract_question(message.text or "", context.bot.username)
    )


async def on_caption(update: Update, context: BotContext) -> None:
    """A photo or file with a caption in a private chat: the caption is the question."""
    message = update.effective_message
    if message is None:
        return
    question = extract_question(message.caption or "", context.bot.username)
    await _answer(update, context, message, question)


async def on_group_message(update: Update, context: BotContext) -> None:
    """In groups, answer only when addressed: a mention of the bot or a reply to it."""
    message = update.effective_message
    if message is not None and addresses_bot(message, context.bot.id, context.bot.username):
        await _answer(
            update, context, message, extract_question(message.text or "", context.bot.username)
        )


def addresses_bot(message: Message, bot_id: int, username: str | None) -> bool:
    """Whether ``message`` is for the bot: a reply to it, or a mention of it."""
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return True
    mentions = message.parse_entities(["mention", "text_mention"])
    for entity, text in mentions.items():
        if entity.user is not None and entity.user.id == bot_id:
            return True
        if username and text.lower() == f"@{username.lower()}":
            return True
    return False


async def on_ask(update: Update, context: BotContext) -> None:
    """/ask question: how questions are asked in groups (works in private chats too)."""
    message = update.effective_message
    if message is None:
        return
    question = extract_question(message.text or "", context.bot.username)
    if not question:
        lang = user_lang(update, context)
        example = await asyncio.to_thread(example_question, context.library, lang)
        await send(context, message.chat_id, Reply(t(lang, "ask_usage", example=example)))
        return
    await _answer(update, context, message, question)


async def _answer(update: Update, context: BotContext, message: Message, question: str) -> None:
    lang = user_lang(update, context, question)
    typing = context.bot.send_chat_action(message.chat_id, ChatAction.TYPING)
    await cosmetic(typing, "sendChatAction")
    user_id = update.effective_user.id if update.effective_user else None
    reply = await asyncio.to_thread(ask, context.library, context.people, question, lang, user_id)
    preview = link_preview_options(context, user_id, reply)
    # A reply to the question: the paging buttons find the question there again, even after a
    # restart, so their callback data stays tiny.
    await send(context, message.chat_id, reply, reply_to=message.message_id, link_preview=preview)


async def on_not_text(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice notes, files: say that only text is read."""
    if update.effective_chat is None:
        return
    lang = user_lang(update, context)
    await send(context, update.effective_chat.id, Reply(t(lang, "not_text")))


def question_of(message: Message, bot_username: str | None) -> str | None:
    """The question an answer message answers: the message it replies to, else its header."""
    original = message.reply_to_message
    if original is not None and original.text:
        return extract_question(original.text, bot_username) or None
    return answers.question_from_answer(message.text)


class Press(NamedTuple):
    """A button press, as every button's handler starts from it."""

    query: CallbackQuery
    message: Message | None
    """The message the button is under; None when Telegram no longer says (too old)."""
    question: str | None
    """The question that message answers, if it is an answer."""
    lang: str
    """The language to reply in."""


def pressed(update: Update, context: BotContext) -> Press | None:
    """The button press ``update`` carries, if any."""
    query = update.callback_query
    if query is None:
        return None
    message = query_message(query)
    question = question_of(message, context.bot.username) if message else None
    return Press(query, message, question, user_lang(update, context, question))


async def on_answer_page(update: Update, context: BotContext) -> None:
    """More results / Previous under an answer: that page, in place of the shown one; a page
    that no longer exists (the library changed) says so in an alert."""
    press = pressed(update, context)
    if press is None:
        return
    query, message, question, lang = press
    reply = None
    if message is not None and question:
        page = int(context.button[1])
        question_id = callbacks.feedback_question(_callback_datas(message))
        reply = await asyncio.to_thread(
            answer, context.library, context.people, question, lang, page, question_id
        )
    if message is None or reply is None:
        # Only a page the library no longer has can be blamed on the library.
        unknown = message is not None and message.is_accessible and not question
        why = "expired" if unknown else await expiry(context, message)
        await answer_query(query, t(lang, why), alert=True)
        return
    await answer_query(query)
    # The first page shows its top article's preview again (an edit without one loses it).
    preview = link_preview_options(context, query.from_user.id, reply)
    await edit(context, message, reply, link_preview=preview)


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


async def expiry(context: BotContext, message: Message | None) -> str:
    """The key of the note for a button whose page the library no longer gives, naming the
    cause only when it is known: Telegram no longer shows the bot the message (too old or
    deleted: ``expired_old``), the library changed after the message was last written
    (``expired_updated``), else ``expired`` (a restart, an old button: no known cause)."""
    if message is None or not message.is_accessible:  # PTB may give a dateless Message
        return "expired_old"
    changed = await asyncio.to_thread(context.library.last_change)
    written = message.edit_date or message.date
    if changed and written is not None and changed_after(changed, written):
        return "expired_updated"
    return "expired"


def changed_after(changed: str, written: dt.datetime) -> bool:
    """Whether the library's last change (ISO, UTC) came after ``written``."""
    try:
        when = dt.datetime.fromisoformat(changed)
    except ValueError:
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    if written.tzinfo is None:
        written = written.replace(tzinfo=dt.timezone.utc)
    return when > written


async def on_vote(update: Update, context: BotContext) -> None:
    """👍 / 👎: store the vote, thank the voter, and show the counts on the buttons."""
    press = pressed(update, context)
    if press is None:
        return
    query, message, _, lang = press
    if not _shown_to_voter(message, query.data, context.bot.id):
        await answer_query(query, t(lang, "expired"), alert=True)
        return
    question_id, helpful, passage_ids = callbacks.vote_args(context.button)
    try:
        votes = await asyncio.to_thread(
            vote, context.people, question_id, helpful, passage_ids, query.from_user.id
        )
    except LibraryBusy as error:  # (or the library is read-only here)
        await answer_query(query, cannot_save(lang, error), alert=True)
        return
    if votes is None:
        await answer_query(query, t(lang, "expired"), alert=True)
        return
    await answer_query(query, t(lang, "feedback_thanks"))
    await _show_votes(context, message, votes)


def _shown_to_voter(message: Message | None, data: str | None, bot_id: int) -> bool:
    """Whether the pressed button is one of those under the bot's answer it comes with: Telegram
    sends a press only from someone the message reaches, but a client may forge the data (a vote
    on another answer, or on passages this one never showed)."""
    if message is None or message.from_user is None or message.from_user.id != bot_id:
        return False
    return data is not None and data in _callback_datas(message)


async def _show_votes(context: BotContext, message: Message | None, votes: Votes) -> None:
    if message is None or message.reply_markup is None:
        return
    markup = _with_votes(message.reply_markup, votes)
    edit_markup = context.bot.edit_message_reply_markup(
        message.chat_id, message.message_id, reply_markup=markup
    )
    await cosmetic(edit_markup, "editMessageReplyMarkup")  # "not modified" is fine too


def _with_votes(markup: InlineKeyboardMarkup, votes: Votes) -> InlineKeyboardMarkup:
    """``markup`` with its 👍 / 👎 buttons relabelled with the vote counts."""
    rows = []
    for row in markup.inline_keyboard:
        new_row = []
        for button in row:
            data = button.callback_data
            match = callbacks.VOTE.match(data) if isinstance(data, str) else None
            if match is not None:
                label = answers.feedback_label(match[2] == "1", votes)
                button = InlineKeyboardButton(label, callback_data=data)
            new_row.append(button)
        rows.append(new_row)
    return InlineKeyboardMarkup(rows)


def _callback_datas(message: Message) -> list[str | None]:
    markup = message.reply_markup
    if markup is None:
        return []
    datas = (b.callback_data for row in markup.inline_keyboard for b in row)
    return [data if isinstance(data, str) else None for data in datas]


async def on_unknown_button(update: Update, context: BotContext) -> None:
    """A button whose data no pattern knows (an old or forged one): the spinner stops, with a
    note that the button has expired."""
    press = pressed(update, context)
    if press is not None:
        await answer_query(press.query, t(press.lang, "expired"))
