"""The bot's handlers, in process: real Updates through Application.process_update with a
recording request in place of the network."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram import Update
from telegram.ext import Application

from bot import channels, handlers
from bot.app import build_application
from bot.config import Settings
from bot.people import People
from knowledge import Article, Library
from tests.telegram_helpers import (
    BOT_ID,
    BOT_USER,
    BOT_USERNAME,
    assert_telegram_html,
    callback,
    channel,
    channel_post,
    group_chat,
    inline_query,
    make_recording_request,
    message,
    update,
    user,
    write_articles,
)

ADMIN = 42


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    return write_articles(tmp_path / "articles")


@pytest.fixture
def library(tmp_path: Path, sources: Path) -> Library:
    lib = Library.open(tmp_path / "lib.db")
    lib.ingest([sources])
    yield lib
    lib.close()


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
        return self.app.bot_data[channels.POSTS]

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
        await asyncio.wait_for(self.app.bot_data[handlers.ALERT_ROUNDS].idle(), 10)


@pytest.fixture
async def make_bot(
    tmp_path: Path, sources: Path, library: Library
) -> AsyncIterator[Callable[..., Any]]:
    """Builds initialised bots; afterwards checks that all they sent as HTML was valid."""
    bots: list[Bot] = []

    async def factory(
        responder: Callable | None = None, lib: Any = None, people: Any = None, **env: str
    ) -> Bot:
        request = make_recording_request(responder)
        app = build_application(
            make_settings(tmp_path, sources, **env),
            lib or library,
            request=request,
            get_updates_request=make_recording_request(),
            people=people,
        )
        await app.initialize()
        bots.append(Bot(app, request))
        return bots[-1]

    yield factory
    for b in bots:
        await b.app.post_stop(b.app)  # as run_polling does: stores the queued channel posts
        await b.app.shutdown()  # a no-op for those already shut down
        for call in b.sent():
            if call.params.get("parse_mode") == "HTML":
                assert_telegram_html(call.params["text"])


@pytest.fixture
async def bot(make_bot: Callable[..., Any]) -> Bot:
    return await make_bot()


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
    from bot.replies import visible_text

    return visible_text(html_text)


def buttons(params: dict) -> list[str]:
    markup = params.get("reply_markup") or {}
    return [
        b.get("callback_data") or b.get("url")
        for row in markup.get("inline_keyboard", [])
        for b in row
    ]


# --- questions ---------------------------------------------------------------------------------


async def test_private_question_is_answered_with_quoted_passage(bot: Bot) -> None:
    question = await bot.say("متى أعلن وقف إطلاق النار في غزة؟", from_user=user(1, "ar"))
    methods = [c.method for c in bot.request.calls]
    assert "sendChatAction" in methods
    assert methods.index("sendChatAction") < methods.index("sendMessage")
    params = bot.last()
    assert params["parse_mode"] == "HTML"
    assert params["reply_parameters"]["message_id"] == question["message_id"]
    assert "<b>غزة</b>" in params["text"] or "<b>" in params["text"]
    assert "وقف إطلاق النار" in params["text"]
    assert 'href="https://example.com/gaza?a=1&amp;b=2"' in params["text"]
    assert any(b.startswith("a|") for b in buttons(params))
    assert params["link_preview_options"] == {"is_disabled": True}


async def test_english_question_gets_english_ui(bot: Bot) -> None:
    await bot.say("when did the lunar mission launch?", from_user=user(1, None))
    text = bot.last()["text"]
    assert "lunar mission" in text and "Results" in text


async def test_off_topic_question_gets_kind_no_answer(bot: Bot) -> None:
    await bot.say("what's the weather in London?", from_user=user(1, "en"))
    text = bot.last()["text"]
    assert "couldn't find" in text
    assert "غزة" not in text and "lunar" not in text
    assert buttons(bot.last()) == ["l|0|5"]


async def test_questions_are_logged_for_stats(people: People, bot: Bot, library: Library) -> None:
    await bot.say("ما عدد الضحايا في غزة؟")
    await bot.say("what's the weather in London?")
    stats = people.stats(library)
    assert stats.questions == 2 and stats.unanswered == 1


@pytest.mark.parametrize(
    "text",
    ["😀😀😀", "<b>&amp;</b> < > &", "\u200f\u2068\u2069\u202e", "x" * 4000, "من في على", "  ?  "],
)
async def test_odd_questions_get_a_valid_reply(bot: Bot, text: str) -> None:
    await bot.say(text)
    assert len(bot.sent("sendMessage")) == 1


async def test_non_text_messages_get_a_hint(bot: Bot) -> None:
    sticker = {
        "file_id": "s",
        "file_unique_id": "u",
        "type": "regular",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
    }
    await bot.say(None, extra={"sticker": sticker})
    assert "only read text" in bot.last()["text"]


async def test_a_photo_caption_is_the_question(bot: Bot) -> None:
    photo = [{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}]
    await bot.say(None, extra={"photo": photo, "caption": "متى أعلن وقف إطلاق النار في غزة؟"})
    assert "وقف إطلاق النار" in bot.last()["text"]
    await bot.say(None, extra={"photo": photo})  # no caption: the hint
    assert "only read text" in bot.last()["text"]


async def test_edited_messages_are_ignored(bot: Bot) -> None:
    await bot.send(update("edited_message", {**message("غزة"), "edit_date": 1_700_000_100}))
    assert bot.sent("sendMessage") == []


# --- paging and articles -------------------------------------------------------------------------


async def ask_and_get_answer(bot: Bot, text: str) -> tuple[dict, dict]:
    question = await bot.say(text, from_user=user(1, "ar"))
    return question, bot.last()


async def test_more_results_edits_the_same_message(bot: Bot) -> None:
    question, answer = await ask_and_get_answer(bot, "غزة الهدنة وقف إطلاق النار الضحايا")
    assert "m|1" in buttons(answer)
    bot.clear()
    await bot.send(callback("m|1", bot_message(answer, reply_to=question)))
    edits = bot.sent("editMessageText")
    assert len(edits) == 1 and edits[0].params["message_id"] == 7000
    assert "4." in _plain(edits[0].params["text"])
    assert "m|0" in buttons(edits[0].params)
    assert bot.sent("answerCallbackQuery")


async def test_paging_works_after_a_restart(make_bot: Callable[..., Any]) -> None:
    first = await make_bot()
    question, answer = await ask_and_get_answer(first, "غزة الهدنة وقف إطلاق النار الضحايا")
    await first.app.shutdown()
    second = await make_bot()  # a new process: nothing in memory
    await second.send(callback("m|1", bot_message(answer, reply_to=question)))
    assert len(second.sent("editMessageText")) == 1
    await second.app.shutdown()


async def test_paging_falls_back_to_the_answer_header(bot: Bot) -> None:
    _, answer = await ask_and_get_answer(bot, "غزة الهدنة وقف إطلاق النار الضحايا")
    bot.clear()
    await bot.send(callback("m|1", bot_message(answer, reply_to=None)))
    assert len(bot.sent("editMessageText")) == 1


async def test_paging_without_the_question_says_expired(bot: Bot) -> None:
    msg = bot_message({"chat_id": 1, "text": "something else"})
    await bot.send(callback("m|1", msg))
    answers = bot.sent("answerCallbackQuery")
    assert len(answers) == 1 and "expired" in answers[0].params["text"]
    assert bot.sent("editMessageText") == []


async def test_show_article_sends_the_article(bot: Bot, library: Library) -> None:
    _, answer = await ask_and_get_answer(bot, "متى أعلن وقف إطلاق النار في غزة؟")
    article_button = next(b for b in buttons(answer) if b.startswith("a|"))
    bot.clear()
    await bot.send(callback(article_button, bot_message(answer)))
    sent = bot.sent("sendMessage")
    assert any("توسطت فيها مصر" in c.params["text"] for c in sent)
    assert bot.sent("answerCallbackQuery")


async def test_article_gone_after_reload_is_polite(
    bot: Bot, library: Library, sources: Path
) -> None:
    _, answer = await ask_and_get_answer(bot, "متى أعلن وقف إطلاق النار في غزة؟")
    article_button = next(b for b in buttons(answer) if b.startswith("a|"))
    (sources / "gaza.md").unlink()
    library.ingest([sources], sync=True)
    bot.clear()
    await bot.send(callback(article_button, bot_message(answer)))
    assert "no longer" in bot.last()["text"] or "لم يعد" in bot.last()["text"]
    assert bot.sent("answerCallbackQuery")


async def test_garbage_callback_data_is_answered(bot: Bot) -> None:
    await bot.send(callback("zzz|<>", bot_message({"chat_id": 1, "text": "x"})))
    assert len(bot.sent("answerCallbackQuery")) == 1


# --- commands ----------------------------------------------------------------------------------


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


async def test_latest_pages_and_opens_articles(bot: Bot) -> None:
    await bot.say("/latest 2", from_user=user(1, "en"))
    params = bot.last()
    text = _plain(params["text"])
    assert text.index("lunar") < text.index("عمّان")  # newest first
    assert buttons(params)[-1] == "l|2|2"
    bot.clear()
    await bot.send(callback("l|2|2", bot_message(params)))
    edited = bot.sent("editMessageText")[0].params
    assert "غزة" in edited["text"] and "l|0|2" in buttons(edited)


async def test_latest_caps_n(bot: Bot) -> None:
    await bot.say("/latest 100000")
    assert _plain(bot.last()["text"]).count("📰") == 3


async def test_language_override(bot: Bot) -> None:
    await bot.say("/language", from_user=user(1, "en"))
    choose = bot.last()
    assert buttons(choose) == ["g|ar", "g|en"]
    await bot.send(callback("g|ar", bot_message(choose), from_user=user(1, "en")))
    await bot.say("what's the weather in London?", from_user=user(1, "en"))
    assert "لم أجد" in bot.last()["text"]


async def test_the_language_choice_is_shared_by_every_instance_and_kept(
    make_bot: Callable[..., Any], library: Library
) -> None:
    first, second = await make_bot(), await make_bot()  # two instances on one library
    await first.say("/language ar", from_user=user(7, "en"))
    await second.say("what's the weather in London?", from_user=user(7, "en"))
    assert "لم أجد" in second.last()["text"]
    with People(library.path) as reopened:  # kept in the database, across restarts
        assert reopened.language(7) == "ar" and reopened.language(8) is None
    await second.say("/language en", from_user=user(7, "ar"))
    await first.say("ما الطقس في لندن؟", from_user=user(7, "ar"))
    assert "I couldn't find an answer" in first.last()["text"]


async def test_unknown_command_shows_help(bot: Bot) -> None:
    await bot.say("/frobnicate")
    assert "/latest" in bot.last()["text"]


# --- admin -----------------------------------------------------------------------------------


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


async def test_reload_refused_for_non_admins(
    make_bot: Callable[..., Any], library: Library
) -> None:
    spy = SpyLibrary(library)
    b = await make_bot(lib=spy)
    group = group_chat(-5)
    await b.say("/reload", from_user=user(7, "en"), chat=group)  # a group admin, not ours
    assert spy.ingests == 0
    assert "administrators" in b.last()["text"]
    await b.app.shutdown()


async def test_reload_reports_and_refuses_a_second_one(
    make_bot: Callable[..., Any], library: Library, sources: Path
) -> None:
    spy = SpyLibrary(library)
    b = await make_bot(lib=spy)
    (sources / "moon.md").unlink()
    admin = user(ADMIN, "en")
    first = asyncio.create_task(b.say("/reload", from_user=admin))
    await asyncio.to_thread(spy.entered.wait, 5)
    # While the reload runs, questions are still answered and a second reload is refused.
    await b.say("ما عدد الضحايا في غزة؟", from_user=user(2, "ar"))
    assert "مئتين" in b.last()["text"]
    await b.say("/reload", from_user=admin)
    assert "already running" in b.last()["text"]
    spy.release.set()
    await first
    texts = [c.params["text"] for c in b.sent("sendMessage")]
    assert any("Reloading" in x for x in texts)
    report = texts[-1]
    assert "Reload finished" in report and "Removed: 1" in report and "Unchanged: 2" in report
    assert spy.ingests == 1
    await b.app.shutdown()


async def test_failed_reload_keeps_the_library(
    make_bot: Callable[..., Any], library: Library
) -> None:
    spy = SpyLibrary.failing(library, RuntimeError("disk <full>"))
    b = await make_bot(lib=spy)
    await b.say("/reload", from_user=user(ADMIN, "en"))
    assert "failed" in b.last()["text"] and "disk &lt;full&gt;" in b.last()["text"]
    assert library.stats().articles == 3
    await b.say("/reload", from_user=user(ADMIN, "en"))  # the lock was released
    assert spy.ingests == 2
    await b.app.shutdown()


async def test_stats_for_admins(bot: Bot) -> None:
    await bot.say("what's the weather in London?", from_user=user(3, "en"))
    await bot.say("/stats", from_user=user(3, "en"))
    assert "administrators" in bot.last()["text"]
    await bot.say("/stats", from_user=user(ADMIN, "en"))
    text = bot.last()["text"]
    assert "Articles: 3" in text and "Unanswered: 1 (100%)" in text
    assert "weather in London" in text


# --- groups ------------------------------------------------------------------------------------


async def test_groups_answer_only_when_addressed(bot: Bot) -> None:
    group = group_chat(-10)
    await bot.say("ما عدد الضحايا في غزة؟", chat=group)
    assert bot.sent("sendMessage") == []
    await bot.say(f"@{BOT_USERNAME} ما عدد الضحايا في غزة؟", chat=group)
    assert "مئتين" in bot.last()["text"]
    await bot.say("/ask ما عدد الضحايا في غزة؟", chat=group)
    assert "مئتين" in bot.last()["text"]
    await bot.say(f"/ask@{BOT_USERNAME} lunar mission", chat=group)
    assert "lunar" in bot.last()["text"]
    bot_msg = {**bot_message(bot.last()), "chat": group}
    await bot.say("ما عدد الضحايا في غزة؟", chat=group, reply_to=bot_msg)
    assert len(bot.sent("sendMessage")) == 4


async def test_ask_without_question_explains(bot: Bot) -> None:
    await bot.say("/ask", from_user=user(1, "en"))
    # The example is one this library answers, not a fixed one.
    assert "<code>/ask A new lunar mission launches</code>" in bot.last()["text"]


async def test_a_message_without_words_gets_an_example_from_the_library(bot: Bot) -> None:
    await bot.say("😀😀😀", from_user=user(1, "ar"))
    assert "<i>أمطار غزيرة تضرب العاصمة عمّان</i>" in bot.last()["text"]


# --- resilience --------------------------------------------------------------------------------


async def test_flood_from_one_user_does_not_delay_others(bot: Bot) -> None:
    now = [0.0]
    bot.app.bot_data[handlers.THROTTLE] = handlers.Throttle(
        capacity=3, rate=0.5, clock=lambda: now[0]
    )
    for _ in range(10):
        await bot.say("غزة", from_user=user(1, "ar"))
    to_one = [c for c in bot.sent("sendMessage") if c.params["chat_id"] == 1]
    assert len(to_one) == 4  # three answers and one polite "slow down"
    assert "انتظر" in to_one[-1].params["text"]
    await bot.say("غزة", from_user=user(2, "ar"))
    assert bot.last()["chat_id"] == 2
    now[0] += 10  # tokens come back with time
    await bot.say("غزة", from_user=user(1, "ar"))
    assert bot.last()["chat_id"] == 1 and "غزة" in bot.last()["text"]


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


async def test_errors_are_reported_to_user_and_admin_chat(
    make_bot: Callable[..., Any], library: Library
) -> None:
    spy = SpyLibrary(library)

    def broken(*_: Any, **__: Any) -> Any:
        raise ValueError("index <broken>")

    spy.search = broken
    b = await make_bot(lib=spy, ARTICLEBOT_ADMIN_CHAT_ID="-777")
    await b.say("غزة", from_user=user(1, "en"))
    by_chat = {c.params["chat_id"]: c.params["text"] for c in b.sent("sendMessage")}
    assert "went wrong" in by_chat[1]
    assert "ValueError" in by_chat[-777] and "&lt;broken&gt;" in by_chat[-777]
    await b.app.shutdown()


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


def test_bot_id_constant_matches_helpers() -> None:
    assert BOT_USER["id"] == BOT_ID


# --- Telegram refusing or failing calls -------------------------------------------------------


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


async def test_group_chatter_does_not_use_up_the_allowance(people: People, bot: Bot) -> None:
    now = [0.0]
    bot.app.bot_data[handlers.THROTTLE] = handlers.Throttle(
        capacity=2, rate=0.5, clock=lambda: now[0]
    )
    group = group_chat(-20)
    for _ in range(10):  # people talking among themselves (privacy mode off)
        await bot.say("ما عدد الضحايا في غزة؟", chat=group, from_user=user(5, "ar"))
    assert bot.sent("sendMessage") == []
    for _ in range(4):  # then a flood addressed to the bot
        await bot.say("/ask ما عدد الضحايا في غزة؟", chat=group, from_user=user(5, "ar"))
    texts = [c.params["text"] for c in bot.sent("sendMessage")]
    assert len(texts) == 3 and "مئتين" in texts[0] and "مئتين" in texts[1]
    assert "انتظر" in texts[2]  # one polite notice, then silence


async def test_error_report_never_shows_the_token(
    make_bot: Callable[..., Any], library: Library
) -> None:
    spy = SpyLibrary(library)

    def broken(*_: Any, **__: Any) -> Any:
        raise ValueError("GET https://api.telegram.org/bot123:TEST/getMe failed")

    spy.search = broken
    b = await make_bot(lib=spy, ARTICLEBOT_ADMIN_CHAT_ID="-777")
    await b.say("غزة", from_user=user(1, "en"))
    report = next(c.params["text"] for c in b.sent("sendMessage") if c.params["chat_id"] == -777)
    assert "ValueError" in report and "123:TEST" not in report
    await b.app.shutdown()


def test_logs_never_show_the_token() -> None:
    import io
    import logging

    from bot.app import RedactToken

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactToken("123:TEST"))
    log = logging.getLogger("tests.redact")
    log.addHandler(handler)
    try:
        log.warning("calling %s", "https://api.telegram.org/bot123:TEST/getMe")
        try:
            raise RuntimeError("url https://api.telegram.org/bot123:TEST/sendMessage")
        except RuntimeError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
    out = stream.getvalue()
    assert "getMe" in out and "RuntimeError" in out and "<token>" in out
    assert "123:TEST" not in out


# --- /sources and scheduled reloads -------------------------------------------------------------


async def test_sources_lists_origins_for_everyone(bot: Bot) -> None:
    await bot.say("/sources", from_user=user(3, "en"))
    text = _plain(bot.last()["text"])
    assert "Articles: 3 · Sources: 3" in text and "never" not in text
    # Named sources, else the folder the files are in (rain.md has no source).
    for line in ("• Example News: 1 news article · newest 21 May 2021", "• articles: 1 news"):
        assert line in text
    await bot.say("/sources", from_user=user(3, "ar"))
    assert "المصادر: 3" in bot.last()["text"] and "أحدثها 10 يوليو 2021" in bot.last()["text"]


async def test_sources_caps_the_list(bot: Bot, library: Library) -> None:
    from bot.replies import SOURCES_SHOWN
    from knowledge import Article

    library.add_articles(
        Article(f"k{i}", f"t{i}", f"نص المقال رقم {i} عن الأمطار", source=f"S{i:02}")
        for i in range(SOURCES_SHOWN + 5)
    )
    await bot.say("/sources", from_user=user(3, "en"))
    text = _plain(bot.last()["text"])
    assert text.count("• ") == SOURCES_SHOWN and text.endswith("… and 8 more")


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


async def test_scheduled_reload_ingests_changes_and_reports_new_failures_once(
    make_bot: Callable[..., Any], library: Library, sources: Path
) -> None:
    b = await make_bot(ARTICLEBOT_RELOAD_EVERY="0.2s", ARTICLEBOT_ADMIN_CHAT_ID="-777")
    await b.app.start()  # starts the job queue
    try:
        (sources / "mars.md").write_text(MARS, encoding="utf-8")
        await eventually(lambda: library.search("ancient riverbed on Mars", 1).answered)
        assert b.sent("sendMessage") == []  # a reload without failures is only logged
        (sources / "broken.md").write_bytes(b"\x00\x01\x02 binary")
        (sources / "moon.md").unlink()
        reports = await eventually(lambda: b.sent("sendMessage"))
        assert reports[0].params["chat_id"] == -777
        assert "Failed: 1" in reports[0].params["text"] and "broken.md" in reports[0].params["text"]
        await eventually(lambda: library.stats().articles == 3)  # moon.md synced away
        (sources / "broken.json").write_text("{not json", encoding="utf-8")
        await eventually(lambda: len(b.sent("sendMessage")) == 2)
        assert "broken.json" in b.last()["text"]
        for _ in range(2):  # two more runs (last_ingest has whole seconds)...
            before = library.stats().last_ingest
            await eventually(lambda before=before: library.stats().last_ingest != before)
        assert len(b.sent("sendMessage")) == 2  # ...and the same failures are not repeated
    finally:
        await b.app.stop()


async def test_a_scheduled_reload_skips_while_one_runs(
    make_bot: Callable[..., Any], library: Library, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="bot.handlers")
    spy = SpyLibrary(library)
    b = await make_bot(lib=spy, ARTICLEBOT_RELOAD_EVERY="0.2s")
    await b.app.start()
    try:
        admin_reload = asyncio.create_task(b.say("/reload", from_user=user(ADMIN, "en")))
        await asyncio.to_thread(spy.entered.wait, 5)
        await eventually(lambda: "scheduled reload skipped" in caplog.text)
        assert spy.ingests == 1
        spy.release.set()
        await admin_reload
        assert "Reload finished" in b.last()["text"]
        await eventually(lambda: spy.ingests > 1)  # the schedule goes on afterwards
    finally:
        await b.app.stop()


async def test_a_failed_scheduled_reload_reaches_the_admin_chat(
    make_bot: Callable[..., Any], library: Library
) -> None:
    spy = SpyLibrary.failing(library, RuntimeError("disk <full>"))
    b = await make_bot(lib=spy, ARTICLEBOT_RELOAD_EVERY="0.2s", ARTICLEBOT_ADMIN_CHAT_ID="-777")
    await b.app.start()
    try:
        report = (await eventually(lambda: b.sent("sendMessage")))[0].params
        assert report["chat_id"] == -777 and "disk &lt;full&gt;" in report["text"]
        assert library.stats().articles == 3
    finally:
        await b.app.stop()


# --- channel posts ----------------------------------------------------------------------------

POST = (
    "🔴🔴\n"
    "افتتاح محطة لتحلية مياه البحر في العقبة\n"
    "افتتحت الحكومة الأردنية اليوم محطة لتحلية مياه البحر في مدينة العقبة بطاقة خمسين مليون "
    "متر مكعب سنويا.\n"
    "وقال وزير المياه إن المحطة ستخدم سكان الجنوب."
)
DESALINATION = "محطة تحلية مياه البحر في العقبة"


async def test_a_channel_post_becomes_a_searchable_article(
    make_bot: Callable[..., Any], library: Library
) -> None:
    b = await make_bot(ARTICLEBOT_CHANNELS="@News_Channel")
    await b.post(POST, 77)
    hit = library.search(DESALINATION, 1).hits[0]
    assert hit.title == "افتتاح محطة لتحلية مياه البحر في العقبة"
    assert hit.url == "https://t.me/news_channel/77" and hit.source == "Channel News"
    article = library.article(hit.article_id)
    assert article.published == "2023-11-14T22:13:20+00:00"  # the post's date, in UTC
    assert article.text.split("\n\n") == POST.split("\n")[2:]  # one paragraph a line
    assert b.sent("sendMessage") == []  # nothing is posted in the channel
    await b.say("متى افتتحت محطة تحلية المياه في العقبة؟", from_user=user(2, "ar"))
    assert "خمسين مليون" in b.last()["text"] and "https://t.me/news_channel/77" in b.last()["text"]


async def test_an_edited_channel_post_replaces_its_article(
    make_bot: Callable[..., Any], library: Library
) -> None:
    b = await make_bot(ARTICLEBOT_CHANNELS="@news_channel")
    await b.post(POST, 78)
    first = library.search(DESALINATION, 1).hits[0].article_id
    edited = POST.replace("خمسين مليون", "ستين مليون")
    await b.post(edited, 78, edited=True)
    assert library.stats().articles == 4
    article = library.article(first)
    assert "ستين مليون" in article.text and "خمسين" not in article.text


async def test_a_private_channel_by_id_and_a_caption(
    make_bot: Callable[..., Any], library: Library
) -> None:
    b = await make_bot(ARTICLEBOT_CHANNELS="-1009876543210")
    private = channel(-1009876543210, None, "قناة خاصة")
    await b.send(
        update("channel_post", channel_post(POST, chat=private, message_id=5, caption=True))
    )
    await b.posts_stored()
    hit = library.search(DESALINATION, 1).hits[0]
    assert hit.url == "https://t.me/c/9876543210/5" and hit.source == "قناة خاصة"


async def test_other_channels_and_posts_without_text_are_ignored(
    make_bot: Callable[..., Any], library: Library, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG", logger="bot.channels")
    b = await make_bot(ARTICLEBOT_CHANNELS="@news_channel")
    other = channel(-1005555555555, "other_channel", "Other")
    await b.send(update("channel_post", channel_post(POST, chat=other)))
    await b.send(update("channel_post", channel_post(None, caption=True)))  # a bare photo
    await b.send(update("channel_post", channel_post("🔴 ... 🔴")))
    assert len(b.posts) == 0  # nothing was queued
    assert library.stats().articles == 3
    assert not library.search(DESALINATION, 1).answered
    assert "not listed" in caplog.text and caplog.text.count("no text") == 2
    unlisted = await make_bot()  # no ARTICLEBOT_CHANNELS: every channel is ignored
    await unlisted.send(update("channel_post", channel_post(POST)))
    assert library.stats().articles == 3


async def test_new_articles_reach_articles_arrived_from_posts_and_reloads(
    make_bot: Callable[..., Any],
    library: Library,
    sources: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reports = []

    async def spy(context: Any, report: Any) -> None:
        reports.append(report)

    monkeypatch.setattr(handlers, "articles_arrived", spy)
    b = await make_bot(ARTICLEBOT_CHANNELS="@news_channel")
    await b.send(update("channel_post", channel_post(POST)))
    await b.posts_stored()
    (sources / "mars.md").write_text(MARS, encoding="utf-8")
    await b.say("/reload", from_user=user(ADMIN, "en"))
    assert [len(r.added_ids) for r in reports] == [1, 1]
    assert library.article(reports[0].added_ids[0]).source == "Channel News"
    assert library.article(reports[1].added_ids[0]).title.startswith("Rover finds")
    assert library.search(DESALINATION, 1).answered  # a sync leaves channel posts alone


class OtherIngest:
    """What a command-line ingest of the library holds while it runs: its ingest lock."""

    def __init__(self, library: Library) -> None:
        import fcntl

        self.handle = open(library.path.with_name(library.path.name + ".lock"), "a")  # noqa: SIM115
        fcntl.flock(self.handle, fcntl.LOCK_EX)

    def end(self) -> None:
        import fcntl

        fcntl.flock(self.handle, fcntl.LOCK_UN)


@pytest.fixture
def other_ingest(library: Library) -> Any:
    ingest = OtherIngest(library)
    yield ingest
    ingest.handle.close()


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(channels.PostQueue, "backoff", channels.Backoff(0.01, 0.05))


@pytest.fixture
def arrivals(monkeypatch: pytest.MonkeyPatch) -> list:
    """The reports ``handlers.articles_arrived`` is called with."""
    reports = []

    async def spy(context: Any, report: Any) -> None:
        reports.append(report)

    monkeypatch.setattr(handlers, "articles_arrived", spy)
    return reports


async def test_a_post_waits_as_long_as_another_process_ingests(
    make_bot: Callable[..., Any],
    library: Library,
    other_ingest: OtherIngest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waited: list[float] = []
    stored_meanwhile = []

    async def simulated_pause(seconds: float) -> None:
        waited.append(seconds)
        stored_meanwhile.append(library.search(DESALINATION, 1).answered)
        if sum(waited) > 2 * (2 + 10 + 60):  # twice as long as the retries used to last
            other_ingest.end()
        await asyncio.sleep(0)

    monkeypatch.setattr(channels, "pause", simulated_pause)
    b = await make_bot(ARTICLEBOT_CHANNELS="@news_channel")
    await b.send(update("channel_post", channel_post(POST)))
    await b.posts_stored()
    assert library.search(DESALINATION, 1).answered
    assert not any(stored_meanwhile)
    assert waited == sorted(waited) and max(waited) == channels.PostQueue.backoff.most == 30


async def test_an_edit_queued_while_busy_wins_over_its_original(
    make_bot: Callable[..., Any],
    library: Library,
    other_ingest: OtherIngest,
    quick_retries: None,
    arrivals: list,
) -> None:
    b = await make_bot(ARTICLEBOT_CHANNELS="@news_channel")
    edited = POST.replace("خمسين مليون", "ستين مليون")
    await b.send(update("channel_post", channel_post(POST, message_id=80)))
    await b.send(update("edited_channel_post", channel_post(edited, message_id=80, edited=True)))
    await b.send(update("channel_post", channel_post(POST, message_id=80)))  # delivered again
    assert len(b.posts) == 1
    other_ingest.end()
    await b.posts_stored()

    def text() -> str:
        return library.article(library.search(DESALINATION, 1).hits[0].article_id).text

    assert "ستين مليون" in text() and "خمسين" not in text()
    assert [(r.added, r.updated) for r in arrivals] == [(1, 0)]
    # After a restart, the original delivered once more does not undo the edit either.
    restarted = await make_bot(ARTICLEBOT_CHANNELS="@news_channel")
    await restarted.post(POST, 80)
    assert "ستين مليون" in text() and arrivals[-1].outdated == 1


class HeldReload:
    """A real library whose reload holds the write lock (as a long ingest does) until
    released, and which records the size of each batch that ``add_articles`` stored."""

    def __init__(self, library: Library) -> None:
        self._library = library
        self.entered = threading.Event()
        self.release = threading.Event()
        self.stored: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._library, name)

    def ingest(self, paths: Any, sync: bool = False) -> Any:
        return self._library.ingest(paths, sync=sync, progress=self._hold)

    def _hold(self, done: int, total: int) -> None:
        self.entered.set()
        self.release.wait(10)

    def add_articles(self, articles: Any, **kwargs: Any) -> Any:
        articles = list(articles)
        report = self._library.add_articles(articles, **kwargs)
        self.stored.append(len(articles))
        return report


async def test_posts_during_a_reload_are_stored_in_one_batch_and_questions_go_on(
    make_bot: Callable[..., Any],
    library: Library,
    sources: Path,
    quick_retries: None,
    arrivals: list,
) -> None:
    held = HeldReload(library)
    b = await make_bot(lib=held, ARTICLEBOT_CHANNELS="@news_channel")
    (sources / "mars.md").write_text(MARS, encoding="utf-8")
    reload = asyncio.create_task(b.say("/reload", from_user=user(ADMIN, "en")))
    await asyncio.to_thread(held.entered.wait, 5)
    # More posts than the default executor has threads (at most 32).
    for i in range(40):
        post = channel_post(f"{POST}\nالخبر رقم {i}", message_id=100 + i)
        await b.send(update("channel_post", post))
    await b.say("ما عدد الضحايا في غزة؟", from_user=user(2, "ar"))
    assert "مئتين" in b.last()["text"]  # answered while the reload still holds the library
    assert held.stored == [] and len(b.posts) == 40
    held.release.set()
    await reload
    await b.posts_stored()
    assert held.stored == [40]
    assert [len(r.added_ids) for r in arrivals] == [1, 40]  # the reload's mars.md, the posts
    assert library.stats().articles == 3 + 1 + 40


async def test_shutdown_stores_the_queued_posts(
    make_bot: Callable[..., Any],
    library: Library,
    other_ingest: OtherIngest,
    arrivals: list,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="bot.channels")
    monkeypatch.setattr(channels.PostQueue, "backoff", channels.Backoff(3600, 3600))
    b = await make_bot(ARTICLEBOT_CHANNELS="@news_channel")
    await b.send(update("channel_post", channel_post(POST)))
    await eventually(lambda: "1 channel posts wait" in caplog.text)  # now in an hour's pause
    other_ingest.end()
    await asyncio.wait_for(b.app.post_stop(b.app), 10)  # as run_polling does when stopping
    assert library.search(DESALINATION, 1).answered
    assert [len(r.added_ids) for r in arrivals] == [1]


async def test_posts_that_cannot_be_stored_at_shutdown_are_logged(
    make_bot: Callable[..., Any],
    library: Library,
    other_ingest: OtherIngest,
    quick_retries: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    b = await make_bot(ARTICLEBOT_CHANNELS="@news_channel")
    await b.send(update("channel_post", channel_post(POST, message_id=81)))
    await b.send(update("channel_post", channel_post("خبر آخر عن الطقس", message_id=82)))
    await asyncio.wait_for(b.app.post_stop(b.app), 10)  # the other ingest still runs
    lost = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(lost) == 2
    assert "telegram:-1001234567890:81 «افتتاح محطة" in lost[0]
    assert "telegram:-1001234567890:82 «خبر آخر عن الطقس»" in lost[1]
    assert library.stats().articles == 3


class SlowAttempt:
    """A real library whose first ``add_articles`` call waits until ``go`` is set."""

    def __init__(self, library: Library) -> None:
        self._library = library
        self.entered, self.go = threading.Event(), threading.Event()
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._library, name)

    def add_articles(self, articles: Any, **kwargs: Any) -> Any:
        self.calls += 1
        self.entered.set()
        self.go.wait(10)
        return self._library.add_articles(articles, **kwargs)


async def test_shutdown_during_an_attempt_waits_for_it_but_not_for_a_pause(
    make_bot: Callable[..., Any],
    library: Library,
    other_ingest: OtherIngest,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(channels.PostQueue, "backoff", channels.Backoff(3600, 3600))
    slow = SlowAttempt(library)
    b = await make_bot(lib=slow, ARTICLEBOT_CHANNELS="@news_channel")
    await b.send(update("channel_post", channel_post(POST, message_id=85)))
    await asyncio.to_thread(slow.entered.wait, 5)
    stopping = asyncio.create_task(b.app.post_stop(b.app))
    await asyncio.sleep(0)  # the shutdown now waits for the attempt
    assert not stopping.done()
    slow.go.set()  # the attempt finds the library busy: no pause of an hour follows
    await asyncio.wait_for(stopping, 10)
    assert slow.calls == 2  # the attempt, and the one more at shutdown
    assert "not stored at shutdown: telegram:-1001234567890:85" in caplog.text


class BadPosts:
    """A real library that fails (as a bug would) to store any batch holding a post with
    ``bad`` in its text."""

    def __init__(self, library: Library, bad: str) -> None:
        self._library, self.bad = library, bad
        self.tries: list[list[str]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._library, name)

    def add_articles(self, articles: Any, **kwargs: Any) -> Any:
        articles = list(articles)
        self.tries.append([a.key for a in articles])
        if any(self.bad in a.text for a in articles):
            raise RuntimeError("a bug")
        return self._library.add_articles(articles, **kwargs)


async def test_a_post_that_keeps_failing_is_dropped_without_holding_up_the_others(
    make_bot: Callable[..., Any],
    library: Library,
    other_ingest: OtherIngest,
    quick_retries: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bad = BadPosts(library, "مستحيل")
    b = await make_bot(lib=bad, ARTICLEBOT_CHANNELS="@news_channel")
    await b.send(update("channel_post", channel_post("خبر\nنص مستحيل التخزين", message_id=83)))
    await b.send(update("channel_post", channel_post(POST, message_id=84)))
    other_ingest.end()
    await b.posts_stored()
    assert library.search(DESALINATION, 1).answered
    assert library.stats().articles == 4
    bad_key, good_key = "telegram:-1001234567890:83", "telegram:-1001234567890:84"
    # Together once; then one at a time, the good one as soon as the bad one failed alone.
    assert bad.tries == [[bad_key, good_key], [bad_key], [good_key]] + [[bad_key]] * 3
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert f"{bad_key} «خبر نص مستحيل التخزين»; {good_key} «افتتاح" in errors[0]
    assert errors[-1].startswith("channel post dropped after 5 failures: " + bad_key)
    assert len(errors) == channels.PostQueue.attempts + 1


class FlakyLibrary(BadPosts):
    """A real library whose disk is full for the first ``times`` batches."""

    def __init__(self, library: Library, times: int) -> None:
        super().__init__(library, bad="")
        self.times = times

    def add_articles(self, articles: Any, **kwargs: Any) -> Any:
        articles = list(articles)
        self.tries.append([a.key for a in articles])
        if len(self.tries) <= self.times:
            raise sqlite3.OperationalError("database or disk is full")
        return self._library.add_articles(articles, **kwargs)


async def test_a_full_disk_makes_posts_wait_not_drop(
    make_bot: Callable[..., Any], library: Library, quick_retries: None
) -> None:
    flaky = FlakyLibrary(library, times=3 * channels.PostQueue.attempts)
    b = await make_bot(lib=flaky, ARTICLEBOT_CHANNELS="@news_channel")
    await b.post(POST, 85)
    assert len(flaky.tries) == 3 * channels.PostQueue.attempts + 1
    assert library.search(DESALINATION, 1).answered


async def test_the_queue_outlives_a_failure_after_storing(
    make_bot: Callable[..., Any], library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    async def arrived_then_fail(context: Any, report: Any) -> None:
        calls.append(report.added_ids)
        if len(calls) == 1:
            raise RuntimeError("a bug after storing")

    monkeypatch.setattr(handlers, "articles_arrived", arrived_then_fail)
    b = await make_bot(ARTICLEBOT_CHANNELS="@news_channel")
    await b.post(POST, 86)
    later = POST.replace("العقبة", "أيلة")
    await b.post(later, 87)
    assert len(calls) == 2 and library.stats().articles == 5


# --- inline mode ------------------------------------------------------------------------------


async def ask_inline(bot: Bot, query: str, offset: str = "", **kwargs: Any) -> dict:
    """The parameters of the bot's answer to an inline query."""
    bot.clear()
    await bot.send(inline_query(query, offset, **kwargs))
    answers = bot.sent("answerInlineQuery")
    assert len(answers) == 1
    return answers[0].params


