"""End to end over the fake Bot API server (issue 11, items 6, 7, 9, 12): an Arabic reader's
/start with isolated commands and example buttons that ask, an answer with its link preview,
/settings turning previews off, /privacy, and /forget with its confirmation."""

from __future__ import annotations

import subprocess

from bot.bidi import LRI, PDI
from tests.telegram_helpers import FakeBotAPI, assert_telegram_html, user
from tests.test_e2e_polling import bot_process, buttons, sent_to, server

__all__ = ["bot_process", "server"]  # the fixtures, used here by name


def test_a_new_readers_first_minutes_over_long_polling(
    server: FakeBotAPI, bot_process: subprocess.Popen
) -> None:
    alice = user(1, "ar", "قارئ")
    server.wait_for(lambda c: c.method == "setMyCommands")

    # /start: Arabic comma, commands isolated left-to-right, example questions as buttons.
    mark = len(server.calls)
    server.user_says("/start", alice)
    start = server.wait_for(sent_to(1), after=mark)
    assert "أهلًا، قارئ" in start.params["text"]
    assert f"{LRI}/latest 10{PDI}" in start.params["text"]
    examples = [b for b in buttons(start) if b.startswith("x|")]
    assert 2 <= len(examples) <= 3

    # Tapping one asks it: an answer arrives, previewing its top article if it has a URL.
    mark = len(server.calls)
    server.press(examples[0], server.last_bot_message(1), alice)
    answer = server.wait_for(sent_to(1), after=mark)
    assert any(b.startswith("a|") for b in buttons(answer))
    server.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)

    # A question whose top article has a URL gets its preview.
    mark = len(server.calls)
    server.user_says("متى أعلن وقف إطلاق النار في غزة؟", alice)
    answer = server.wait_for(sent_to(1), after=mark)
    assert answer.params["link_preview_options"]["url"] == "https://example.com/gaza?a=1&b=2"

    # /settings turns previews off; the next answer has none.
    mark = len(server.calls)
    server.user_says("/settings", alice)
    settings = server.wait_for(sent_to(1), after=mark)
    assert "s|1|p|0" in buttons(settings)
    mark = len(server.calls)
    server.press("s|1|p|0", server.last_bot_message(1), alice)
    edit = server.wait_for(sent_to(1, "editMessageText"), after=mark)
    assert "s|1|p|1" in buttons(edit)
    mark = len(server.calls)
    server.user_says("متى أعلن وقف إطلاق النار في غزة؟", alice)
    answer = server.wait_for(sent_to(1), after=mark)
    assert "url" not in answer.params.get("link_preview_options", {})

    # Another reader (each has a burst of 8 updates): a question, /privacy, then /forget
    # after confirming.
    bob = user(2, "ar", "بدر")
    mark = len(server.calls)
    server.user_says("متى أعلن وقف إطلاق النار في غزة؟", bob)
    server.wait_for(sent_to(2), after=mark)
    mark = len(server.calls)
    server.user_says("/privacy", bob)
    assert "/forget" in server.wait_for(sent_to(2), after=mark).params["text"]
    mark = len(server.calls)
    server.user_says("/forget", bob)
    confirm = server.wait_for(sent_to(2), after=mark)
    assert buttons(confirm) == ["z|2|1", "z|2|0"]
    mark = len(server.calls)
    server.press("z|2|1", server.last_bot_message(2), bob)
    done = server.wait_for(sent_to(2, "editMessageText"), after=mark)
    assert "حُذف: سؤال واحد." in done.params["text"]

    assert server.errors == []
    for call in server.calls:
        if call.params.get("parse_mode") == "HTML" or call.method == "sendMessage":
            assert_telegram_html(call.params["text"])
