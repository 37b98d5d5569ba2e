"""``articlebot chat``: the bot in the terminal, without Telegram. It answers through the same
reply logic as the bot (``bot.conversation``); its commands are those of the command table that
make sense in a terminal (the others say they are Telegram's), its buttons are numbered, and it
replies in one language from the first message on (unless /language changes it).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot import (
    bidi,
    callbacks,
    commands,
    conversation,
    i18n,
    markup,
    messages,
)
from bot.app import open_library, open_people
from bot.i18n import t
from bot.launch import BotCommand, db_option, load_settings
from bot.limits import LATEST_DEFAULT
from bot.messages import Reply
from bot.people import People
from bot.refusals import cannot_save
from knowledge import LibraryBusy

if TYPE_CHECKING:
    from bot.config import Settings
    from knowledge import Library

__all__ = ["ChatSession", "chat"]

LOCAL_USER = 0
"""The user id the terminal's user votes as."""
BUTTON_DIGITS = 2
"""A number typed with at most this many digits means a button, even one not shown."""


@click.command(cls=BotCommand)
@db_option
@click.option(
    "--lang", "--language", "lang", type=click.Choice(i18n.LANGS), default=None,
    help="Reply language (default: your environment's LANG, else your first question's).",
)  # fmt: skip
def chat(db_path: Path, lang: str | None) -> None:
    """Chat with the bot in the terminal, without Telegram.

    Type a question, a command (/start, /help, /latest [n], /sources, /language ar|en,
    /privacy, /reload, /stats) or the number of a button. The local user is an admin.
    quit, exit or Ctrl-D ends.
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
            if ends_chat(line):
                break
            session.echo(session.handle(line))
    finally:
        people.close()
        library.close()


def ends_chat(line: str) -> bool:
    """Whether ``line`` ends the chat: quit or exit, with or without a slash."""
    return line.strip().lower().lstrip("/") in ("quit", "exit")


def env_lang(environ: Mapping[str, str] | None = None) -> str | None:
    """The reply language the environment asks for (LC_ALL, LC_MESSAGES or LANG naming
    Arabic), else None: an English locale is every terminal's default, and says little."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            return "ar" if value.lower().startswith("ar") else None
    return None