def check_results(params: dict, library: Library) -> None:
    """Valid results: one per article, each message valid HTML quoting only the library."""
    from bot.replies import visible_text

    results = params["results"]
    assert len({r["id"] for r in results}) == len(results) <= 50
    for r in results:
        assert r["type"] == "article" and r["title"] and r["description"]
        content = r["input_message_content"]
        assert content["parse_mode"] == "HTML"
        assert_telegram_html(content["message_text"])
        quote = content["message_text"].split("<blockquote>")[1].split("</blockquote>")[0]
        quoted = re.sub("[\u200f\u2068\u2069]", "", visible_text(quote)).rstrip("…")
        assert quoted in library.article(int(r["id"])).text


@pytest.fixture
def many(library: Library) -> list[int]:
    """25 more articles about the truce in Gaza, for paging."""
    from knowledge import Article

    report = library.add_articles(
        Article(
            f"truce-{i}",
            f"تقرير رقم {i} عن الهدنة",
            f"صمدت الهدنة في غزة لليوم رقم {i} على التوالي بحسب الوسطاء في القاهرة.",
            published=f"2020-01-{i + 1:02}",
        )
        for i in range(25)
    )
    return report.added_ids


async def test_inline_question_pages_through_articles(
    bot: Bot, library: Library, many: list[int]
) -> None:
    seen: list[str] = []
    offset = ""
    for expected in (10, 10, 6):  # the 25 reports and the Gaza article
        params = await ask_inline(bot, "الهدنة في غزة", offset, from_user=user(4, "ar"))
        check_results(params, library)
        assert len(params["results"]) == expected
        assert params["is_personal"] is False and params["cache_time"] == 30
        seen += [r["id"] for r in params["results"]]
        offset = params["next_offset"]
        assert offset == (str(len(seen)) if expected == 10 else "")
    assert len(set(seen)) == 26 and set(map(int, seen)) >= set(many)


