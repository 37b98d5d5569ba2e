"""``articlebot chat``: the bot in the terminal, without Telegram. It answers through the same
reply logic as the bot (``bot.conversation``); its commands are those of the command table that
make sense in a terminal.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot import callbacks, commands, conversation, i18n, markup, messages
from bot.app import open_library, open_people
from bot.i18n import t
from bot.launch import BotCommand, db_option, load_settings
from bot.limits import LATEST_DEFAULT
from bot.messages import Reply
from bot.people import People
from knowledge import LibraryBusy

if TYPE_CHECKING:
    from bot.config import Settings
    from knowledge import Library

__all__ = ["ChatSession", "chat"]

LOCAL_USER = 0
"""The user id the terminal's user votes as."""


@click.command(cls=BotCommand)
@db_option
@click.option("--lang", type=click.Choice(i18n.LANGS), default=None, help="Reply language.")
def chat(db_path: Path, lang: str | None) -> None:
    """Chat with the bot in the terminal, without Telegram.

    Type a question, a command (/start, /help, /latest [n], /sources, /language ar|en, /reload,
    /stats) or the number of a button. The local user is an admin. Ctrl-D or /quit ends.
    """
    settings = load_settings(db_path)
    library = open_library(settings)
    people = open_people(library.path)
    session = ChatSession(library, people, settings, lang)
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
        people.close()
        library.close()


class ChatSession:
    """The terminal chat's state: the language choice, the last question and its buttons."""

    def __init__(
        self, library: Library, people: People, settings: Settings, lang: str | None = None
    ) -> None:
        self.library, self.people, self.settings, self.override = library, people, settings, lang
        self.question: str | None = None
        self.buttons: list[messages.Button] = []
        self.client_lang = os.environ.get("LANG", "en")[:2]
        self.commands: dict[str, Callable[[str], list[Reply]]] = {
            "start": self.start,
            "latest": self.latest,
            "sources": lambda rest: [conversation.coverage(self.library, self.lang())],
            "ask": self.ask,
            "language": self.language,
            "help": self.help,
            "reload": self.reload,
            "stats": lambda rest: [conversation.stats(self.library, self.people, self.lang())],
        }
        """The table's commands that work in a terminal (the others show the help)."""

    def lang(self, question: str | None = None) -> str:
        return i18n.choose_lang(self.override, self.client_lang, question)

    def handle(self, line: str) -> list[Reply]:
        """The replies to one line typed by the user."""
        line = line.strip()
        if not line:
            return []
        if line.isdigit() and self.buttons:
            return self.press(int(line))
        if line.startswith("/"):
            return self.command(line)
        self.question = conversation.extract_question(line, None)
        lang = self.lang(self.question)
        return [conversation.ask(self.library, self.people, self.question, lang)]

    def press(self, number: int) -> list[Reply]:
        """What pressing button ``number`` shows (the terminal's view of a callback query)."""
        if not 1 <= number <= len(self.buttons):
            return []
        button = self.buttons[number - 1]
        if button.url:
            return [Reply(markup.escape(button.url))]
        lang = self.lang(self.question)
        kind, args = callbacks.parse_callback(button.data)
        reply: Reply | None = None
        if kind == "m" and self.question:
            question_id = callbacks.feedback_question(b.data for b in self.buttons)
            page = int(args[0])
            reply = conversation.answer(
                self.library, self.people, self.question, lang, page, question_id
            )
        elif kind == "f":
            question_id, helpful, *passage_ids = (int(a) for a in args)
            try:
                votes = conversation.vote(
                    self.people, question_id, bool(helpful), passage_ids, LOCAL_USER
                )
            except LibraryBusy:
                return [Reply(t(lang, "busy"))]
            reply = Reply(t(lang, "feedback_thanks")) if votes is not None else None
        elif kind == "a":
            return conversation.show_article(self.library, int(args[0]), lang)
        elif kind == "l":
            reply = conversation.latest(self.library, lang, int(args[1]), int(args[0]))
        return [reply or Reply(t(lang, "expired"))]

    def command(self, line: str) -> list[Reply]:
        name, _, rest = line[1:].partition(" ")
        name = name.split("@")[0].lower()
        return self.commands.get(name, self.help)(rest)

    def start(self, rest: str) -> list[Reply]:
        lang = self.lang()
        return [conversation.start(self.library, lang, guide=commands.command_guide(lang))]

    def latest(self, rest: str) -> list[Reply]:
        n = int(rest) if rest.strip().isdigit() else LATEST_DEFAULT
        reply = conversation.latest(self.library, self.lang(), n, 0)
        return [reply] if reply is not None else []

    def ask(self, rest: str) -> list[Reply]:
        return self.handle(rest) if rest.strip() else self.help(rest)

    def language(self, rest: str) -> list[Reply]:
        choice = conversation.language_arg(rest.split())
        if choice:
            self.override = choice
            return [Reply(t(choice, "language_set"))]
        return [Reply(t(self.lang(), "language_choose") + " /language ar | /language en")]

    def help(self, rest: str) -> list[Reply]:
        return [commands.help_reply(self.lang(), for_admins=True)]

    def reload(self, rest: str) -> list[Reply]:
        return conversation.reload(self.library, self.settings.sources, self.lang())

    def echo(self, items: list[Reply]) -> None:
        """Print replies as readable text, buttons numbered so they can be pressed."""
        if items:
            self.buttons = []
        for reply in items:
            click.echo(markup.html_to_text(reply.text))
            click.echo()
            if reply.buttons:
                self.buttons = [b for row in reply.buttons for b in row]
                labels = [f"[{i}] {b.label}" for i, b in enumerate(self.buttons, 1)]
                click.echo("  ".join(labels))
                click.echo()