class ChatSession:
    """The terminal chat's state: the reply language, the last question and its buttons."""

    def __init__(
        self, library: Library, people: People, settings: Settings, lang: str | None = None
    ) -> None:
        self.library, self.people, self.settings = library, people, settings
        self.fixed: str | None = lang or env_lang()
        """The reply language once decided (the option, the environment, /language or the
        first question): kept, so that replies do not flip between messages."""
        self.question: str | None = None
        self.buttons: list[messages.Button] = []
        self.commands: dict[str, Callable[[str], list[Reply]]] = {
            "start": self.start,
            "latest": self.latest,
            "sources": lambda rest: [conversation.coverage(self.library, self.lang())],
            "ask": self.ask,
            "language": self.language,
            "privacy": self.privacy,
            "help": self.help,
            "reload": self.reload,
            "stats": lambda rest: [conversation.stats(self.library, self.people, self.lang())],
        }
        """The table's commands that work in a terminal (the others are Telegram's)."""

    def lang(self, question: str | None = None) -> str:
        """The reply language: the one decided, else the first question's (then kept)."""
        if self.fixed is None and question:
            self.fixed = i18n.choose_lang(None, None, question)
        return self.fixed or "en"

    def handle(self, line: str) -> list[Reply]:
        """The replies to one line typed by the user."""
        line = line.strip()
        if not line:
            return []
        if self.is_press(line):
            return self.press(int(line))
        if line.startswith("/"):
            return self.command(line)
        self.question = conversation.extract_question(line, None)
        lang = self.lang(self.question)
        return [conversation.ask(self.library, self.people, self.question, lang, LOCAL_USER)]

    def is_press(self, line: str) -> bool:
        """Whether ``line`` presses a button: the number of one shown, or a short number that
        can only mean a button ("no button 9" then); a longer one ("2023") is a question."""
        if not line.isdigit():
            return False
        return 1 <= int(line) <= len(self.buttons) or len(line) <= BUTTON_DIGITS

    def press(self, number: int) -> list[Reply]:
        """What pressing button ``number`` shows (the terminal's view of a callback query)."""
        lang = self.lang()
        if not 1 <= number <= len(self.buttons):
            return [Reply(t(lang, "chat_no_button", number=number))]
        button = self.buttons[number - 1]
        if button.url:
            return [Reply(markup.escape(button.url))]
        for kind, pattern in callbacks.PATTERNS.items():
            match = pattern.match(button.data or "")
            if match is not None:
                return self.pressed(kind, match, lang)
        return [Reply(t(lang, "expired"))]

    def pressed(self, kind: str, match: re.Match[str], lang: str) -> list[Reply]:
        """A button of ``kind`` whose data matched its pattern."""
        reply: Reply | None = None
        if kind == "m" and self.question:
            question_id = callbacks.feedback_question(b.data for b in self.buttons)
            page = int(match[1])
            reply = conversation.answer(
                self.library, self.people, self.question, lang, page, question_id
            )
        elif kind == "f":
            question_id, helpful, passage_ids = callbacks.vote_args(match)
            try:
                votes = conversation.vote(
                    self.people, question_id, helpful, passage_ids, LOCAL_USER
                )
            except LibraryBusy as error:  # (or read-only, or a full disk: says which)
                return [Reply(cannot_save(lang, error))]
            reply = Reply(t(lang, "feedback_thanks")) if votes is not None else None
        elif kind == "a":
            return conversation.show_article(self.library, int(match[1]), lang)
        elif kind == "l":
            reply = conversation.latest(self.library, lang, int(match[2]), int(match[1]))
        elif kind == "x":
            return self.example(int(match[1]), int(match[2]), lang)
        return [reply or Reply(t(lang, "expired"))]

    def example(self, article_id: int, index: int, lang: str) -> list[Reply]:
        """An example question of /start, asked as if typed."""
        question = conversation.example_asked(self.library, article_id, index)
        if question is None:
            return [Reply(t(lang, "expired"))]
        return self.handle(question)

    def command(self, line: str) -> list[Reply]:
        name, _, rest = line[1:].partition(" ")
        name = name.split("@")[0].lower()
        if name in self.commands:
            return self.commands[name](rest)
        lang = self.lang()
        known = any(c.name == name for c in commands.COMMANDS)
        key = "chat_telegram_only" if known else "chat_unknown_command"
        return [Reply(bidi.apply_bidi(t(lang, key, command="/" + name), lang == "ar"))]

    def start(self, rest: str) -> list[Reply]:
        lang = self.lang()
        guide = commands.command_guide(lang, only=self.commands)
        return [conversation.start(self.library, lang, guide=guide, hint="chat_start_examples")]

    def latest(self, rest: str) -> list[Reply]:
        n = int(rest) if rest.strip().isdigit() else LATEST_DEFAULT
        reply = conversation.latest(self.library, self.lang(), n, 0)
        return [reply] if reply is not None else []

    def ask(self, rest: str) -> list[Reply]:
        return self.handle(rest) if rest.strip() else self.help(rest)

    def language(self, rest: str) -> list[Reply]:
        choice = conversation.language_arg(rest.split())
        if choice:
            self.fixed = choice
            return [Reply(t(choice, "language_set"))]
        lang = self.lang()
        text = t(lang, "language_choose") + " /language ar | /language en"
        return [Reply(bidi.apply_bidi(text, lang == "ar"))]

    def privacy(self, rest: str) -> list[Reply]:
        """What the terminal keeps; deleting is Telegram's /forget (the terminal has none)."""
        lang = self.lang()
        return [Reply(bidi.apply_bidi(t(lang, "chat_privacy"), lang == "ar"))]

    def help(self, rest: str) -> list[Reply]:
        lang = self.lang()
        text = t(lang, "chat_help") + "\n\n" + commands.command_guide(lang, only=self.commands)
        admin = commands.command_guide(lang, admin_commands=True, only=self.commands)
        if admin:
            text += f"\n\n{commands.ADMIN_TITLE[lang]}\n{admin}"
        return [Reply(bidi.apply_bidi(text, lang == "ar"))]

    def reload(self, rest: str) -> list[Reply]:
        return conversation.reload(self.library, self.settings.sources, self.lang())

    def echo(self, items: list[Reply]) -> None:
        """Print replies as readable text, buttons numbered so they can be pressed. Replies
        without buttons (thanks for a vote, /help) keep the last ones, as Telegram keeps an
        answer's keyboard under it."""
        for reply in items:
            click.echo(markup.html_to_text(reply.text))
            click.echo()
            if reply.buttons:
                self.buttons = [b for row in reply.buttons for b in row]
                labels = [f"[{i}] {b.label}" for i, b in enumerate(self.buttons, 1)]
                click.echo("  ".join(labels))
                click.echo()