async def test_inline_results_are_one_per_article_with_its_best_passage(
    bot: Bot, library: Library
) -> None:
    query = "غزة الهدنة وقف إطلاق النار الضحايا"
    assert len({h.article_id for h in library.search(query, k=10).hits}) < len(
        library.search(query, k=10).hits
    )  # the Gaza article has several matching passages...
    params = await ask_inline(bot, query)
    check_results(params, library)  # ...and one result
    first = params["results"][0]
    gaza = library.search(query, k=1).hits[0]
    assert (
        first["id"] == str(gaza.article_id) and first["url"] == "https://example.com/gaza?a=1&b=2"
    )
    assert first["description"] in gaza.best_sentence or first["description"].endswith("…")
    message = first["input_message_content"]["message_text"]
    assert 'href="https://example.com/gaza?a=1&amp;b=2"' in message and "🔎" in message


async def test_an_empty_inline_query_lists_the_newest_articles(bot: Bot, library: Library) -> None:
    params = await ask_inline(bot, "  ", from_user=user(4, "en"))
    check_results(params, library)
    assert [r["title"] for r in params["results"]] == [a.title for a in library.latest(3)]
    assert params["next_offset"] == ""
    assert params["results"][0]["description"].startswith("10 July 2021 · Space Desk: The space")
    assert params["is_personal"] is True  # its labels are in the asker's language
    arabic = await ask_inline(bot, "", from_user=user(5, "ar"))
    assert arabic["results"][0]["description"].startswith("10 يوليو 2021")


