"""Sending through the bot: HTML with a plain-text fallback, retries after network failures,
edits that degrade to new messages, and calls whose failure must not matter.

Used by the handlers and by the alerts (which run outside any update), so it knows nothing of
either.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

import httpx
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, NetworkError, TimedOut

from bot import splitting
from bot.messages import Reply

if TYPE_CHECKING:
    from typing import TypeAlias

    from telegram.ext import Application, ContextTypes

    HasBot: TypeAlias = ContextTypes.DEFAULT_TYPE | Application
    """A handler's or a job's context, or the application: anything with the bot."""

logger = logging.getLogger(__name__)

__all__ = ["NO_PREVIEW", "RETRY_DELAYS", "cosmetic", "edit", "keyboard", "send", "send_all"]

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
T = TypeVar("T")


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.label, url=b.url)
                if b.url
                else InlineKeyboardButton(b.label, callback_data=b.data)
                for b in row
            ]
            for row in reply.buttons
        ]
    )


def _is_entity_error(error: BadRequest) -> bool:
    text = str(error).lower()
    return "parse" in text or "entit" in text or "too long" in text or "tag" in text


RETRY_DELAYS: tuple[float, ...] = (1.0, 3.0)
"""Pauses before retrying a Bot API call that failed on the network (flood control, RetryAfter,
is retried by the rate limiter)."""


async def _retrying(make: Callable[[], Awaitable[T]]) -> T:
    """``await make()``, retried after a network failure that kept the request from Telegram;
    refusals (BadRequest) are not retried, nor a timeout once the request was sent (Telegram
    may have delivered it: a second send would repeat the message)."""
    for delay in RETRY_DELAYS:
        try:
            return await make()
        except BadRequest:
            raise
        except NetworkError as error:
            if not _never_sent(error):
                raise
            logger.warning("network error (%s); retrying in %.0f s", error, delay)
            await asyncio.sleep(delay)
    return await make()


def _never_sent(error: NetworkError) -> bool:
    """Whether the request surely did not reach Telegram: any network error but a timeout,
    or a timeout while connecting or waiting for a connection."""
    if not isinstance(error, TimedOut):
        return True
    return isinstance(error.__cause__, (httpx.ConnectTimeout, httpx.PoolTimeout))


async def send(
    context: HasBot,
    chat_id: int,
    reply: Reply,
    reply_to: int | None = None,
) -> Message | None:
    """Send ``reply`` as HTML; if Telegram refuses the markup, send it as plain text instead.
    A group that became a supergroup gets it under its new id: the message returned then has
    that chat id, for whoever keeps the old one."""
    params = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None

    def html_message() -> Awaitable[Message]:
        return context.bot.send_message(
            chat_id,
            reply.text,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard(reply),
            link_preview_options=NO_PREVIEW,
            reply_parameters=params,
        )

    try:
        return await _retrying(html_message)
    except ChatMigrated as error:  # a group became a supergroup: it has a new id
        logger.info("chat %s is now %s", chat_id, error.new_chat_id)
        return await send(context, error.new_chat_id, reply, reply_to)
    except BadRequest as error:
        if not _is_entity_error(error):
            raise
        logger.warning("HTML refused (%s); sending plain text", error)
    pieces = splitting.plain_pieces(reply.text)
    message = None
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        message = await _retrying(
            lambda piece=piece, last=last: context.bot.send_message(
                chat_id,
                piece,
                reply_markup=keyboard(reply) if last else None,
                link_preview_options=NO_PREVIEW,
                reply_parameters=params,
            )
        )
    return message


async def send_all(
    context: HasBot,
    chat_id: int,
    items: Iterable[Reply],
    reply_to: int | None = None,
) -> None:
    for reply in items:
        await send(context, chat_id, reply, reply_to)


async def edit(context: HasBot, message: Message, reply: Reply) -> None:
    """Replace a message's text and buttons (paging); an unchanged page is not an error, and a
    message that can no longer be edited gets the page as a new message."""

    def edit_message(text: str, as_html: bool) -> Awaitable[object]:
        return context.bot.edit_message_text(
            text,
            chat_id=message.chat.id,
            message_id=message.message_id,
            parse_mode=ParseMode.HTML if as_html else None,
            reply_markup=keyboard(reply),
            link_preview_options=NO_PREVIEW,
        )

    try:
        await _retrying(lambda: edit_message(reply.text, True))
    except BadRequest as error:
        text = str(error).lower()
        if "not modified" in text:
            return
        if "not found" in text or "can't be edited" in text:
            logger.info("cannot edit message (%s); sending a new one", error)
            await send(context, message.chat.id, reply)
            return
        if not _is_entity_error(error):
            raise
        logger.warning("HTML refused (%s); editing as plain text", error)
        await _retrying(lambda: edit_message(splitting.plain_pieces(reply.text)[0], False))


async def cosmetic(call: Awaitable[object], what: str) -> None:
    """Await a call whose failure must not matter (chat actions, command menus)."""
    try:
        await call
    except Exception as error:  # any failure of a nicety is logged and ignored
        logger.warning("%s failed: %s", what, error)
