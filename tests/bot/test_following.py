"""/follow, /following, /unfollow, their buttons, the alerts and chat migration
(``bot.following``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot import following
from bot.people import People
from knowledge import Article, Library
from tests.bot.helpers import (
    ADMIN,
    POST,
    Bot,
    SpyLibrary,
    admin_reload,
    bot_message,
    buttons,
    eventually,
)
from tests.telegram_helpers import (
    BOT_USERNAME,
    callback,
    channel_post,
    group_chat,
    message,
    update,
    user,
)

NEW_GAZA = """---
title: "الوسطاء: الهدنة في غزة صامدة"
date: 2021-05-25
lang: ar
---
أكد الوسطاء المصريون أن الهدنة في غزة صامدة وأن المفاوضات ستستمر في القاهرة الأسبوع المقبل.
"""


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


async def test_follow_commands(people: People, bot: Bot, library: Library) -> None:
    bot.app.bot_data.throttle = None  # one user sends many commands here
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

    # (no background embedding: its writes could make this round wait for the next, by design)
    b = await make_bot(responder, ARTICLEBOT_EMBED="off")
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

    from bot.people import facade
    from tests.test_follows import ingest_writing

    monkeypatch.setattr(facade, "USER_WRITE_SECONDS", 0.05)
    people.follow(1, "غزة", "ar")
    people.follow(2, "الوسطاء", "en")
    library.add_articles([Article("truce", "الوسطاء: الهدنة في غزة صامدة", "الهدنة صامدة.")])
    b = await make_bot()
    context = b.app.context_types.context(b.app)
    with ingest_writing(library.path):  # longer than a follower's write waits
        await following.send_due_alerts(context)
    assert b.sent("sendMessage") == []
    await following.send_due_alerts(context)
    assert sorted(c.params["chat_id"] for c in b.sent("sendMessage")) == [1, 2]
    await following.send_due_alerts(context)
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

    for chat in (1, 2, 3):
        people.follow(chat, "غزة", "ar")
    library.add_articles([Article("truce", "الوسطاء: الهدنة في غزة صامدة", "الهدنة صامدة.")])
    spy = BusyMarks(people)
    b = await make_bot(people=spy)
    context = b.app.context_types.context(b.app)
    await following.send_due_alerts(context)
    assert spy.marks == 1 and b.sent("sendMessage") == []  # not 3 waits of 5 s
    assert people.due_alerts(library).through is not None  # the mark stayed
    spy.busy = False
    await following.send_due_alerts(context)
    assert sorted(c.params["chat_id"] for c in b.sent("sendMessage")) == [1, 2, 3]
    assert people.due_alerts(library).through is None


async def test_channel_posts_and_reloads_do_not_wait_for_an_alert_round(
    people: People, make_bot: Callable[..., Any], library: Library, sources: Path
) -> None:
    people.follow(5, "محطة العقبة", "ar")
    people.follow(6, "الهدنة", "ar")
    b = await make_bot(ARTICLEBOT_CHANNELS="@news_channel")
    round_running = b.app.bot_data.alerts_lock
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
