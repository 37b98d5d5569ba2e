"""Helpers for the bot's tests: a ``Bot`` under test (an application with its recording
request), its settings, test articles and small readers of what it sent."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot import channels
from bot.config import Settings
from knowledge import Library
from tests.telegram_helpers import (
    BOT_USER,
    channel_post,
    message,
    update,
    user,
)

ADMIN = 42


def make_settings(tmp_path: Path, sources: Path, **extra: str) -> Settings:
    env = {
        "TELEGRAM_BOT_TOKEN": "123:TEST",
        "ARTICLEBOT_ADMIN_IDS": str(ADMIN),
        "ARTICLEBOT_DB": str(tmp_path / "lib.db"),
        "ARTICLEBOT_SOURCES": str(sources),
        **extra,
    }
    return Settings.from_env(env)


class Bot:
    """An application under test with its recording request."""

    def __init__(self, app: Application, request: Any) -> None:
        self.app, self.request = app, request

    async def send(self, payload: dict) -> None:
        await self.app.process_update(Update.de_json(payload, self.app.bot))

    async def say(self, text: str | None, **kwargs: Any) -> dict:
        """A user message; returns the message dict (to reply to or build callbacks on)."""
        msg = message(text, **kwargs)
        await self.send(update("message", msg))
        return msg

    def sent(self, *methods: str) -> list:
        return self.request.sent(*methods)

    def last(self) -> dict:
        return self.sent()[-1].params

    def clear(self) -> None:
        self.request.calls.clear()

    @property
    def posts(self) -> channels.PostQueue:
        return self.app.bot_data.posts

    async def post(self, text: str, message_id: int, edited: bool = False, **kw: Any) -> None:
        """A channel post (or its edit) arrives; wait until it is stored."""
        kind = "edited_channel_post" if edited else "channel_post"
        await self.send(
            update(kind, channel_post(text, message_id=message_id, edited=edited, **kw))
        )
        await self.posts_stored()

    async def posts_stored(self) -> None:
        """Wait until the channel posts received so far are stored, and the alerts they asked
        for are sent; fail after 10 s."""
        await asyncio.wait_for(self.posts.join(), 10)
        await self.alerts_sent()

    async def alerts_sent(self) -> None:
        """Wait until the alert rounds asked for so far have run; fail after 10 s."""
        await asyncio.wait_for(self.app.bot_data.alert_rounds.idle(), 10)


def bot_message(call_params: dict, reply_to: dict | None = None, message_id: int = 7000) -> dict:
    """The message the bot sent, as Telegram would show it in a callback query."""
    msg = {
        "message_id": message_id,
        "date": 1_700_000_000,
        "chat": {"id": int(call_params["chat_id"]), "type": "private"},
        "from": BOT_USER,
        "text": _plain(call_params["text"]),
        "reply_markup": call_params.get("reply_markup"),
    }
    if reply_to is not None:
        msg["reply_to_message"] = reply_to
    return msg


def _plain(html_text: str) -> str:
    from bot.markup import visible_text

    return visible_text(html_text)


def buttons(params: dict) -> list[str]:
    markup = params.get("reply_markup") or {}
    return [
        b.get("callback_data") or b.get("url")
        for row in markup.get("inline_keyboard", [])
        for b in row
    ]


async def ask_and_get_answer(bot: Bot, text: str) -> tuple[dict, dict]:
    question = await bot.say(text, from_user=user(1, "ar"))
    return question, bot.last()


class SpyLibrary:
    """A real library whose ingest can be held and counted."""

    def __init__(self, library: Library) -> None:
        self._library = library
        self.ingests = 0
        self.release = threading.Event()
        self.entered = threading.Event()
        self.fail: Exception | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._library, name)

    def ingest(self, paths: Any, sync: bool = False) -> Any:
        self.ingests += 1
        self.entered.set()
        self.release.wait(5)
        if self.fail:
            raise self.fail
        return self._library.ingest(paths, sync=sync)

    @classmethod
    def failing(cls, library: Library, error: Exception) -> SpyLibrary:
        """A spy whose every ingest fails at once with ``error``."""
        spy = cls(library)
        spy.fail = error
        spy.release.set()
        return spy


def refuse(
    method: str, description: str, code: int = 400, html_only: bool = False
) -> Callable[[str, dict], Any]:
    """A Bot API that refuses every ``method`` call (only those sent as HTML, with
    ``html_only``) with ``description``."""

    def responder(name: str, params: dict) -> dict | None:
        if name == method and (not html_only or params.get("parse_mode") == "HTML"):
            return {"ok": False, "error_code": code, "description": description}
        return None

    return responder


async def eventually(predicate: Callable[[], Any], timeout: float = 20) -> Any:
    """Wait for ``predicate()`` to be truthy (the job runs in the background); fail after
    ``timeout`` seconds."""
    for _ in range(int(timeout / 0.05)):
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError("the condition never became true")


MARS = """---
title: "Rover finds ancient riverbed on Mars"
date: 2021-08-01
source: Space Desk
---
The rover found pebbles of an ancient riverbed near the crater rim on Tuesday.
"""


POST = (
    "🔴🔴\n"
    "افتتاح محطة لتحلية مياه البحر في العقبة\n"
    "افتتحت الحكومة الأردنية اليوم محطة لتحلية مياه البحر في مدينة العقبة بطاقة خمسين مليون "
    "متر مكعب سنويا.\n"
    "وقال وزير المياه إن المحطة ستخدم سكان الجنوب."
)


async def admin_reload(bot: Bot) -> None:
    """An admin's /reload, and the alerts it asked for."""
    await bot.say("/reload", from_user=user(ADMIN, "en"), chat={"id": ADMIN, "type": "private"})
    await bot.alerts_sent()
