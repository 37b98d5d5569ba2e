"""The command table and what is derived from it: handlers, menus, /help, /start
(``bot.commands``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from knowledge import Library
from tests.bot.helpers import (
    ADMIN,
    Bot,
    _plain,
)
from tests.telegram_helpers import (
    user,
)


async def test_start_gives_examples_that_the_library_answers(bot: Bot, library: Library) -> None:
    await bot.say("/start", from_user=user(1, "ar"))
    text = bot.last()["text"]
    assert "أهلًا" in text
    assert "3 مقالات إخبارية" in text
    examples = [_plain(part.split("</code>")[0]) for part in text.split("<code>")[1:]]
    # Arabic topics from the headlines first (not sentence fragments), each one answered.
    assert examples == ["أمطار غزيرة تضرب العاصمة عمّان", "وقف إطلاق النار في غزة"]
    for example in examples:
        assert library.search(example, k=1).answered


async def test_start_in_english_prefers_english_examples(bot: Bot) -> None:
    await bot.say("/start", from_user=user(1, "en"))
    text = bot.last()["text"]
    assert "library of 3 news articles" in text
    assert "<code>A new lunar mission launches</code>" in text


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
