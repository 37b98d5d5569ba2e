"""Build the Telegram ``Application``: its typed context and state, defaults, handlers, jobs,
rate limiter, error handler and command menus."""

from __future__ import annotations

import asyncio
import logging
import pickle
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telegram import BotCommandScopeChat, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    Defaults,
    InlineQueryHandler,
    JobQueue,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import (
    alerts,
    browsing,
    callbacks,
    channels,
    commands,
    following,
    inline,
    launch,
    questions,
    user_settings,
)
from bot.admin import scheduled_reload
from bot.context import CONTEXT_TYPES, BotApplication
from bot.embedding import BackgroundEmbedding
from bot.errors import on_error, redact
from bot.i18n import LANGS
from bot.messaging import cosmetic
from bot.people import People
from bot.throttle import Throttle, guard

if TYPE_CHECKING:
    from bot.config import Settings
    from knowledge import Library

logger = logging.getLogger(__name__)

ALERTS_CHECK_SECONDS = 60.0
"""How often the bot looks for new articles to alert about that it did not add itself (a
command-line ingest's) and for alerts that had to wait."""

__all__ = [
    "DEFAULTS",
    "RedactToken",
    "build_application",
    "open_library",
    "open_people",
    "protect_logs",
]

DEFAULTS = Defaults(
    parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
)
"""Every message is HTML without link previews, unless a call says otherwise (the plain-text
fallback sends with ``parse_mode=None``)."""


def open_library(settings: Settings) -> Library:
    """Open the library, filling a new one from the configured sources, and log what it serves."""
    library = launch.open_library(settings.db_path, settings.sources)
    stats = library.stats()
    logger.info(
        "serving %d articles in %d passages from %s", stats.articles, stats.passages, stats.path
    )
    return library


def open_people(db_path: Path, read_only: bool | None = None) -> People:
    """People's state in the library's file, with the language choices an earlier version kept
    beside it moved in (``import_language_choices``). ``read_only`` (by default: when the file
    or its folder cannot be written, as for the library): read only, nothing moved in."""
    people = People(db_path, read_only)
    if not people.read_only:
        import_language_choices(db_path, people)
    return people


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
    """Replaces the bot token, in any case, in log lines and tracebacks: an HTTP error can
    quote a request URL, and those contain the token."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message, self.token)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.token)
        return True


def _no_start_up_traceback(record: logging.LogRecord) -> bool:
    """A refused token, or Telegram unreachable at start-up, is reported in one line by
    ``articlebot run``: the library's traceback of it says nothing more (and quotes Telegram's
    description)."""
    refused = record.exc_info is not None and isinstance(record.exc_info[1], InvalidToken)
    if refused or (record.exc_info and "(Bootstrap" in record.getMessage()):
        record.exc_info, record.exc_text = None, None
    return True


def protect_logs(token: str) -> None:
    """Keep ``token`` out of every log handler configured so far, and silence httpx's
    per-request lines (their URLs hold the token)."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactToken) for f in handler.filters):
            handler.addFilter(_no_start_up_traceback)
            handler.addFilter(RedactToken(token))


def build_application(
    settings: Settings,
    library: Library,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    people: People | None = None,
) -> BotApplication:
    """The bot, ready for ``run_polling``/``run_webhook`` or ``process_update`` in tests.
    ``people``: people's state, by default kept in the library's file."""
    # Request URLs contain the token: keep httpx's per-request logging out of the logs.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    builder = (
        Application.builder()
        .token(settings.require_token())
        .context_types(CONTEXT_TYPES)
        .defaults(DEFAULTS)
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
    application: BotApplication = builder.build()
    data = application.bot_data
    data.library, data.settings = library, settings
    data.people = people or open_people(library.path, library.read_only)
    data.throttle = Throttle()
    # Telegram sends an inline query as the user types: a bigger burst, a faster refill.
    data.inline_throttle = Throttle(capacity=30, rate=2)
    data.alert_rounds = _alert_rounds(application)
    data.posts = channels.post_queue(application)
    data.embedding = BackgroundEmbedding(library, settings.embed)
    _add_handlers(application)
    _add_jobs(application, settings, alerts_on=not data.people.read_only)
    return application


def _add_jobs(application: BotApplication, settings: Settings, alerts_on: bool = True) -> None:
    """The alert rounds (not on a read-only library: what was sent could not be recorded,
    and would be sent again every round) and the scheduled reloads."""
    jobs = application.job_queue
    if jobs is None:
        raise RuntimeError("python-telegram-bot[job-queue] is required")
    if alerts_on:
        _add_alert_jobs(jobs)
    if settings.reload_every:
        # The first run after one interval: the library was filled from the sources at start
        # if it was empty.
        jobs.run_repeating(
            scheduled_reload, settings.reload_every, first=settings.reload_every, name="reload"
        )