async def test_inline_labels_follow_the_question_not_the_asker(bot: Bot) -> None:
    # Telegram reuses a non-personal answer for whoever types the same query next.
    english = await ask_inline(bot, "ما الطقس في لندن؟", from_user=user(4, "en"))
    arabic = await ask_inline(bot, "ما الطقس في لندن؟", from_user=user(5, "ar"))
    english.pop("inline_query_id"), arabic.pop("inline_query_id")
    assert english == arabic and "لا إجابة" in english["button"]["text"]
    assert english["is_personal"] is False


async def test_newest_articles_page_inline(bot: Bot, library: Library, many: list[int]) -> None:
    first = await ask_inline(bot, "")
    second = await ask_inline(bot, "", first["next_offset"])
    assert first["next_offset"] == "10" and second["next_offset"] == "20"
    ids = [r["id"] for r in first["results"] + second["results"]]
    assert ids == [str(a.id) for a in library.latest(20)]


async def test_an_unanswered_inline_question_offers_the_bot(bot: Bot) -> None:
    params = await ask_inline(bot, "what's the weather in London?", from_user=user(4, "en"))
    assert params["results"] == [] and params["next_offset"] == ""
    assert params["button"] == {
        "text": "🤔 No answer in the library · open the bot",
        "start_parameter": "inline",
    }
    params = await ask_inline(bot, "ما الطقس في لندن؟", from_user=user(4, "en"))
    assert "لا إجابة" in params["button"]["text"]
    await bot.say("/start inline", from_user=user(4, "en"))  # the button opens the bot
    assert "Hello" in bot.last()["text"]


