"""/reload, the scheduled reload, /stats and reports to the admin chat (``bot.admin``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from knowledge import Library
from tests.bot.helpers import (
    ADMIN,
    MARS,
    Bot,
    SpyLibrary,
    eventually,
)
from tests.telegram_helpers import (
    group_chat,
    user,
)


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
    caplog.set_level("INFO", logger="bot.admin")
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
