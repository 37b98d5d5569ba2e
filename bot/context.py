"""The bot's typed context: what every handler reads as ``context.library``,
``context.settings``, ``context.people`` (``BotData``, one per application), and the two things
every handler asks of an update (the user's language, answering a button's query).
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any, TypeAlias

from telegram import CallbackQuery, Message, Update
from telegram.constants import CallbackQueryLimit
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot, JobQueue

from bot import i18n, markup
from bot.messaging import cosmetic

if TYPE_CHECKING:
    from bot.alerts import Rounds
    from bot.channels import PostQueue
    from bot.config import Settings
    from bot.embedding import BackgroundEmbedding
    from bot.people import People
    from bot.throttle import Throttle
    from knowledge import Library

__all__ = [
    "CONTEXT_TYPES",
    "BotApplication",
    "BotContext",
    "BotData",
    "answer_query",
    "query_message",
    "user_lang",
]


class BotData:
    """The application's state (PTB's ``bot_data``): the library it serves, its settings, the
    people's state, and the locks, throttles and queues the handlers share.

    PTB creates it empty; ``build_application`` fills in the library, the settings, the people,
    the throttles, the alert rounds and the channel post queue before any update arrives.
    """

    library: Library
    settings: Settings
    people: People
    """Follows, votes, the question log and language choices."""
    alert_rounds: Rounds
    """The alert rounds that ``following.articles_arrived`` asks for."""
    posts: PostQueue
    """The channel posts waiting to be stored."""
    embedding: BackgroundEmbedding
    """Embeds the passages without a vector, apart (``ARTICLEBOT_EMBED``)."""

    def __init__(self) -> None:
        self.throttle: Throttle | None = None
        """Floods of messages, commands and buttons (None: no limit)."""
        self.inline_throttle: Throttle | None = None
        """Floods of inline queries (None: no limit)."""
        self.reload_lock = asyncio.Lock()
        self.alerts_lock = asyncio.Lock()
        self.reported_failures: frozenset[tuple[str, str]] = frozenset()
        """The failures of the last scheduled reload (each is reported once)."""


class BotContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], BotData]):
    """The ``context`` of every handler and job, with the application's state as attributes."""

    @property
    def library(self) -> Library:
        return self.bot_data.library

    @property
    def settings(self) -> Settings:
        return self.bot_data.settings

    @property
    def people(self) -> People:
        return self.bot_data.people

    @property
    def button(self) -> re.Match[str]:
        """The match of a pressed button's data against its handler's pattern."""
        if not self.matches:
            raise LookupError("no button pattern matched this update")
        return self.matches[0]


CONTEXT_TYPES = ContextTypes(context=BotContext, bot_data=BotData)

BotApplication: TypeAlias = Application[
    ExtBot[Any], BotContext, dict[Any, Any], dict[Any, Any], BotData, JobQueue[Any]
]
"""The application ``build_application`` makes, with its context and state types."""


def user_lang(update: Update, context: BotContext, question: str | None = None) -> str:
    """The language to answer ``update``'s user in: their choice, else their Telegram
    language, else the question's script."""
    user = update.effective_user
    # One indexed read: the choice is stored, so every bot instance on the file agrees.
    override = context.people.language(user.id) if user else None
    return i18n.choose_lang(override, user.language_code if user else None, question)


def query_message(query: CallbackQuery) -> Message | None:
    """The message a button is under; None when Telegram no longer says (too old)."""
    return query.message if isinstance(query.message, Message) else None


async def answer_query(query: CallbackQuery, html_text: str = "", alert: bool = False) -> None:
    """Answer a callback query; failing (a query too old after a restart) is only logged."""
    limit = CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH
    text = markup.visible_text(html_text)[:limit] or None
    await cosmetic(query.answer(text, show_alert=alert), "answerCallbackQuery")