async def test_a_bad_or_past_the_end_offset(bot: Bot) -> None:
    assert (await ask_inline(bot, "غزة", "zzz"))["results"]  # read as the first page
    assert (await ask_inline(bot, "غزة", "50"))["results"] == []


async def test_inline_floods_have_their_own_allowance(bot: Bot) -> None:
    now = [0.0]
    bot.app.bot_data[handlers.THROTTLE] = handlers.Throttle(capacity=1, clock=lambda: now[0])
    bot.app.bot_data[handlers.INLINE_THROTTLE] = handlers.Throttle(capacity=3, clock=lambda: now[0])
    await bot.say("غزة", from_user=user(6, "ar"))  # the chat allowance is used up
    answers = [await ask_inline(bot, "غزة", from_user=user(6, "ar")) for _ in range(4)]
    assert [bool(a["results"]) for a in answers] == [True, True, True, False]
    assert answers[-1]["is_personal"] is True and answers[-1]["cache_time"] == 0


async def test_an_expired_inline_query_is_not_an_error(make_bot: Callable[..., Any]) -> None:
    b = await make_bot(
        refuse("answerInlineQuery", "Bad Request: query is too old and response timeout expired"),
        ARTICLEBOT_ADMIN_CHAT_ID="-777",
    )
    await b.send(inline_query("غزة"))
    assert len(b.sent("answerInlineQuery")) == 1 and b.sent("sendMessage") == []


