"""Sending through the bot: HTML with a plain-text fallback, retries after network failures,
edits that degrade to new messages, and calls whose failure must not matter.

Used by the handlers and by the alerts (which run outside any update), so it knows nothing of
either.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol, TypeVar

import httpx
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
)
from telegram.error import BadRequest, ChatMigrated, NetworkError, TimedOut

from bot import splitting
from bot.messages import Reply

logger = logging.getLogger(__name__)

__all__ = ["RETRY_DELAYS", "HasBot", "cosmetic", "edit", "keyboard", "send", "send_all"]

T = TypeVar("T")


class HasBot(Protocol):
    """A handler's or a job's context, or the application: anything with the bot."""

    @property
    def bot(self) -> Bot: ...


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
    link_preview: LinkPreviewOptions | None = None,
) -> Message | None:
    """Send ``reply`` as HTML (the application's default, without link previews unless
    ``link_preview`` says otherwise); if Telegram refuses the markup, send it as plain text
    instead.
    A group that became a supergroup gets it under its new id: the message returned then has
    that chat id, for whoever keeps the old one."""
    params = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
    # Only when given: an explicit None would override the default and let Telegram preview.
    preview: dict[str, Any] = {"link_preview_options": link_preview} if link_preview else {}

    def html_message() -> Awaitable[Message]:
        return context.bot.send_message(
            chat_id,
            reply.text,
            reply_markup=keyboard(reply),
            reply_parameters=params,
            **preview,
        )

    try:
        return await _retrying(html_message)
    except ChatMigrated as error:  # a group became a supergroup: it has a new id
        logger.info("chat %s is now %s", chat_id, error.new_chat_id)
        return await send(context, error.new_chat_id, reply, reply_to, link_preview)
    except BadRequest as error:
        if not _is_entity_error(error):
            raise
        logger.warning("HTML refused (%s); sending plain text", error)
    pieces = splitting.plain_pieces(reply.text)
    message = None
    for i, piece in enumerate(pieces):
        markup = keyboard(reply) if i == len(pieces) - 1 else None

        def plain_message(
            piece: str = piece, markup: InlineKeyboardMarkup | None = markup
        ) -> Awaitable[Message]:
            return context.bot.send_message(
                chat_id,
                piece,
                parse_mode=None,  # plain text, whatever the default
                reply_markup=markup,
                reply_parameters=params,
            )

        message = await _retrying(plain_message)
    return message


async def send_all(
    context: HasBot,
    chat_id: int,
    items: Iterable[Reply],
    reply_to: int | None = None,
) -> None:
    for reply in items:
        await send(context, chat_id, reply, reply_to)


async def edit(
    context: HasBot,
    message: Message,
    reply: Reply,
    link_preview: LinkPreviewOptions | None = None,
) -> None:
    """Replace a message's text and buttons (paging); an unchanged page is not an error, and a
    message that can no longer be edited gets the page as a new message. ``link_preview`` as
    for ``send``: an edit is previewed by its own options (the bot's default: none), not by
    the message's former ones."""

    def edit_message(text: str, as_html: bool) -> Awaitable[object]:
        # HTML is the default; plain text must say so.
        plain: dict[str, None] = {} if as_html else {"parse_mode": None}
        preview: dict[str, Any] = {"link_preview_options": link_preview} if link_preview else {}
        return context.bot.edit_message_text(
            text,
            chat_id=message.chat.id,
            message_id=message.message_id,
            reply_markup=keyboard(reply),
            **plain,
            **preview,
        )

    try:
        await _retrying(lambda: edit_message(reply.text, True))
    except BadRequest as error:
        text = str(error).lower()
        if "not modified" in text:
            return
        if "not found" in text or "can't be edited" in text:
            logger.info("cannot edit message (%s); sending a new one", error)
            await send(context, message.chat.id, reply, link_preview=link_preview)
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