def _add_alert_jobs(jobs: JobQueue[Any]) -> None:
    # Alerts held up by a restart go out at start-up, however long the start takes (a run
    # "missed" by more than APScheduler's default second would be skipped); then now and again.
    no_limit = {"misfire_grace_time": None}
    send_due_alerts = following.send_due_alerts
    jobs.run_once(send_due_alerts, 0, name="alerts at start-up", job_kwargs=no_limit)
    jobs.run_repeating(send_due_alerts, ALERTS_CHECK_SECONDS, name="alerts")


def _alert_rounds(application: BotApplication) -> alerts.Rounds:
    """The alert rounds that ingests (reloads, channel posts) ask for."""
    context = application.context_types.context(application)
    return alerts.Rounds(lambda: following.send_due_alerts(context))


async def _post_stop(application: BotApplication) -> None:
    """Store the channel posts still queued, then send the alerts that asked for."""
    await channels.store_queued_posts(application)
    await application.bot_data.alert_rounds.idle()
    # After the last posts are stored: the embedding stops within its batch under way.
    await asyncio.to_thread(application.bot_data.embedding.close)


BUTTONS = (
    (callbacks.ANSWER_PAGE, questions.on_answer_page),
    (callbacks.VOTE, questions.on_vote),
    (callbacks.ARTICLE, browsing.on_article),
    (callbacks.LATEST_PAGE, browsing.on_latest_page),
    (callbacks.LANGUAGE, browsing.on_language_button),
    (callbacks.UNFOLLOW, following.on_unfollow_button),
    (callbacks.EXAMPLE, questions.on_example_button),
    (callbacks.SETTING, user_settings.on_setting_button),
    (callbacks.FORGET, user_settings.on_forget_button),
)
"""Each kind of button and its callback."""


def _add_handlers(app: BotApplication) -> None:
    new = filters.UpdateType.MESSAGE  # edited messages are ignored
    private, groups = filters.ChatType.PRIVATE, filters.ChatType.GROUPS
    app.add_handler(TypeHandler(Update, guard), group=-1)
    # A group that became a supergroup: its follows move to the new chat id.
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, following.on_chat_migrated))
    app.add_handlers(commands.command_handlers())
    for pattern, callback in BUTTONS:
        app.add_handler(CallbackQueryHandler(callback, pattern=pattern))
    # Last: a button no pattern knows (old or forged data) is answered all the same.
    app.add_handler(CallbackQueryHandler(questions.on_unknown_button))
    app.add_handler(InlineQueryHandler(inline.on_inline_query))
    app.add_handler(
        MessageHandler(new & private & filters.TEXT & ~filters.COMMAND, questions.on_question)
    )
    app.add_handler(MessageHandler(new & private & filters.COMMAND, commands.on_unknown_command))
    app.add_handler(
        MessageHandler(new & groups & filters.TEXT & ~filters.COMMAND, questions.on_group_message)
    )
    # A photo or file sent with a caption: the caption is the question.
    app.add_handler(MessageHandler(new & private & filters.CAPTION, questions.on_caption))
    app.add_handler(
        MessageHandler(
            new & private & ~filters.TEXT & ~filters.StatusUpdate.ALL, questions.on_not_text
        )
    )
    # Posts and their edits in the channels of ARTICLEBOT_CHANNELS become articles.
    app.add_handler(MessageHandler(filters.UpdateType.CHANNEL_POSTS, channels.on_channel_post))
    app.add_error_handler(on_error)


async def _post_init(app: BotApplication) -> None:
    """Set the command menus per language, and the admin menu in admins' chats (cosmetic)."""
    settings = app.bot_data.settings
    app.bot_data.embedding.request()  # the passages left without a vector, in the background
    bot_commands = commands.bot_commands
    for lang in LANGS:
        code = "ar" if lang == "ar" else None  # English is the default menu
        await cosmetic(app.bot.set_my_commands(bot_commands(lang), language_code=code), "menu")
        for admin in sorted(settings.admin_ids):
            scope = BotCommandScopeChat(admin)
            await cosmetic(
                app.bot.set_my_commands(bot_commands(lang, True), scope=scope, language_code=code),
                f"admin menu for {admin}",
            )
