"""The error handler: every error is logged; the user hears that something went wrong, and
the admin chat gets the error (without the token)."""

from __future__ import annotations

import html
import logging
import re

from telegram import Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.admin import tell_admin_chat
from bot.context import BotContext, answer_query, user_lang
from bot.i18n import t
from bot.messages import Reply
from bot.messaging import cosmetic, send

logger = logging.getLogger(__name__)

__all__ = ["on_error", "redact"]

ERROR_CHARS = 3000
"""How much of an error's text the admin chat gets (the report stays one message)."""


def redact(text: str, token: str | None) -> str:
    """``text`` with the bot token replaced by ``<token>``, in any case: Telegram's error
    descriptions quote it lower-cased, and the library capitalises them."""
    if not token:
        return text
    return re.sub(re.escape(token), "<token>", text, flags=re.IGNORECASE)


async def on_error(update: object, context: BotContext) -> None:
    """Log every error; tell the user something went wrong and report to the admin chat."""
    logger.error("error while handling an update", exc_info=context.error)
    error = context.error
    if isinstance(error, (RetryAfter, Forbidden)) or (
        isinstance(error, NetworkError) and not isinstance(error, BadRequest)
    ):
        return  # Telegram is unreachable or the user blocked us: nothing more to say
    if isinstance(update, Update) and update.effective_chat is not None:
        lang = user_lang(update, context)
        if update.callback_query is not None:
            await answer_query(update.callback_query, t(lang, "error"))
        if update.effective_chat.type == ChatType.PRIVATE:
            await cosmetic(
                send(context, update.effective_chat.id, Reply(t(lang, "error"))), "error"
            )
    settings = context.settings
    if settings.admin_chat_id is not None:
        # An HTTP error can quote the request URL, which holds the token.
        detail = redact(str(error), settings.token)
        name, detail = html.escape(type(error).__name__), html.escape(detail[:ERROR_CHARS])
        await tell_admin_chat(context, [Reply(f"⚠️ <b>{name}</b>\n<code>{detail}</code>")])
