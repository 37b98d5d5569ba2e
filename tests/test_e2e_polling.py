"""End to end: ``articlebot run`` in a subprocess long-polls (or serves a webhook for) a fake Bot
API server on 127.0.0.1 while a scripted user talks to it. Also the entry points' own behaviour
(token, chat)."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.chat import chat
from bot.serve import run
from tests.telegram_helpers import (
    Call,
    FakeBotAPI,
    assert_telegram_html,
    bot_run,
    channel_post,
    inline_query,
    message,
    user,
    write_articles,
)

TOKEN = "4242:SECRET-token_value"
ADMIN = 42


@pytest.fixture(params=[()], ids=["full"])
def server(request: pytest.FixtureRequest) -> Iterator[FakeBotAPI]:
    with FakeBotAPI(TOKEN, refuse=request.param) as api:
        yield api


@pytest.fixture
def bot_process(server: FakeBotAPI, tmp_path: Path) -> Iterator[subprocess.Popen]:
    command, env = bot_run(
        tmp_path,
        TOKEN,
        server.base_url,
        ARTICLEBOT_ADMIN_IDS=str(ADMIN),
        ARTICLEBOT_CHANNELS="@news_channel",
    )
    log = tmp_path / "bot.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            command,
            cwd=tmp_path,
            env=env,
            stdout=stderr,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
    process.log = log.read_text()  # type: ignore[attr-defined]


def sent_to(chat_id: int, *methods: str):
    methods = methods or ("sendMessage",)
    return lambda c: c.method in methods and int(c.params.get("chat_id", 0)) == chat_id


def buttons(call: Call) -> list[str]:
    markup = call.params.get("reply_markup") or {}
    return [
        b.get("callback_data") or b.get("url")
        for row in markup.get("inline_keyboard", [])
        for b in row
    ]


def test_scripted_conversation_over_long_polling(
    server: FakeBotAPI, bot_process: subprocess.Popen, tmp_path: Path
) -> None:
    alice, admin = user(1, "ar", "Alice"), user(ADMIN, "en", "Admin")

    # The bot starts: getMe, command menus (cosmetic), then long polling.
    server.wait_for(lambda c: c.method == "setMyCommands")

    # A question, answered with quoted passages as a reply to it.
    question = server.user_says("غزة الهدنة وقف إطلاق النار الضحايا", alice)
    mark = len(server.calls)
    answer = server.wait_for(sent_to(1), after=mark)
    assert answer.params["reply_parameters"]["message_id"] == question["message_id"]
    assert "مئتين" in answer.params["text"] or "غزة" in answer.params["text"]
    assert "m|1" in buttons(answer)
    assert any(c.method == "sendChatAction" for c in server.calls[mark:])

    # "More results" edits the same message; the callback query is answered.
    bot_msg = server.last_bot_message(1)
    mark = len(server.calls)
    server.press("m|1", bot_msg, alice)
    edit = server.wait_for(sent_to(1, "editMessageText"), after=mark)
    assert int(edit.params["message_id"]) == bot_msg["message_id"]
    assert "m|0" in buttons(edit)
    server.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)

    # /latest lists the newest articles with buttons.
    mark = len(server.calls)
    server.user_says("/latest 2", alice)
    latest = server.wait_for(sent_to(1), after=mark)
    assert "l|2|2" in buttons(latest)

    # A non-admin's /reload is refused; an admin's runs and reports.
    mark = len(server.calls)
    server.user_says("/reload", alice)
    refusal = server.wait_for(sent_to(1), after=mark)
    assert "لمشرفي البوت" in refusal.params["text"]
    (tmp_path / "articles" / "rain.md").unlink()
    mark = len(server.calls)
    server.user_says("/reload", admin)
    server.wait_for(lambda c: sent_to(ADMIN)(c) and "Reloading" in c.params["text"], after=mark)
    report = server.wait_for(
        lambda c: sent_to(ADMIN)(c) and "Reload finished" in c.params["text"], after=mark
    )
    assert "Removed: 1" in report.params["text"]

    # A post in the bot's channel is searchable at once, here by inline mode in another chat.
    assert set(server.allowed_updates or ()) >= {"channel_post", "edited_channel_post"}
    assert "inline_query" in server.allowed_updates
    server.push("channel_post", channel_post(POST, message_id=31))
    inline = search_inline(server, "محطة تحلية مياه البحر في العقبة", alice)
    assert inline.params["results"][0]["url"] == "https://t.me/news_channel/31"
    assert "خمسين مليون" in inline.params["results"][0]["input_message_content"]["message_text"]

    # Everything the bot sent was valid Telegram HTML within the limit.
    assert server.errors == []
    for call in server.calls:
        if call.params.get("parse_mode") == "HTML":
            assert_telegram_html(call.params["text"])

    # It stops cleanly on SIGTERM and never logged its token.
    bot_process.send_signal(signal.SIGTERM)
    assert bot_process.wait(20) == 0
    log = (tmp_path / "bot.log").read_text()
    assert "serving 3 articles" in log
    assert TOKEN not in log and "SECRET" not in log


POST = (
    "افتتاح محطة لتحلية مياه البحر في العقبة\n"
    "افتتحت الحكومة الأردنية اليوم محطة لتحلية مياه البحر في مدينة العقبة بطاقة خمسين مليون "
    "متر مكعب سنويا."
)


def search_inline(server: FakeBotAPI, query: str, from_user: dict, tries: int = 100) -> Call:
    """The first answer with results to an inline query, asked again while the answer is empty
    (a channel post pushed just before may still be being stored)."""
    for _ in range(tries):
        update = inline_query(query, from_user=from_user)
        query_id = update["inline_query"]["id"]
        mark = len(server.calls)
        server.push("inline_query", update["inline_query"])
        answer = server.wait_for(
            lambda c, query_id=query_id: (
                c.method == "answerInlineQuery" and c.params["inline_query_id"] == query_id
            ),
            after=mark,
        )
        assert_inline_html(answer)
        if answer.params["results"]:
            return answer
        time.sleep(0.1)
    raise AssertionError(f"no inline results for {query!r}")


def assert_inline_html(answer: Call) -> None:
    for result in answer.params["results"]:
        assert_telegram_html(result["input_message_content"]["message_text"])


def test_follow_alert_and_vote_over_long_polling(
    server: FakeBotAPI, bot_process: subprocess.Popen, tmp_path: Path
) -> None:
    alice, admin = user(1, "ar", "Alice"), user(ADMIN, "en", "Admin")
    server.wait_for(lambda c: c.method == "setMyCommands")

    # Alice follows a word, asks a question and votes the answer down.
    mark = len(server.calls)
    server.user_says("/follow غزة", alice)
    assert "تتابع الآن" in server.wait_for(sent_to(1), after=mark).params["text"]
    mark = len(server.calls)
    server.user_says("ما عدد الضحايا في غزة؟", alice)
    answer = server.wait_for(sent_to(1), after=mark)
    down = next(b for b in buttons(answer) if b.startswith("f|") and b.split("|")[2] == "0")
    mark = len(server.calls)
    server.press(down, server.last_bot_message(1), alice)
    thanks = server.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)
    assert "شكرًا" in thanks.params["text"]
    marked = server.wait_for(sent_to(1, "editMessageReplyMarkup"), after=mark)
    labels = [b["text"] for row in marked.params["reply_markup"]["inline_keyboard"] for b in row]
    assert "👎 1" in labels

    # An admin's reload that adds an article about Gaza sends it to Alice, once.
    (tmp_path / "articles" / "truce.md").write_text(
        "---\ntitle: الهدنة في غزة صامدة\ndate: 2021-05-25\n---\n"
        "أكد الوسطاء أن الهدنة في غزة صامدة.\n",
        encoding="utf-8",
    )
    mark = len(server.calls)
    server.user_says("/reload", admin)
    alert = server.wait_for(lambda c: sent_to(1)(c) and "🔔" in c.params["text"], after=mark)
    assert "الهدنة في غزة صامدة" in alert.params["text"]
    assert any(b.startswith("a|") for b in buttons(alert))

    # /stats shows the vote.
    mark = len(server.calls)
    server.user_says("/stats", admin)
    stats = server.wait_for(lambda c: sent_to(ADMIN)(c) and "Votes" in c.params["text"], after=mark)
    assert "Votes: 1 · Helpful: 0 (0%)" in stats.params["text"]

    # Once: another reload (and the start-up round before) sent it no second time.
    mark = len(server.calls)
    server.user_says("/reload", admin)
    server.wait_for(
        lambda c: sent_to(ADMIN)(c) and "Reload finished" in c.params["text"], after=mark
    )
    mark = len(server.calls)
    server.user_says("/following", alice)  # answered after the reload's alerts, if any
    server.wait_for(sent_to(1), after=mark)
    alerts = [c for c in server.calls if sent_to(1)(c) and "مقالات جديدة" in c.params["text"]]
    assert alerts == [alert]
    assert server.errors == []


COSMETIC = ("setMyCommands", "sendChatAction", "answerCallbackQuery")


@pytest.mark.parametrize("server", [COSMETIC], ids=["minimal"], indirect=True)
def test_a_server_without_cosmetic_methods_still_gets_answers(
    server: FakeBotAPI, bot_process: subprocess.Popen
) -> None:
    alice = user(1, "ar", "Alice")
    server.wait_for(lambda c: c.method == "setMyCommands")  # refused: the bot goes on
    server.user_says("ما عدد الضحايا في غزة؟", alice)
    answer = server.wait_for(sent_to(1))
    assert "مئتين" in answer.params["text"]
    mark = len(server.calls)
    article = next(b for b in buttons(answer) if b.startswith("a|"))
    server.press(article, server.last_bot_message(1), alice)
    server.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)
    shown = server.wait_for(sent_to(1), after=mark)
    assert "توسطت فيها مصر" in shown.params["text"]
    assert bot_process.poll() is None


def test_webhook_serves_updates_only_with_the_secret(server: FakeBotAPI, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a free port on the loopback interface
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/hook"
    args = ["--webhook", url, "--listen", "127.0.0.1", "--port", str(port)]
    command, env = bot_run(tmp_path, TOKEN, server.base_url, *args, "--secret-token", "s3cret")
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        hook = server.wait_for(lambda c: c.method == "setWebhook")
        assert hook.params["url"] == url and hook.params["secret_token"] == "s3cret"

        def post(secret: str) -> int:
            msg = message("ما عدد الضحايا في غزة؟", from_user=user(1, "ar"))
            data = json.dumps({"update_id": 1, "message": msg}).encode()
            headers = {
                "Content-Type": "application/json",
                "X-Telegram-Bot-Api-Secret-Token": secret,
            }
            request = urllib.request.Request(url, data=data, headers=headers)
            for _ in range(100):  # the server may still be starting
                try:
                    return urllib.request.urlopen(request, timeout=10).status
                except urllib.error.HTTPError as error:
                    return error.code
                except urllib.error.URLError:
                    time.sleep(0.1)
            raise AssertionError("the webhook never came up")

        assert post("wrong") == 403
        mark = len(server.calls)
        assert post("s3cret") == 200
        answer = server.wait_for(sent_to(1), after=mark)
        assert "مئتين" in answer.params["text"]
    finally:
        process.terminate()
        process.wait(20)


# --- the entry points --------------------------------------------------------------------------


def test_run_without_token_points_to_chat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    result = CliRunner().invoke(run, ["--db", str(tmp_path / "x.db")])
    assert result.exit_code == 1
    assert "TELEGRAM_BOT_TOKEN" in result.output and "articlebot chat" in result.output


def test_bad_admin_ids_are_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("ARTICLEBOT_ADMIN_IDS", "12,abc")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(run, ["--db", str(tmp_path / "x.db")])
    assert (
        result.exit_code == 1 and "ARTICLEBOT_ADMIN_IDS" in result.output and "abc" in result.output
    )


def test_webhook_needs_a_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.delenv("ARTICLEBOT_WEBHOOK_SECRET", raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        run, ["--db", str(tmp_path / "x.db"), "--webhook", "https://e.com/h"]
    )
    assert result.exit_code == 2 and "secret" in result.output


def test_chat_goes_through_the_same_replies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = write_articles(tmp_path / "articles")
    monkeypatch.setenv("ARTICLEBOT_SOURCES", str(sources))
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    lines = [
        "ما عدد الضحايا في غزة؟",
        "1",  # the first button: show the article
        "/latest 2",
        "/language en",
        "what's the weather in London?",
        "/stats",
        "/sources",
    ]
    result = CliRunner().invoke(chat, ["--db", str(tmp_path / "c.db")], input="\n".join(lines))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "مئتين" in out  # the answer
    assert "توسطت فيها مصر" in out  # the article, after pressing its button
    assert "[1] 📄 1" in out  # /latest's buttons
    assert "couldn't find" in out
    assert "Asked: 2" in out
    assert "Sources: 3" in out and "*Example News*: 1 news article" in out
    assert "<b>" not in out and "&lt;" not in out


def test_chat_votes_as_the_local_user(tmp_path: Path) -> None:
    from bot.chat import ChatSession
    from bot.config import Settings
    from bot.people import People
    from knowledge import Library

    sources = write_articles(tmp_path / "articles")
    with (
        Library.open(tmp_path / "c.db", default_sources=[sources]) as library,
        People(library.path) as people,
    ):
        session = ChatSession(library, people, Settings(sources=(sources,)), "en")
        session.echo(session.handle("ما عدد الضحايا في غزة؟"))
        up = next(i for i, b in enumerate(session.buttons, 1) if b.label == "👍")
        question_id = int(session.buttons[up - 1].data.split("|")[1])
        assert "Thanks" in session.handle(str(up))[0].text
        assert session.people.votes(question_id).helpful == 1


def test_short_answer_dates_and_honest_notes_over_long_polling(
    server: FakeBotAPI, bot_process: subprocess.Popen, tmp_path: Path
) -> None:
    alice, bob, admin = user(1, "ar", "Alice"), user(2, "en", "Bob"), user(ADMIN, "en", "Admin")
    server.wait_for(lambda c: c.method == "setMyCommands")

    # An article of today joins the library.
    today = time.strftime("%Y-%m-%d", time.gmtime())
    (tmp_path / "articles" / "dates.md").write_text(
        f"---\ntitle: افتتاح مهرجان التمور في الأحساء\ndate: {today}\nsource: وكالة الأنباء\n---\n"
        "افتتح مهرجان التمور في الأحساء أبوابه للزوار بمشاركة مئة مزارع.\n\n"
        "ويستمر المهرجان عشرة أيام ويعرض أصنافا نادرة من التمور.\n",
        encoding="utf-8",
    )
    mark = len(server.calls)
    server.user_says("/reload", admin)
    server.wait_for(lambda c: sent_to(ADMIN)(c) and "Reload finished" in c.params["text"], mark)

    # Alice's first answer: one sentence, its source and when ("today"), one row of buttons.
    mark = len(server.calls)
    server.user_says("متى افتتح مهرجان التمور في الأحساء؟", alice)
    answer = server.wait_for(sent_to(1), after=mark)
    text = answer.params["text"]
    assert "مهرجان" in text and "وكالة الأنباء" in text
    assert "اليوم" in text or "أمس" in text  # (a run across midnight says yesterday)
    assert text.count("<blockquote>") == 1 and "النتائج" not in text
    rows = answer.params["reply_markup"]["inline_keyboard"]
    assert len(rows) == 1 and rows[0][0]["text"] == "📄 المقال"
    assert [b["text"] for b in rows[0]][-2:] == ["👍", "👎"]

    # A page the library no longer gives: the library is blamed only when it changed since.
    bot_msg = server.last_bot_message(1)  # dated 2023 by the fake server: before the reload
    mark = len(server.calls)
    server.press("m|9", bot_msg, alice)
    note = server.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)
    assert "حُدّثت" in note.params["text"]
    bot_msg["date"] = int(time.time()) + 3600  # sent after the last change
    mark = len(server.calls)
    server.press("m|9", bot_msg, alice)
    note = server.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)
    assert "انتهت صلاحية" in note.params["text"] and "حُدّثت" not in note.params["text"]

    # Bob asks in English what the mostly-Arabic library cannot answer: a hint to ask in Arabic.
    mark = len(server.calls)
    server.user_says("what is the price of bananas in Peru?", bob)
    reply = server.wait_for(sent_to(2), after=mark)
    assert "couldn't find" in reply.params["text"] and "asking in Arabic" in reply.params["text"]

    # /sources says when the library changed in Arabic words, not as an ISO stamp.
    mark = len(server.calls)
    server.user_says("/sources", alice)
    sources = server.wait_for(sent_to(1), after=mark).params["text"]
    line = next(x for x in sources.splitlines() if "آخر" in x)
    assert re.search(r"\d{4}-\d{2}-\d{2}", line) is None and ("قبل" in line or "اليوم" in line)

    assert server.errors == []
    for call in server.calls:
        if call.params.get("parse_mode") == "HTML":
            assert_telegram_html(call.params["text"])
