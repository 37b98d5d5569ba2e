"""The bot on a read-only library (a folder baked into an image): ``articlebot chat`` and the
Telegram bot start and answer; what they would store (a vote, a setting, /forget, a follow)
is refused with a polite note in the user's language, and the file is never written (the
``read_only`` fixture compares the folder after)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.app import build_application
from bot.chat import chat
from bot.config import Settings
from bot.people import People, PeopleReadOnly
from knowledge import Library, LibraryBusy
from knowledge.errors import ReadOnlyLibrary
from tests.bot.helpers import Bot, bot_message, buttons
from tests.telegram_helpers import callback, make_recording_request, user

from .test_read_only import QUESTION, read_only  # noqa: F401 (the fixture)


def test_people_read_a_read_only_library_and_refuse_writes(read_only: Path) -> None:  # noqa: F811
    with People(read_only) as people:
        assert people.read_only
        assert people.follows(1) == [] and people.language(1) is None
        assert people.previews(1) is None
        assert people.record_question(QUESTION, True, 1) is None  # not logged, no error
        for write in (
            lambda: people.follow(1, "غزة"),
            lambda: people.set_language(1, "ar"),
            lambda: people.set_previews(1, False),
            lambda: people.forget(1, 1),
            lambda: people.record_feedback(1, 1, True, [1]),
        ):
            with pytest.raises(PeopleReadOnly) as refused:
                write()
            assert isinstance(refused.value, ReadOnlyLibrary)
            assert isinstance(refused.value, LibraryBusy)  # (handlers refuse it politely)


def test_people_keep_what_a_read_only_library_holds(tmp_path: Path) -> None:
    path = tmp_path / "lib.db"
    Library.open(path, embedder=None).close()
    with People(path) as people:
        people.set_language(7, "ar")
        people.follow(7, "غزة")
    with People(path, read_only=True) as people:
        assert people.language(7) == "ar" and [f.phrase for f in people.follows(7)] == ["غزة"]
        with pytest.raises(PeopleReadOnly):
            people.set_language(7, "en")
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT lang FROM languages").fetchall() == [("ar",)]


def test_chat_answers_from_a_read_only_library(read_only: Path) -> None:  # noqa: F811
    lines = [QUESTION, "/language ar", "/privacy", "quit"]
    result = CliRunner().invoke(
        chat, ["--db", str(read_only), "--lang", "en"], input="\n".join(lines) + "\n"
    )
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and result.exception is None
    assert "ceasefire" in result.output.lower() or "وقف" in result.output


async def test_the_bot_serves_a_read_only_library(read_only: Path) -> None:  # noqa: F811
    with Library.open(read_only, embedder=None) as library:
        assert library.read_only
        request = make_recording_request()
        app = build_application(
            Settings(token="123:TEST", db_path=read_only),
            library,
            request=request,
            get_updates_request=make_recording_request(),
        )
        await app.initialize()
        bot = Bot(app, request)
        try:
            assert app.bot_data.people.read_only
            jobs = app.job_queue
            assert jobs is not None and not [j for j in jobs.jobs() if "alerts" in j.name]
            await _questions_are_answered_and_writes_refused(bot)
        finally:
            await app.shutdown()


async def _questions_are_answered_and_writes_refused(bot: Bot) -> None:
    alice = user(1, "ar")
    await bot.say(QUESTION, from_user=alice)
    answer = bot.last()
    assert "وقف إطلاق النار" in answer["text"]
    assert not any(b.startswith("f|") for b in buttons(answer))  # no vote: it could not be kept
    await bot.say("/settings", from_user=alice)
    settings = bot_message(bot.last(), message_id=50)
    await bot.send(callback(buttons(bot.last())[-1], settings, alice))
    refused = bot.sent("answerCallbackQuery")[-1].params
    assert refused["show_alert"] and "للقراءة فقط" in refused["text"]
    await bot.say("/forget", from_user=user(2, "en"))
    confirm = bot_message(bot.last(), message_id=51)
    await bot.send(callback("z|2|1", confirm, user(2, "en")))
    refused = bot.sent("answerCallbackQuery")[-1].params
    assert refused["show_alert"] and "read-only" in refused["text"]
    await bot.say("/follow غزة", from_user=alice)  # refused too, saying why (not "busy")
    assert bot.last()["chat_id"] == 1 and "للقراءة فقط" in bot.last()["text"]
    await bot.say("/language en", from_user=alice)
    assert "read-only" in bot.last()["text"]


async def test_stopping_a_follow_on_a_read_only_library_says_why_it_cannot(
    tmp_path: Path,
) -> None:
    path = tmp_path / "lib.db"
    Library.open(path, embedder=None).close()
    with People(path) as people:
        people.follow(1, "غزة")
    with (
        Library.open(path, embedder=None) as library,
        People(path, read_only=True) as people,
    ):
        request = make_recording_request()
        app = build_application(
            Settings(token="123:TEST", db_path=path), library, request=request, people=people
        )
        await app.initialize()
        bot = Bot(app, request)
        try:
            await bot.say("/following", from_user=user(1, "en"))
            listed = bot.last()
            unfollow = next(b for b in buttons(listed) if b.startswith("u|"))
            await bot.send(callback(unfollow, bot_message(listed, message_id=70), user(1, "en")))
            refused = bot.sent("answerCallbackQuery")[-1].params
            assert refused["show_alert"] and "read-only" in refused["text"]
            assert [f.phrase for f in people.follows(1)] == ["غزة"]
        finally:
            await app.shutdown()