# --- follows and alerts --------------------------------------------------------------------------

NEW_GAZA = """---
title: "الوسطاء: الهدنة في غزة صامدة"
date: 2021-05-25
lang: ar
---
أكد الوسطاء المصريون أن الهدنة في غزة صامدة وأن المفاوضات ستستمر في القاهرة الأسبوع المقبل.
"""


async def test_follow_commands(people: People, bot: Bot, library: Library) -> None:
    bot.app.bot_data[handlers.THROTTLE] = None  # one user sends many commands here
    ar = user(1, "ar")
    await bot.say("/follow", from_user=ar)
    assert "<code>/follow غزة</code>" in bot.last()["text"]
    await bot.say("/follow غزة", from_user=ar)
    assert "تتابع الآن <b>غزة</b>" in bot.last()["text"]
    await bot.say("/follow غزة", from_user=ar)
    assert "بالفعل" in bot.last()["text"]
    await bot.say("/follow من في على", from_user=ar)
    assert "شائعة" in bot.last()["text"]
    await bot.say("/follow Lunar mission", from_user=user(1, "en"))
    assert [f.phrase for f in people.follows(1)] == ["غزة", "Lunar mission"]
    assert people.follows(1)[1].lang == "en"
    await bot.say("/following", from_user=user(1, "en"))
    listing = bot.last()
    ids = [f"u|{f.id}" for f in people.follows(1)]
    assert buttons(listing) == ids and "Lunar mission" in listing["text"]
    await bot.say("/unfollow", from_user=user(1, "en"))  # no words: the list to pick from
    assert buttons(bot.last()) == ids
    await bot.say("/unfollow storms", from_user=user(1, "en"))
    assert "don't follow <b>storms</b>" in bot.last()["text"] and buttons(bot.last()) == ids
    await bot.say("/unfollow lunar MISSION", from_user=user(1, "en"))
    assert "no longer follow <b>Lunar mission</b>" in bot.last()["text"]
    await bot.say("/unfollow all", from_user=user(1, "en"))
    assert "1 removed" in bot.last()["text"] and people.follows(1) == []
    await bot.say("/following", from_user=user(1, "en"))
    assert "follow nothing yet" in bot.last()["text"] and buttons(bot.last()) == []


async def test_follow_limit_is_explained(people: People, bot: Bot, library: Library) -> None:
    from bot.people import MAX_FOLLOWS

    for i in range(MAX_FOLLOWS):
        people.follow(1, f"topic{i}")
    await bot.say("/follow one more", from_user=user(1, "en"))
    assert f"You follow {MAX_FOLLOWS} phrases" in bot.last()["text"]
    await bot.say("/follow " + "x" * 200, from_user=user(2, "en"))
    assert "too long" in bot.last()["text"] and people.follows(2) == []


async def test_a_group_follows_for_the_group(people: People, bot: Bot, library: Library) -> None:
    group = group_chat(-30)
    await bot.say(f"/follow@{BOT_USERNAME} غزة", chat=group, from_user=user(5, "ar"))
    assert [f.phrase for f in people.follows(-30)] == ["غزة"] and people.follows(5) == []
    assert bot.last()["chat_id"] == -30


async def test_unfollow_button_edits_the_list(people: People, bot: Bot, library: Library) -> None:
    people.follow(1, "غزة", "en")
    people.follow(1, "lunar", "en")
    await bot.say("/following", from_user=user(1, "en"))
    listing = bot.last()
    gaza = people.follows(1)[0]
    bot.clear()
    await bot.send(callback(f"u|{gaza.id}", bot_message(listing)))
    assert "no longer follow" in bot.sent("answerCallbackQuery")[0].params["text"]
    edited = bot.sent("editMessageText")[0].params
    assert buttons(edited) == [f"u|{people.follows(1)[0].id}"] and "lunar" in edited["text"]
    bot.clear()
    await bot.send(callback(f"u|{gaza.id}", bot_message(listing)))  # pressed again: gone
    assert len(bot.sent("answerCallbackQuery")) == 1
    assert [f.phrase for f in people.follows(1)] == ["lunar"]
    assert buttons(bot.sent("editMessageText")[0].params) == [f"u|{people.follows(1)[0].id}"]


async def admin_reload(bot: Bot) -> None:
    """An admin's /reload, and the alerts it asked for."""
    await bot.say("/reload", from_user=user(ADMIN, "en"), chat={"id": ADMIN, "type": "private"})
    await bot.alerts_sent()


async def test_an_admin_reload_alerts_the_followers_of_new_articles(
    people: People, bot: Bot, library: Library, sources: Path
) -> None:
    people.follow(1, "غزة", "ar")
    people.follow(2, "lunar", "en")  # matches an old article only
    (sources / "truce.md").write_text(NEW_GAZA, encoding="utf-8")
    await admin_reload(bot)
    by_chat: dict[int, list[dict]] = {}
    for call in bot.sent("sendMessage"):
        by_chat.setdefault(call.params["chat_id"], []).append(call.params)
    assert "Reload finished" in by_chat[ADMIN][-1]["text"]
    (alert,) = by_chat[1]
    assert "مقالات جديدة" in alert["text"] and "الهدنة في غزة صامدة" in alert["text"]
    assert "وقف إطلاق النار في غزة بعد" not in alert["text"]  # the old article is not news
    new_id = next(a.id for a in library.latest(10) if a.title.startswith("الوسطاء"))
    assert buttons(alert) == [f"a|{new_id}"]
    assert 2 not in by_chat
    bot.clear()
    await admin_reload(bot)  # nothing new: nothing sent again
    assert {c.params["chat_id"] for c in bot.sent("sendMessage")} == {ADMIN}


