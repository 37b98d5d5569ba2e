"""Sending: plain-text fallbacks, retries, edits that become new messages
(``bot.messaging``)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from knowledge import Library
from tests.bot.helpers import (
    Bot,
    _plain,
    ask_and_get_answer,
    bot_message,
    buttons,
    refuse,
)
from tests.telegram_helpers import (
    BOT_ID,
    BOT_USER,
    callback,
)


async def test_refused_html_is_resent_as_plain_text(make_bot: Callable[..., Any]) -> None:
    unsupported = "Bad Request: can't parse entities: unsupported start tag"
    b = await make_bot(refuse("sendMessage", unsupported, html_only=True))
    await b.say("ما عدد الضحايا في غزة؟")
    last = b.sent("sendMessage")[-1].params
    assert "parse_mode" not in last and "مئتين" in last["text"] and "<b>" not in last["text"]
    await b.app.shutdown()


async def test_flood_control_is_retried(make_bot: Callable[..., Any]) -> None:
    refused = []

    def responder(method: str, params: dict) -> dict | None:
        if method == "sendMessage" and not refused:
            refused.append(1)
            return {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests",
                "parameters": {"retry_after": 1},
            }
        return None

    b = await make_bot(responder)
    await b.say("ما عدد الضحايا في غزة؟")
    assert len(b.sent("sendMessage")) == 2 and "مئتين" in b.last()["text"]
    await b.app.shutdown()


def test_bot_id_constant_matches_helpers() -> None:
    assert BOT_USER["id"] == BOT_ID


async def test_failing_callback_answer_does_not_stop_the_article(
    make_bot: Callable[..., Any],
) -> None:
    b = await make_bot(refuse("answerCallbackQuery", "Bad Request: query is too old"))
    _, answer = await ask_and_get_answer(b, "متى أعلن وقف إطلاق النار في غزة؟")
    article_button = next(x for x in buttons(answer) if x.startswith("a|"))
    b.clear()
    await b.send(callback(article_button, bot_message(answer)))
    assert any("توسطت فيها مصر" in c.params["text"] for c in b.sent("sendMessage"))
    assert not any("went wrong" in c.params["text"] for c in b.sent("sendMessage"))
    await b.app.shutdown()


async def test_a_page_gone_after_reload_is_an_alert_not_an_edit(
    bot: Bot, library: Library, sources: Path
) -> None:
    question, answer = await ask_and_get_answer(bot, "غزة الهدنة وقف إطلاق النار الضحايا")
    for name in ("gaza.md", "rain.md"):
        (sources / name).unlink()
    library.ingest([sources], sync=True)
    bot.clear()
    await bot.send(callback("m|1", bot_message(answer, reply_to=question)))
    await bot.send(callback("l|2|2", bot_message(answer)))
    answers = bot.sent("answerCallbackQuery")
    assert len(answers) == 2
    assert all(a.params["show_alert"] and "انتهت صلاحية" in a.params["text"] for a in answers)
    assert bot.sent("editMessageText", "sendMessage") == []  # the answer stays as it was


async def test_a_message_that_cannot_be_edited_gets_a_new_one(
    make_bot: Callable[..., Any],
) -> None:
    b = await make_bot(refuse("editMessageText", "Bad Request: message to edit not found"))
    question, answer = await ask_and_get_answer(b, "غزة الهدنة وقف إطلاق النار الضحايا")
    b.clear()
    await b.send(callback("m|1", bot_message(answer, reply_to=question)))
    sent = b.sent("sendMessage")
    assert len(sent) == 1 and "4." in _plain(sent[0].params["text"])
    await b.app.shutdown()


async def test_network_failures_are_retried(
    make_bot: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from telegram.error import NetworkError

    from bot import messaging

    monkeypatch.setattr(messaging, "RETRY_DELAYS", (0.0, 0.0))
    failures = []

    def responder(method: str, params: dict) -> dict | None:
        if method == "sendMessage" and len(failures) < 2:
            failures.append(method)
            raise NetworkError("connection reset")
        return None

    b = await make_bot(responder)
    await b.say("ما عدد الضحايا في غزة؟")
    sent = b.sent("sendMessage")
    assert len(sent) == 3 and "مئتين" in sent[-1].params["text"]
    await b.app.shutdown()


@pytest.mark.parametrize(
    ("cause", "sends"),
    [
        (httpx.ConnectTimeout("connect"), 2),
        (httpx.PoolTimeout("pool"), 2),
        (httpx.ReadTimeout("read"), 1),
    ],
)
async def test_a_timed_out_send_is_retried_only_if_it_never_left(
    make_bot: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, cause: Exception, sends: int
) -> None:
    from telegram.error import TimedOut

    from bot import messaging

    monkeypatch.setattr(messaging, "RETRY_DELAYS", (0.0, 0.0))
    failed = []

    def responder(method: str, params: dict) -> dict | None:
        if method == "sendMessage" and not failed:
            failed.append(method)
            raise TimedOut() from cause  # as PTB's HTTPXRequest raises it
        return None

    b = await make_bot(responder)
    with contextlib.suppress(TimedOut):
        await b.say("ما عدد الضحايا في غزة؟")
    # a read timeout may come after Telegram delivered the message: sending again would repeat it
    assert len(b.sent("sendMessage")) == sends


async def test_too_long_html_degrades_to_plain_text_with_its_buttons(
    make_bot: Callable[..., Any],
) -> None:
    b = await make_bot(refuse("sendMessage", "Bad Request: message is too long", html_only=True))
    await b.say("متى أعلن وقف إطلاق النار في غزة؟")
    last = b.sent("sendMessage")[-1].params
    assert "parse_mode" not in last and "<b>" not in last["text"]
    assert any(x.startswith("a|") for x in buttons(last))
    await b.app.shutdown()
