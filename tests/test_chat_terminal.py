"""``articlebot chat`` (issue 11, item 13): unknown and Telegram-only commands say so, quit and
exit end it, a number without a button says so, no Telegram wording, one reply language."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.chat import ChatSession, chat, ends_chat, env_lang
from bot.config import Settings
from bot.markup import html_to_text
from bot.people import People
from knowledge import Library
from tests.telegram_helpers import write_articles


@pytest.fixture
def session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ChatSession]:
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    sources = write_articles(tmp_path / "articles")
    with (
        Library.open(tmp_path / "c.db", default_sources=[sources]) as library,
        People(library.path) as people,
    ):
        yield ChatSession(library, people, Settings(sources=(sources,)), None)


def text_of(replies: list) -> str:
    return "\n".join(html_to_text(r.text) for r in replies)


def test_unknown_and_telegram_only_commands_say_so(session: ChatSession) -> None:
    assert "no command" in text_of(session.handle("/frobnicate"))
    for name in ("/follow Gaza", "/following", "/settings", "/forget"):
        assert "Telegram only" in text_of(session.handle(name)), name
    assert "/forget" in text_of(session.handle("/privacy"))


def test_quit_and_exit_end_the_chat() -> None:
    assert all(ends_chat(w) for w in ("quit", "exit", "/quit", " Exit "))
    assert not ends_chat("exit polls in Gaza")


def test_a_number_without_a_button_says_so(session: ChatSession) -> None:
    assert "no button 3" in text_of(session.handle("3"))
    session.echo(session.handle("/latest 2"))
    assert "no button 9" in text_of(session.handle("9"))


def test_the_reply_language_is_kept(session: ChatSession) -> None:
    first = text_of(session.handle("ما عدد الضحايا في غزة؟"))
    assert "مئتين" in first
    later = text_of(session.handle("lunar mission water ice"))
    assert "يوليو" in later  # still Arabic (the date's month): the language does not flip
    assert session.lang() == "ar"


def test_the_environment_or_option_decides_first() -> None:
    assert env_lang({"LANG": "ar_EG.UTF-8"}) == "ar"
    assert env_lang({"LANG": "en_US.UTF-8"}) is None
    assert env_lang({"LC_ALL": "C", "LANG": "ar_EG"}) is None


def test_no_telegram_wording(session: ChatSession) -> None:
    text = text_of(session.handle("/start")) + text_of(session.handle("/help"))
    for word in ("tap", "Tap", "اضغط", "@", "groups"):
        assert word not in text, word


def test_example_buttons_ask_in_the_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = write_articles(tmp_path / "articles")
    monkeypatch.setenv("ARTICLEBOT_SOURCES", str(sources))
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    lines = ["1", "/nope", "7", "exit", "never read"]
    result = CliRunner().invoke(chat, ["--db", str(tmp_path / "c.db"), "--language", "en"],
                                input="\n".join(lines))  # fmt: skip
    assert result.exit_code == 0, result.output
    out = result.output
    assert "[1] What about “A new lunar mission launches”?" in out
    assert "south pole" in out  # the example's answer (its lead sentence)
    assert "There is no command /nope" in out
    assert "There is no button 7 here" in out
    assert "never read" not in out


def test_a_vote_keeps_the_answers_buttons(session: ChatSession) -> None:
    session.echo(session.handle("when did the lunar mission launch?"))
    labels = [b.label for b in session.buttons]
    assert labels[-2:] == ["👍", "👎"]
    session.echo(session.handle(str(len(labels) - 1)))  # 👍: thanks, without buttons
    assert [b.label for b in session.buttons] == labels  # as Telegram keeps the keyboard
    session.echo(session.handle("/help"))
    assert "no button" not in text_of(session.handle("1"))  # 📄 Article still works


def test_a_number_is_a_question_unless_it_can_be_a_button(session: ChatSession) -> None:
    assert "no button" not in text_of(session.handle("2023"))
    assert session.question == "2023"
    assert "no button 12" in text_of(session.handle("12"))


def test_the_terminals_privacy_does_not_contradict_it(session: ChatSession) -> None:
    text = text_of(session.handle("/privacy"))
    assert "terminal" in text and "On Telegram" in text and "/forget" in text
    assert "/settings" not in text