async def test_a_chat_that_blocked_the_bot_loses_its_follows(
    people: People, make_bot: Callable[..., Any], library: Library, sources: Path
) -> None:
    def responder(method: str, params: dict) -> dict | None:
        if method == "sendMessage" and int(params["chat_id"]) == 1:
            return {
                "ok": False,
                "error_code": 403,
                "description": "Forbidden: bot was blocked by the user",
            }
        return None

    b = await make_bot(responder)
    people.follow(1, "غزة", "ar")
    people.follow(3, "الوسطاء", "ar")
    (sources / "truce.md").write_text(NEW_GAZA, encoding="utf-8")
    await admin_reload(b)
    assert people.follows(1) == []
    assert [f.phrase for f in people.follows(3)] == ["الوسطاء"]
    sent = [(c.params["chat_id"], c.params["text"]) for c in b.sent("sendMessage")]
    assert "Reload finished" in [text for chat, text in sent if chat == ADMIN][-1]
    assert [chat for chat, _ in sent if chat != ADMIN] == [1, 3]  # tried 1, went on to 3
    await b.app.shutdown()


async def test_a_failed_reload_sends_no_alerts(
    people: People, make_bot: Callable[..., Any], library: Library, sources: Path
) -> None:
    spy = SpyLibrary.failing(library, RuntimeError("disk full"))
    b = await make_bot(lib=spy)
    people.follow(1, "غزة", "ar")
    (sources / "truce.md").write_text(NEW_GAZA, encoding="utf-8")
    await admin_reload(b)
    assert "disk full" in b.last()["text"]
    assert {c.params["chat_id"] for c in b.sent("sendMessage")} == {ADMIN}
    spy.fail = None
    await admin_reload(b)  # the next one stores the article: now it is news
    (alert,) = [c.params for c in b.sent("sendMessage") if c.params["chat_id"] == 1]
    assert "الهدنة في غزة صامدة" in alert["text"]
    await b.app.shutdown()


