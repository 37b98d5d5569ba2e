"""Entry point for the bot: ``articlebot run`` (Telegram), a click command that ``bot.cli``
registers; it reads the environment (and ``.env``), opens the library and runs the bot. The
terminal chat (``articlebot chat``, in ``bot.chat``) reads its settings the same way.
"""

from __future__ import annotations

import errno
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

import click
from telegram import Update
from telegram.error import InvalidToken, TelegramError

from bot.app import build_application, open_library, protect_logs
from bot.config import ConfigError
from bot.errors import redact
from bot.launch import BotCommand, db_option, load_settings
from bot.webhook import run_webhook

if TYPE_CHECKING:
    from bot.context import BotApplication

logger = logging.getLogger(__name__)

__all__ = ["run"]


def _log_at_info() -> None:
    # A server's INFO lines (what it serves, refusals, reloads) belong in its log by default.
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    root = logging.getLogger()
    if root.level > logging.INFO:
        root.setLevel(logging.INFO)


@click.command(cls=BotCommand)
@db_option
@click.option("--webhook", "webhook_url", metavar="URL", help="Receive updates at this HTTPS URL.")
@click.option("--listen", default="127.0.0.1", show_default=True, help="Webhook: address to bind.")
@click.option("--port", type=int, default=8443, show_default=True, help="Webhook: port to bind.")
@click.option(
    "--secret-token",
    envvar="ARTICLEBOT_WEBHOOK_SECRET",
    help="Webhook: secret Telegram sends in X-Telegram-Bot-Api-Secret-Token "
    "(or $ARTICLEBOT_WEBHOOK_SECRET). Required with --webhook.",
)
def run(
    db_path: Path,
    webhook_url: str | None,
    listen: str,
    port: int,
    secret_token: str | None,
) -> None:
    """Run the Telegram bot: long polling, or a webhook behind a reverse proxy.

    Configuration comes from environment variables or a .env file: TELEGRAM_BOT_TOKEN
    (required), ARTICLEBOT_ADMIN_IDS, ARTICLEBOT_DB, ARTICLEBOT_SOURCES,
    ARTICLEBOT_ADMIN_CHAT_ID, ARTICLEBOT_CHANNELS, ARTICLEBOT_RELOAD_EVERY,
    ARTICLEBOT_EMBED, ARTICLEBOT_LINK_PREVIEWS, ARTICLEBOT_RANKER, ARTICLEBOT_WEBHOOK_SECRET,
    TELEGRAM_API_BASE_URL (see the README's settings).
    """
    settings = load_settings(db_path)
    try:
        settings.require_token()
    except ConfigError as error:
        raise click.ClickException(str(error)) from error
    if webhook_url:
        _check_webhook(webhook_url, secret_token)
    _log_at_info()
    protect_logs(settings.require_token())
    library = open_library(settings)
    application = build_application(settings, library)
    # Telegram sends only the kinds asked for (and keeps the last list when none is given).
    updates = [
        Update.MESSAGE,
        Update.CALLBACK_QUERY,
        Update.INLINE_QUERY,
        Update.CHANNEL_POST,
        Update.EDITED_CHANNEL_POST,
    ]
    try:
        _serve(application, webhook_url, listen, port, secret_token, updates)
    except TelegramError as error:
        # Raised before the bot serves (the token refused, Telegram unreachable): one line, as
        # the traceback and Telegram's description would print the token.
        raise click.ClickException(_startup_error(error, settings.require_token())) from None
    except OSError as error:  # the webhook's port taken or not allowed
        if webhook_url is None or error.errno not in (errno.EADDRINUSE, errno.EACCES):
            raise
        raise click.ClickException(f"cannot listen on {listen}:{port}: {error.strerror}") from None
    finally:
        library.close()


def _startup_error(error: TelegramError, token: str) -> str:
    if isinstance(error, InvalidToken):
        return "Telegram rejected the bot token (TELEGRAM_BOT_TOKEN): check it with @BotFather"
    return f"Telegram: {redact(error.message, token)} ({type(error).__name__})"


def _serve(
    application: BotApplication,
    webhook_url: str | None,
    listen: str,
    port: int,
    secret_token: str | None,
    updates: list[str],
) -> None:
    """Run the bot until it is stopped, by webhook or long polling."""
    if webhook_url:
        assert secret_token is not None  # _check_webhook
        logger.info("receiving updates by webhook on %s:%d", listen, port)
        run_webhook(
            application,
            listen=listen,
            port=port,
            url=webhook_url,
            secret=secret_token,
            allowed_updates=updates,
        )
    else:
        logger.info("receiving updates by long polling")
        application.run_polling(allowed_updates=updates)


def _check_webhook(url: str, secret: str | None) -> None:
    if not url.startswith("https://") and not url.startswith("http://127.0.0.1"):
        raise click.BadParameter(
            "Telegram only delivers webhooks to https:// URLs", param_hint="--webhook"
        )
    if not secret or not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise click.BadParameter(
            "a secret of 1-256 letters, digits, _ or - is required with --webhook",
            param_hint="--secret-token",
        )
