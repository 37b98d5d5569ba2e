"""Entry points for the bot: ``articlebot run`` (Telegram) and ``articlebot chat`` (terminal).

Both are click commands that ``bot.cli`` registers; they read the environment (and ``.env``),
open the library and then hand over to the same reply logic.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
from pathlib import Path
from urllib.parse import urlparse

import click
from dotenv import load_dotenv
from telegram import Update

from bot import handlers, replies
from bot.app import build_application, open_library, protect_logs
from bot.cli import db_option
from bot.config import ConfigError, Settings
from bot.people import People
from bot.replies import Reply
from knowledge import KnowledgeError, Library

logger = logging.getLogger(__name__)

__all__ = ["chat", "run"]


def load_settings(db_path: Path | None) -> Settings:
    """Settings from the environment and a ``.env`` file, as a click error if invalid."""
    load_dotenv(dotenv_path=Path.cwd() / ".env", override=False)
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        raise click.ClickException(str(error)) from error
    if db_path is not None:
        settings = dataclasses.replace(settings, db_path=db_path)
    return settings


def _open(settings: Settings) -> Library:

    try:
        return open_library(settings)
    except KnowledgeError as error:
        raise click.ClickException(str(error)) from error


def _log_at_info() -> None:
    # A server's INFO lines (what it serves, refusals, reloads) belong in its log by default.
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    root = logging.getLogger()
    if root.level > logging.INFO:
        root.setLevel(logging.INFO)


@click.command()
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
    db_path: Path | None,
    webhook_url: str | None,
    listen: str,
    port: int,
    secret_token: str | None,
) -> None:
    """Run the Telegram bot: long polling, or a webhook behind a reverse proxy.

    Configuration comes from environment variables or a .env file: TELEGRAM_BOT_TOKEN
    (required), ARTICLEBOT_ADMIN_IDS, ARTICLEBOT_DB, ARTICLEBOT_SOURCES,
    ARTICLEBOT_ADMIN_CHAT_ID, ARTICLEBOT_CHANNELS, ARTICLEBOT_RELOAD_EVERY,
    TELEGRAM_API_BASE_URL.
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
    library = _open(settings)
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
        if webhook_url:
            logger.info("receiving updates by webhook on %s:%d", listen, port)
            application.run_webhook(
                listen=listen,
                port=port,
                url_path=urlparse(webhook_url).path.lstrip("/"),
                webhook_url=webhook_url,
                secret_token=secret_token,
                allowed_updates=updates,
            )
        else:
            logger.info("receiving updates by long polling")
            application.run_polling(allowed_updates=updates)
    finally:
        library.close()


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


@click.command()
@db_option
@click.option("--lang", type=click.Choice(replies.LANGS), default=None, help="Reply language.")
def chat(db_path: Path | None, lang: str | None) -> None:
    """Chat with the bot in the terminal, without Telegram.

    Type a question, a command (/start, /help, /latest [n], /sources, /language ar|en, /reload,
    /stats) or the number of a button. The local user is an admin. Ctrl-D or /quit ends.
    """
    settings = load_settings(db_path)
    library = _open(settings)
    session = ChatSession(library, settings, lang)
    try:
        session.echo(session.handle("/start"))
        while True:
            try:
                line = input("> ")
            except EOFError:
                break
            if line.strip() in ("/quit", "/exit"):
                break
            session.echo(session.handle(line))
    finally:
        library.close()


class ChatSession:
    """The terminal chat's state: the language choice, the last question and its buttons."""

    def __init__(self, library: Library, settings: Settings, lang: str | None = None) -> None:
        self.library, self.settings, self.override = library, settings, lang
        self.people = People(library.path)
        self.question: str | None = None
        self.buttons: list[replies.Button] = []
        self.client_lang = os.environ.get("LANG", "en")[:2]

    def lang(self, question: str | None = None) -> str:
        return replies.choose_lang(self.override, self.client_lang, question)

    def handle(self, line: str) -> list[Reply]:
        """The replies to one line typed by the user."""
        line = line.strip()
        if not line:
            return []
        if line.isdigit() and self.buttons:
            return self.press(int(line))
        if line.startswith("/"):
            return self.command(line)
        self.question = handlers.extract_question(line, None)
        return [handlers.ask(self.library, self.people, self.question, self.lang(self.question))]

    def press(self, number: int) -> list[Reply]:
        if not 1 <= number <= len(self.buttons):
            return []
        button = self.buttons[number - 1]
        if button.url:
            return [Reply(replies.escape(button.url))]
        lang = self.lang(self.question)
        question_id = replies.feedback_question(b.data for b in self.buttons)
        return handlers.on_button(
            self.library, self.people, button.data, lang, self.question, question_id
        )

    def command(self, line: str) -> list[Reply]:
        name, _, rest = line[1:].partition(" ")
        name = name.split("@")[0].lower()
        lang = self.lang()
        if name == "start":
            return [handlers.start(self.library, lang)]
        if name == "latest":
            n = int(rest) if rest.strip().isdigit() else 5
            return [handlers.latest(self.library, lang, n, 0)]
        if name == "language":
            choice = handlers.language_arg(rest.split())
            if choice:
                self.override = choice
                return [Reply(replies.t(choice, "language_set"))]
            return [Reply(replies.t(lang, "language_choose") + " /language ar | /language en")]
        if name == "reload":
            return handlers.reload(self.library, self.settings.sources, lang)
        if name == "stats":
            return [handlers.stats(self.library, self.people, lang)]
        if name == "sources":
            return [handlers.coverage(self.library, lang)]
        if name == "ask" and rest.strip():
            return self.handle(rest)
        return [handlers.help_reply(lang, admin=True)]

    def echo(self, items: list[Reply]) -> None:
        """Print replies as readable text, buttons numbered so they can be pressed."""
        if items:
            self.buttons = []
        for reply in items:
            click.echo(replies.html_to_text(reply.text))
            click.echo()
            if reply.buttons:
                self.buttons = [b for row in reply.buttons for b in row]
                labels = [f"[{i}] {b.label}" for i, b in enumerate(self.buttons, 1)]
                click.echo("  ".join(labels))
                click.echo()