def refuse_reload_report(kind: str) -> Callable[[str, dict], dict | None]:
    """A Bot API that cannot deliver the report of a reload to the admin: blocked, refused,
    or out of reach."""
    from telegram.error import NetworkError

    def responder(method: str, params: dict) -> dict | None:
        if method != "sendMessage" or "Reload finished" not in params.get("text", ""):
            return None
        if kind == "network":
            raise NetworkError("connection reset")
        if kind == "blocked":
            return {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked"}
        return {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}

    return responder


@pytest.mark.parametrize("kind", ["blocked", "refused", "network"])
async def test_alerts_go_out_when_the_reload_report_cannot(
    people: People,
    make_bot: Callable[..., Any],
    library: Library,
    sources: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    kind: str,
) -> None:
    from bot import messaging

    monkeypatch.setattr(messaging, "RETRY_DELAYS", (0.0, 0.0))
    b = await make_bot(refuse_reload_report(kind))
    people.follow(1, "غزة", "ar")
    (sources / "truce.md").write_text(NEW_GAZA, encoding="utf-8")
    await admin_reload(b)
    tried = [c.params["text"] for c in b.sent("sendMessage") if c.params["chat_id"] == ADMIN]
    assert any("Reload finished" in text for text in tried)
    (alert,) = [c.params for c in b.sent("sendMessage") if c.params["chat_id"] == 1]
    assert "الهدنة في غزة صامدة" in alert["text"]
    assert "error while handling an update" in caplog.text  # the failure is still reported
    await admin_reload(b)
    assert len([c for c in b.sent("sendMessage") if c.params["chat_id"] == 1]) == 1
    await b.app.shutdown()


@pytest.fixture
def rounds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the rounds of alerts (each call of ``send_alerts``), and the alerts each sent."""
    from bot import alerts

    counted: list[int] = []
    real = alerts.send_alerts

    async def counting(context: Any, library: Any, people: Any) -> int:
        counted.append(await real(context, library, people))
        return counted[-1]

    monkeypatch.setattr(alerts, "send_alerts", counting)
    return counted


async def test_alerts_held_up_by_a_restart_go_out_at_start_up(
    people: People, make_bot: Callable[..., Any], library: Library, rounds: list[int]
) -> None:
    people.follow(1, "غزة", "ar")
    # Stored by a bot that stopped before sending its alerts.
    library.add_articles([Article("truce", "الوسطاء: الهدنة في غزة صامدة", "الهدنة صامدة.")])
    b = await make_bot()
    await b.app.start()
    try:
        alert = (await eventually(lambda: b.sent("sendMessage")))[0].params
        assert alert["chat_id"] == 1 and "الهدنة في غزة صامدة" in alert["text"]
    finally:
        await b.app.stop()
    with Library.open(library.path) as reopened:
        restarted = await make_bot(lib=reopened)
        await restarted.app.start()
        try:
            await eventually(lambda: len(rounds) == 2)  # its start-up round
        finally:
            await restarted.app.stop()
    assert rounds == [1, 0] and restarted.sent("sendMessage") == []


async def test_a_command_line_ingest_is_announced(
    people: People,
    make_bot: Callable[..., Any],
    library: Library,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rounds: list[int],
) -> None:
    import subprocess
    import sys

    from bot import app as app_module

    monkeypatch.setattr(app_module, "ALERTS_CHECK_SECONDS", 0.2)
    people.follow(1, "غزة", "ar")
    b = await make_bot()
    await b.app.start()
    try:
        await eventually(lambda: rounds)
        assert b.sent("sendMessage") == []  # nothing new yet
        (tmp_path / "more").mkdir()
        (tmp_path / "more" / "truce.md").write_text(NEW_GAZA, encoding="utf-8")
        command = [sys.executable, "-m", "bot", "ingest", "--db", str(library.path)]
        ingest = await asyncio.to_thread(
            subprocess.run, [*command, str(tmp_path / "more")], capture_output=True, text=True
        )
        assert ingest.returncode == 0, ingest.stderr
        alert = (await eventually(lambda: b.sent("sendMessage")))[0].params
        assert alert["chat_id"] == 1 and "الهدنة في غزة صامدة" in alert["text"]
        seen = len(rounds)
        await eventually(lambda: len(rounds) >= seen + 2)  # the check goes on...
    finally:
        await b.app.stop()
    assert len(b.sent("sendMessage")) == 1  # ...and sends nothing twice


async def test_alerts_that_find_the_library_busy_go_out_next_round(
    people: People, make_bot: Callable[..., Any], library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    from telegram.ext import CallbackContext

    from bot.people import facade
    from tests.test_follows import ingest_writing

    monkeypatch.setattr(facade, "USER_WRITE_SECONDS", 0.05)
    people.follow(1, "غزة", "ar")
    people.follow(2, "الوسطاء", "en")
    library.add_articles([Article("truce", "الوسطاء: الهدنة في غزة صامدة", "الهدنة صامدة.")])
    b = await make_bot()
    context = CallbackContext(b.app)
    with ingest_writing(library.path):  # longer than a follower's write waits
        await handlers.send_due_alerts(context)
    assert b.sent("sendMessage") == []
    await handlers.send_due_alerts(context)
    assert sorted(c.params["chat_id"] for c in b.sent("sendMessage")) == [1, 2]
    await handlers.send_due_alerts(context)
    assert len(b.sent("sendMessage")) == 2


class BusyMarks:
    """Real people's state, too busy to record alerts while ``busy`` is set; counts the
    attempts."""

    def __init__(self, people: People) -> None:
        self._people = people
        self.busy = True
        self.marks = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._people, name)

    def mark_sent(self, plan: Any) -> Any:
        from knowledge import LibraryBusy

        self.marks += 1
        if self.busy:
            raise LibraryBusy("the library is being updated")
        return self._people.mark_sent(plan)


async def test_an_alert_round_stops_at_the_first_chat_it_cannot_record(
    people: People, make_bot: Callable[..., Any], library: Library
) -> None:
    from telegram.ext import CallbackContext

    for chat in (1, 2, 3):
        people.follow(chat, "غزة", "ar")
    library.add_articles([Article("truce", "الوسطاء: الهدنة في غزة صامدة", "الهدنة صامدة.")])
    spy = BusyMarks(people)
    b = await make_bot(people=spy)
    context = CallbackContext(b.app)
    await handlers.send_due_alerts(context)
    assert spy.marks == 1 and b.sent("sendMessage") == []  # not 3 waits of 5 s
    assert people.due_alerts(library).through is not None  # the mark stayed
    spy.busy = False
    await handlers.send_due_alerts(context)
    assert sorted(c.params["chat_id"] for c in b.sent("sendMessage")) == [1, 2, 3]
    assert people.due_alerts(library).through is None


async def test_channel_posts_and_reloads_do_not_wait_for_an_alert_round(
    people: People, make_bot: Callable[..., Any], library: Library, sources: Path
) -> None:
    people.follow(5, "محطة العقبة", "ar")
    people.follow(6, "الهدنة", "ar")
    b = await make_bot(ARTICLEBOT_CHANNELS="@news_channel")
    round_running = b.app.bot_data[handlers.ALERTS_LOCK]
    async with round_running:  # a long round (many chats, a slow network)
        await b.send(update("channel_post", channel_post(POST, message_id=90)))
        await asyncio.wait_for(b.posts.join(), 10)
        (sources / "truce.md").write_text(NEW_GAZA, encoding="utf-8")
        await asyncio.wait_for(
            b.say("/reload", from_user=user(ADMIN, "en"), chat={"id": ADMIN, "type": "private"}),
            10,
        )
        assert "Reload finished" in b.last()["text"]
        assert {c.params["chat_id"] for c in b.sent("sendMessage")} == {ADMIN}
    await b.alerts_sent()
    alerted = sorted(c.params["chat_id"] for c in b.sent("sendMessage"))
    assert alerted.count(5) == 1 and alerted.count(6) == 1


MIGRATED = -1001234


@pytest.mark.parametrize("notice_in", ["old group", "new supergroup"])
async def test_a_group_that_became_a_supergroup_keeps_its_follows(
    people: People, bot: Bot, library: Library, notice_in: str
) -> None:
    people.follow(-30, "غزة", "ar")
    people.follow(-30, "الهدنة", "ar")
    supergroup = {"id": MIGRATED, "type": "supergroup", "title": "Group"}
    if notice_in == "old group":
        notice = message(None, chat=group_chat(-30), extra={"migrate_to_chat_id": MIGRATED})
    else:
        notice = message(None, chat=supergroup, extra={"migrate_from_chat_id": -30})
    await bot.send(update("message", notice))
    assert people.follows(-30) == []
    await bot.say(f"/following@{BOT_USERNAME}", chat=supergroup, from_user=user(5, "ar"))
    listing = bot.last()
    assert listing["chat_id"] == MIGRATED
    assert buttons(listing) == [f"u|{f.id}" for f in people.follows(MIGRATED)]
    assert len(buttons(listing)) == 2
    await bot.say(f"/unfollow@{BOT_USERNAME} الكل", chat=supergroup, from_user=user(5, "ar"))
    assert people.follows(MIGRATED) == []


async def test_alerts_to_a_migrated_group_move_its_follows(
    people: People, make_bot: Callable[..., Any], library: Library, sources: Path
) -> None:
    def responder(method: str, params: dict) -> dict | None:
        if method == "sendMessage" and int(params["chat_id"]) == -30:
            return {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: group chat was upgraded to a supergroup chat",
                "parameters": {"migrate_to_chat_id": MIGRATED},
            }
        return None

    b = await make_bot(responder)
    people.follow(-30, "غزة", "ar")
    (sources / "truce.md").write_text(NEW_GAZA, encoding="utf-8")
    await admin_reload(b)
    alert = b.sent("sendMessage")[-1].params
    assert alert["chat_id"] == MIGRATED and "الهدنة في غزة صامدة" in alert["text"]
    assert people.follows(-30) == [] and [f.phrase for f in people.follows(MIGRATED)] == ["غزة"]
    await b.app.shutdown()


# --- feedback ------------------------------------------------------------------------------------


def votes_of(params: dict) -> list[tuple[str, str]]:
    markup = params.get("reply_markup") or {}
    return [
        (b["text"], b["callback_data"])
        for row in markup.get("inline_keyboard", [])
        for b in row
        if b.get("callback_data", "").startswith("f|")
    ]


async def test_feedback_buttons_store_votes_and_show_counts(
    people: People, bot: Bot, library: Library
) -> None:
    question, answer = await ask_and_get_answer(bot, "ما عدد الضحايا في غزة؟")
    (up_label, up), (down_label, down) = votes_of(answer)
    assert (up_label, down_label) == ("👍", "👎")
    _, question_id, _, *shown = up.split("|")
    expected = [h.passage_id for h in library.search("ما عدد الضحايا في غزة؟", k=3).hits]
    assert [int(x) for x in shown] == expected
    assert up == f"f|{question_id}|1|{'|'.join(shown)}"
    assert down == f"f|{question_id}|0|{'|'.join(shown)}"
    msg = bot_message(answer, reply_to=question)
    bot.clear()
    await bot.send(callback(down, msg, from_user=user(1, "ar")))
    assert "شكرًا" in bot.sent("answerCallbackQuery")[0].params["text"]
    markup = bot.sent("editMessageReplyMarkup")[0].params["reply_markup"]
    labels = [b["text"] for row in markup["inline_keyboard"] for b in row]
    assert "👍" in labels and "👎 1" in labels
    assert any(x.startswith("a|") for x in buttons({"reply_markup": markup}))  # kept
    assert bot.sent("editMessageText", "sendMessage") == []  # the answer itself stays
    await bot.send(callback(up, msg, from_user=user(1, "ar")))  # changed
    await bot.send(callback(up, msg, from_user=user(2, "ar")))  # another voter
    assert people.votes(int(question_id)).helpful == 2
    assert people.votes(int(question_id)).unhelpful == 0


async def test_unhelpful_passages_and_the_rate_reach_stats(bot: Bot, library: Library) -> None:
    question, answer = await ask_and_get_answer(bot, "ما عدد الضحايا في غزة؟")
    (_, up), (_, down) = votes_of(answer)
    msg = bot_message(answer, reply_to=question)
    await bot.send(callback(down, msg, from_user=user(1, "en")))
    await bot.send(callback(up, msg, from_user=user(2, "en")))
    await bot.say("/stats", from_user=user(ADMIN, "en"))
    text = bot.last()["text"]
    assert "Votes: 2 · Helpful: 1 (50%)" in text
    assert "marked unhelpful" in text and "وقف إطلاق النار في غزة" in text and "(×1)" in text


async def test_more_results_keep_the_feedback_of_the_same_question(bot: Bot) -> None:
    question, answer = await ask_and_get_answer(bot, "غزة الهدنة وقف إطلاق النار الضحايا")
    (_, first_up), _ = votes_of(answer)
    bot.clear()
    await bot.send(callback("m|1", bot_message(answer, reply_to=question)))
    page = bot.sent("editMessageText")[0].params
    (_, up), _ = votes_of(page)
    assert up.split("|")[1] == first_up.split("|")[1]  # the same question
    assert up.split("|")[3:] != first_up.split("|")[3:]  # the passages of this page


async def test_no_feedback_buttons_without_an_answer(bot: Bot) -> None:
    await bot.say("what's the weather in London?")
    assert votes_of(bot.last()) == []


async def test_a_vote_for_an_unknown_question_is_expired(bot: Bot) -> None:
    msg = bot_message({"chat_id": 1, "text": "🔎 x"})
    await bot.send(callback("f|999999|1|1", msg))
    answers = bot.sent("answerCallbackQuery")
    assert len(answers) == 1 and "expired" in answers[0].params["text"]
    assert bot.sent("editMessageReplyMarkup") == []


async def test_a_channel_post_alerts_the_followers_of_its_words(
    people: People, make_bot: Callable[..., Any], library: Library
) -> None:
    people.follow(5, "محطة العقبة", "ar")
    b = await make_bot(ARTICLEBOT_CHANNELS="@news_channel")
    await b.post(POST, 90)
    (alert,) = [c.params for c in b.sent("sendMessage") if c.params["chat_id"] == 5]
    assert "افتتاح محطة لتحلية مياه البحر في العقبة" in alert["text"]
    edited = POST.replace("خمسين مليون", "ستين مليون")
    await b.post(edited, 90, edited=True)
    assert len([c for c in b.sent("sendMessage") if c.params["chat_id"] == 5]) == 1


async def test_a_scheduled_reload_alerts_the_followers(
    people: People, make_bot: Callable[..., Any], library: Library, sources: Path
) -> None:
    people.follow(6, "الهدنة", "ar")
    b = await make_bot(ARTICLEBOT_RELOAD_EVERY="0.2s")
    (sources / "truce.md").write_text(NEW_GAZA, encoding="utf-8")
    await b.app.start()
    try:
        alert = (await eventually(lambda: [c for c in b.sent("sendMessage")]))[0].params
        assert alert["chat_id"] == 6 and "الهدنة في غزة صامدة" in alert["text"]
    finally:
        await b.app.stop()
