"""The command table and what is derived from it: handlers, menus, /help, /start
(``bot.commands``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from telegram.ext import CommandHandler

from bot import bidi, commands, i18n
from bot.chat import ChatSession
from bot.commands import COMMANDS, bot_commands, help_reply
from bot.config import Settings
from bot.people import People
from knowledge import Library
from tests.bot.helpers import (
    ADMIN,
    Bot,
)
from tests.telegram_helpers import (
    user,
)


def _button_labels(params: dict) -> list[str]:
    rows = (params.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["text"] for row in rows for b in row]


async def test_start_gives_examples_that_the_library_answers(bot: Bot, library: Library) -> None:
    await bot.say("/start", from_user=user(1, "ar"))
    text = bot.last()["text"]
    assert "أهلًا" in text
    assert "3 مقالات إخبارية" in text
    # Examples are buttons now (they ask when tapped), not <code> to copy.
    assert "<code>" not in text
    examples = _button_labels(bot.last())
    # Arabic topics from the headlines first (not sentence fragments), as questions, each one
    # answered.
    assert examples == [
        "ماذا عن «أمطار غزيرة تضرب العاصمة عمّان»؟",
        "ماذا عن «وقف إطلاق النار في غزة»؟",
    ]
    for example in examples:
        assert library.search(example, k=1).answered


async def test_start_in_english_prefers_english_examples(bot: Bot) -> None:
    await bot.say("/start", from_user=user(1, "en"))
    text = bot.last()["text"]
    assert "library of 3 news articles" in text
    assert _button_labels(bot.last()) == ["What about “A new lunar mission launches”?"]


async def test_help_shows_admin_commands_only_to_admins(bot: Bot) -> None:
    await bot.say("/help", from_user=user(1, "en"))
    assert "/reload" not in bot.last()["text"] and "/sources" in bot.last()["text"]
    await bot.say("/help", from_user=user(ADMIN, "en"))
    assert "/reload" in bot.last()["text"]


async def test_unknown_command_shows_help(bot: Bot) -> None:
    await bot.say("/frobnicate")
    assert "/latest" in bot.last()["text"]


async def test_menus_are_set_and_failures_ignored(make_bot: Callable[..., Any]) -> None:
    def responder(method: str, params: dict) -> dict | None:
        if method == "setMyCommands" and "scope" in params:
            return {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
        return None

    b = await make_bot(responder)
    await b.app.post_init(b.app)  # run_polling calls it; must not raise
    calls = b.sent("setMyCommands")
    default = [c for c in calls if "scope" not in c.params]
    assert {c.params.get("language_code") for c in default} == {None, "ar"}
    assert all("reload" not in str(c.params["commands"]) for c in default)
    assert all("sources" in str(c.params["commands"]) for c in default)
    admin = [c for c in calls if "scope" in c.params]
    assert admin and all(c.params["scope"]["chat_id"] == ADMIN for c in admin)
    assert "reload" in str(admin[0].params["commands"])
    await b.app.shutdown()


PUBLIC = [c.name for c in COMMANDS if not c.admin]
ADMIN_ONLY = [c.name for c in COMMANDS if c.admin]


def _listed(text: str) -> list[str]:
    """The commands a /help text lists, in order."""
    text = re.sub("[\u200e\u200f\u061c\u2066-\u2069]", "", text)  # bidi marks
    return re.findall(r"(?:^|· )/(\w+) - ", text, flags=re.MULTILINE)


def test_each_command_once() -> None:
    names = [c.name for c in COMMANDS]
    assert len(names) == len(set(names)) and ADMIN_ONLY == ["reload", "stats"]


async def test_the_handlers_are_the_table(bot: Bot) -> None:
    registered = [
        name
        for handler in bot.app.handlers[0]
        if isinstance(handler, CommandHandler)
        for name in sorted(handler.commands)
    ]
    assert registered == [c.name for c in COMMANDS]


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_menus_help_and_the_table_list_the_same_commands(lang: str) -> None:
    assert [c.command for c in bot_commands(lang)] == PUBLIC
    assert [c.command for c in bot_commands(lang, True)] == PUBLIC + ADMIN_ONLY
    guided = [c.name for c in COMMANDS if c.guide is not None]
    assert _listed(help_reply(lang, False).text) == [n for n in guided if n not in ADMIN_ONLY]
    assert _listed(help_reply(lang, True).text) == guided
    for name in ADMIN_ONLY:  # admin commands only in admins' menus and /help
        assert f"/{name}" not in help_reply(lang, False).text
    assert all(c.description for c in bot_commands(lang, True))


# The admins' part of /help as the string it replaced said it (the string is gone: unused).
HELP_ADMIN_BEFORE = {
    "en": "\n\n<b>Admin</b>\n/reload - re-read the sources\n/stats - library and questions",
    "ar": "\n\n<b>للمشرفين</b>\n/reload - إعادة قراءة المصادر\n/stats - المكتبة والأسئلة",
}


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_help_reads_as_before(lang: str) -> None:
    """The table gives the same /help (and /start's list) as the text it replaced."""
    before = i18n.t(lang, "help")
    assert help_reply(lang, False).text == bidi.apply_bidi(before, lang == "ar")
    with_admin = before + HELP_ADMIN_BEFORE[lang]
    assert help_reply(lang, True).text == bidi.apply_bidi(with_admin, lang == "ar")
    assert commands.command_guide(lang) == before.split("\n\n", 1)[-1]


def test_the_terminal_chat_knows_only_commands_of_the_table(
    library: Library, people: People
) -> None:
    session = ChatSession(library, people, Settings(), "en")
    assert set(session.commands) <= {c.name for c in COMMANDS}
    # Not in a terminal: said so (it showed the help before issue 11).
    (reply,) = session.command("/follow Gaza")
    assert "/follow" in reply.text and "Telegram only" in reply.text


async def test_admin_commands_are_refused_to_others(bot: Bot) -> None:
    for name in ADMIN_ONLY:
        bot.clear()
        await bot.say(f"/{name}", from_user=user(1, "en"))
        assert bot.last()["text"] == i18n.t("en", "not_admin")
