"""Build the Telegram ``Application``: handlers, rate limiter, error handler, command menus."""

from __future__ import annotations

import asyncio
import logging
import pickle
from pathlib import Path
from typing import TYPE_CHECKING

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import alerts, channels, inline
from bot import handlers as h
from bot.messaging import cosmetic
from bot.people import People
from bot.replies import ADMIN_COMMANDS, COMMANDS, LANGS

if TYPE_CHECKING:
    from bot.config import Settings
    from knowledge import Library

logger = logging.getLogger(__name__)

ALERTS_CHECK_SECONDS = 60.0
"""How often the bot looks for new articles to alert about that it did not add itself (a
command-line ingest's) and for alerts that had to wait."""

__all__ = ["RedactToken", "build_application", "open_library", "protect_logs"]


def open_library(settings: Settings) -> Library:
    """Open the library, filling a new one from the configured sources, and log what it serves."""
    from knowledge import Library

    library = Library.open(settings.db_path, default_sources=settings.sources)
    with People(settings.db_path) as people:
        import_language_choices(settings.db_path, people)
    stats = library.stats()
    logger.info(
        "serving %d articles in %d passages from %s", stats.articles, stats.passages, stats.path
    )
    return library


def import_language_choices(db_path: Path, people: People) -> int:
    """Move the /language choices an earlier version kept in a pickle file beside the database
    (python-telegram-bot's PicklePersistence) into ``people``, once; returns how many."""
    old = db_path.with_name(db_path.name + ".users.pickle")
    if not old.exists():
        return 0
    try:
        with old.open("rb") as file:
            users = pickle.load(file).get("user_data", {})  # our own file, written by that version
    except Exception as error:  # unreadable: keep it for the operator, and go on
        logger.warning("could not read the old language choices in %s: %s", old, error)
        return 0
    moved = 0
    for user_id, data in users.items():
        lang = data.get("lang") if isinstance(data, dict) else None
        if lang in LANGS and people.language(int(user_id)) is None:
            people.set_language(int(user_id), lang)
            moved += 1
    old.rename(old.with_name(old.name + ".imported"))
    logger.info("moved %d language choices from %s into the library", moved, old)
    return moved


class RedactToken(logging.Filter):
    """Replaces the bot token in log lines and tracebacks: an HTTP error can quote a request
    URL, and those contain the token."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "<token>"), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self.token in record.exc_text:
            record.exc_text = record.exc_text.replace(self.token, "<token>")
        return True


def protect_logs(token: str) -> None:
    """Keep ``token`` out of every log handler configured so far, and silence httpx's
    per-request lines (their URLs hold the token)."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactToken) for f in handler.filters):
            handler.addFilter(RedactToken(token))


def build_application(
    settings: Settings,
    library: Library,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    people: People | None = None,
) -> Application:
    """The bot, ready for ``run_polling``/``run_webhook`` or ``process_update`` in tests.
    ``people``: people's state, by default kept in the library's file."""
    # Request URLs contain the token: keep httpx's per-request logging out of the logs.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    builder = (
        Application.builder()
        .token(settings.require_token())
        # Retries after RetryAfter and keeps outgoing messages within Telegram's flood limits.
        .rate_limiter(AIORateLimiter(max_retries=3))
        # A slow search or a running /reload must not hold up other users' updates.
        .concurrent_updates(True)
        .post_init(_post_init)
        # Stores the channel posts still queued while the bot can still send alerts.
        .post_stop(_post_stop)
    )
    if settings.api_base_url:
        builder = builder.base_url(settings.api_base_url)
        if settings.api_base_url.rstrip("/").endswith("/bot"):
            base = settings.api_base_url.rstrip("/")[: -len("/bot")]
            builder = builder.base_file_url(base + "/file/bot")
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    application = builder.build()
    application.bot_data.update(
        {
            h.LIBRARY: library,
            h.PEOPLE: people or People(library.path),
            h.SETTINGS: settings,
            h.THROTTLE: h.Throttle(),
            # Telegram sends an inline query as the user types: a bigger burst, a faster refill.
            h.INLINE_THROTTLE: h.Throttle(capacity=30, rate=2),
            h.RELOAD_LOCK: asyncio.Lock(),
            h.ALERTS_LOCK: asyncio.Lock(),
        }
    )
    application.bot_data[h.ALERT_ROUNDS] = _alert_rounds(application)
    application.bot_data[channels.POSTS] = channels.post_queue(application)
    _add_handlers(application)
    # Alerts held up by a restart go out at start-up, however long the start takes (a run
    # "missed" by more than APScheduler's default second would be skipped); then now and again.
    jobs = application.job_queue
    no_limit = {"misfire_grace_time": None}
    jobs.run_once(h.send_due_alerts, 0, name="alerts at start-up", job_kwargs=no_limit)
    jobs.run_repeating(h.send_due_alerts, ALERTS_CHECK_SECONDS, name="alerts")
    if settings.reload_every:
        # The first run after one interval: the library was filled from the sources at start
        # if it was empty.
        application.job_queue.run_repeating(
            h.scheduled_reload, settings.reload_every, first=settings.reload_every, name="reload"
        )
    return application


