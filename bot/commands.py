"""The one command table: each command once, with its callback, whether it is for admins, its
description in the command menu and its line in /help, per language. The handlers, the menus,
/help, /start's list of commands and the terminal chat's commands are all derived from it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from telegram import BotCommand, Update
from telegram.ext import CommandHandler, filters

from bot import admin, bidi, browsing, following, questions, user_settings
from bot.context import BotContext, user_lang
from bot.conversation import start
from bot.i18n import LANGS, t
from bot.messages import Reply
from bot.messaging import send

__all__ = [
    "ADMIN_TITLE",
    "COMMANDS",
    "Command",
    "bot_commands",
    "command_guide",
    "command_handlers",
    "help_reply",
    "on_help",
    "on_start",
    "on_unknown_command",
]

Callback = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Command:
    """A command: ``/name``, what runs it, and how the menus and /help describe it."""

    name: str
    callback: Callback
    menu: Mapping[str, str]
    """Its description in the command menu, by language."""
    guide: Mapping[str, str] | None = None
    """Its description in /help, by language (None: not listed there)."""
    admin: bool = False
    """For the bot's admins only: refused to others, and only in their menu and /help."""
    same_line: bool = False
    """Listed in /help on the line of the command before it."""


async def on_start(update: Update, context: BotContext) -> None:
    """Greet, say what the library holds, list the commands, and offer example questions as
    buttons that ask them."""
    if update.effective_chat is None:
        return
    lang = user_lang(update, context)
    user = update.effective_user
    name = user.first_name if user else None
    guide = command_guide(lang)
    reply = await asyncio.to_thread(start, context.library, lang, name, guide)
    await send(context, update.effective_chat.id, reply)


async def on_help(update: Update, context: BotContext) -> None:
    """How to use the bot (admin commands for admins only)."""
    if update.effective_chat is None:
        return
    user = update.effective_user
    is_admin = context.settings.is_admin(user.id if user else None)
    await send(context, update.effective_chat.id, help_reply(user_lang(update, context), is_admin))


async def on_unknown_command(update: Update, context: BotContext) -> None:
    """An unknown command in a private chat: show the help."""
    await on_help(update, context)


COMMANDS: tuple[Command, ...] = (
    Command("start", on_start, {"en": "Start and examples", "ar": "البداية وأمثلة"}),
    Command(
        "latest",
        browsing.on_latest,
        {"en": "Newest articles", "ar": "أحدث المقالات"},
        {"en": "newest articles (e.g. /latest 10)", "ar": "أحدث المقالات (مثلًا /latest 10)"},
    ),
    Command(
        "sources",
        browsing.on_sources,
        {"en": "What the library covers", "ar": "ما تغطيه المكتبة"},
        {"en": "what the library covers", "ar": "ما تغطيه المكتبة"},
    ),
    Command(
        "ask",
        questions.on_ask,
        {"en": "Ask a question (in groups)", "ar": "اطرح سؤالًا (في المجموعات)"},
    ),
    Command(
        "follow",
        following.on_follow,
        {"en": "Get new articles about a phrase", "ar": "تلقَّ المقالات الجديدة عن عبارة"},
        {
            "en": "get new articles about a word or phrase (e.g. /follow Gaza)",
            "ar": "تلقَّ المقالات الجديدة عن كلمة أو عبارة (مثلًا /follow غزة)",
        },
    ),
    Command(
        "following",
        following.on_following,
        {"en": "What you follow", "ar": "ما تتابعه"},
        {"en": "what you follow", "ar": "ما تتابعه"},
    ),
    Command(
        "unfollow",
        following.on_unfollow,
        {"en": "Stop following", "ar": "إلغاء المتابعة"},
        {"en": "stop", "ar": "إلغاء المتابعة"},
        same_line=True,
    ),
    Command(
        "language",
        browsing.on_language,
        {"en": "Choose the language", "ar": "اختيار اللغة"},
        {"en": "choose the language", "ar": "اختيار اللغة"},
    ),
    Command(
        "settings",
        user_settings.on_settings,
        {"en": "Language and link previews", "ar": "اللغة ومعاينة الروابط"},
        {"en": "language and link previews", "ar": "اللغة ومعاينة الروابط"},
    ),
    Command(
        "privacy",
        user_settings.on_privacy,
        {"en": "What the bot keeps about you", "ar": "ما يحتفظ به البوت عنك"},
        {"en": "what I keep about you", "ar": "ما أحتفظ به عنك"},
    ),
    Command(
        "forget",
        user_settings.on_forget,
        {"en": "Delete your data", "ar": "حذف بياناتك"},
        {"en": "delete it", "ar": "حذفها"},
        same_line=True,
    ),
    Command(
        "help",
        on_help,
        {"en": "How to use the bot", "ar": "طريقة الاستخدام"},
        {"en": "this message", "ar": "هذه الرسالة"},
    ),
    Command(
        "reload",
        admin.on_reload,
        {"en": "Re-read the sources", "ar": "إعادة قراءة المصادر"},
        {"en": "re-read the sources", "ar": "إعادة قراءة المصادر"},
        admin=True,
    ),
    Command(
        "stats",
        admin.on_stats,
        {"en": "Library and question statistics", "ar": "إحصاءات المكتبة والأسئلة"},
        {"en": "library and questions", "ar": "المكتبة والأسئلة"},
        admin=True,
    ),
)

ADMIN_TITLE = {"en": "<b>Admin</b>", "ar": "<b>للمشرفين</b>"}
"""The heading of the admin commands in /help."""


def command_handlers() -> list[CommandHandler[BotContext, None]]:
    """A handler per command (new messages only: edits are ignored); admin commands refuse
    everyone else."""
    return [
        CommandHandler(
            command.name,
            admin.admin_only(command.callback, command.name) if command.admin else command.callback,
            filters=filters.UpdateType.MESSAGE,
        )
        for command in COMMANDS
    ]


def bot_commands(lang: str, for_admins: bool = False) -> list[BotCommand]:
    """The command menu in ``lang``, with the admin commands for admins."""
    return [
        BotCommand(command.name, command.menu[lang])
        for command in COMMANDS
        if for_admins or not command.admin
    ]


def command_guide(
    lang: str, admin_commands: bool = False, only: Collection[str] | None = None
) -> str:
    """The commands as /help lists them: the public ones, or (``admin_commands``) the admins';
    ``only``: just those of these names (the terminal chat's)."""
    lines: list[str] = []
    for command in COMMANDS:
        if command.guide is None or command.admin != admin_commands:
            continue
        if only is not None and command.name not in only:
            continue
        line = f"/{command.name} - {command.guide[lang]}"
        if command.same_line and lines:
            lines[-1] += " · " + line
        else:
            lines.append(line)
    return "\n".join(lines)


def help_reply(lang: str, for_admins: bool) -> Reply:
    """/help: how to ask, then the commands (the admins' too, for admins)."""
    # The string's first paragraph is the introduction; the commands come from the table.
    intro = t(lang, "help").split("\n\n", 1)[0]
    text = intro + "\n\n" + command_guide(lang)
    if for_admins:
        text += f"\n\n{ADMIN_TITLE[lang]}\n{command_guide(lang, admin_commands=True)}"
    return Reply(bidi.apply_bidi(text, lang == "ar"))


def _check_table() -> None:
    """Every command is described in every language."""
    for command in COMMANDS:
        for texts in (command.menu, command.guide or {lang: "" for lang in LANGS}):
            missing = set(LANGS) - set(texts)
            if missing:
                raise ValueError(f"/{command.name} has no description in {sorted(missing)}")


_check_table()