def _alert_rounds(application: Application) -> alerts.Rounds:
    """The alert rounds that ingests (reloads, channel posts) ask for."""
    context = application.context_types.context(application)
    return alerts.Rounds(lambda: h.send_due_alerts(context))


async def _post_stop(application: Application) -> None:
    """Store the channel posts still queued, then send the alerts that asked for."""
    await channels.store_queued_posts(application)
    await application.bot_data[h.ALERT_ROUNDS].idle()


def _add_handlers(app: Application) -> None:
    new = filters.UpdateType.MESSAGE  # edited messages are ignored
    private, groups = filters.ChatType.PRIVATE, filters.ChatType.GROUPS
    app.add_handler(TypeHandler(Update, h.guard), group=-1)
    # A group that became a supergroup: its follows move to the new chat id.
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, h.on_chat_migrated))
    commands = {
        "start": h.on_start,
        "help": h.on_help,
        "ask": h.on_ask,
        "latest": h.on_latest,
        "language": h.on_language,
        "sources": h.on_sources,
        "follow": h.on_follow,
        "following": h.on_following,
        "unfollow": h.on_unfollow,
        "reload": h.on_reload,
        "stats": h.on_stats,
    }
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, callback, filters=new))
    app.add_handler(CallbackQueryHandler(h.on_callback))
    app.add_handler(InlineQueryHandler(inline.on_inline_query))
    app.add_handler(MessageHandler(new & private & filters.TEXT & ~filters.COMMAND, h.on_question))
    app.add_handler(MessageHandler(new & private & filters.COMMAND, h.on_unknown_command))
    app.add_handler(
        MessageHandler(new & groups & filters.TEXT & ~filters.COMMAND, h.on_group_message)
    )
    # A photo or file sent with a caption: the caption is the question.
    app.add_handler(MessageHandler(new & private & filters.CAPTION, h.on_caption))
    app.add_handler(
        MessageHandler(new & private & ~filters.TEXT & ~filters.StatusUpdate.ALL, h.on_not_text)
    )
    # Posts and their edits in the channels of ARTICLEBOT_CHANNELS become articles.
    app.add_handler(MessageHandler(filters.UpdateType.CHANNEL_POSTS, channels.on_channel_post))
    app.add_error_handler(h.on_error)


def bot_commands(lang: str, admin: bool = False) -> list[BotCommand]:
    """The command menu in ``lang``, with the admin commands for admins."""
    table = {**COMMANDS, **(ADMIN_COMMANDS if admin else {})}
    return [BotCommand(name, texts[lang]) for name, texts in table.items()]


async def _post_init(app: Application) -> None:
    """Set the command menus per language, and the admin menu in admins' chats (cosmetic)."""
    settings: Settings = app.bot_data[h.SETTINGS]
    for lang in LANGS:
        code = "ar" if lang == "ar" else None  # English is the default menu
        await cosmetic(app.bot.set_my_commands(bot_commands(lang), language_code=code), "menu")
        for admin in sorted(settings.admin_ids):
            scope = BotCommandScopeChat(admin)
            await cosmetic(
                app.bot.set_my_commands(bot_commands(lang, True), scope=scope, language_code=code),
                f"admin menu for {admin}",
            )
