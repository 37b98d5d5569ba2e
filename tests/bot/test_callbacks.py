"""The callback-data protocol and the routing of buttons by pattern (``bot.callbacks``)."""

from __future__ import annotations

import pytest
from telegram import Update
from telegram.constants import InlineKeyboardButtonLimit
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot import browsing, callbacks, following, questions
from bot.callbacks import feedback_question, parse_callback
from bot.limits import MAX_ID_DIGITS as MAX_DIGITS
from bot.limits import PAGE_SIZE
from tests.bot.helpers import Bot, bot_message
from tests.telegram_helpers import callback, user


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("m|2", ("m", (2,))),
        ("a|123", ("a", (123,))),
        ("l|5|10", ("l", (5, 10))),
        ("g|ar", ("g", ("ar",))),
        ("g|en", ("g", ("en",))),
        ("f|7|1|3|4", ("f", (7, 1, 3, 4))),
        ("f|7|0|3", ("f", (7, 0, 3))),
        ("u|9", ("u", (9,))),
        ("g|fr", ("", ())),
        ("a|-1", ("", ())),
        ("a|1|2", ("", ())),
        ("m|1\n", ("", ())),  # anchored at the very end
        ("m|" + "1" * (MAX_DIGITS + 1), ("", ())),
        ("f|7|2|3", ("", ())),  # a vote is 1 or 0
        ("f|7|1", ("", ())),  # without the passages it rates
        ("f|7|1" + "|3" * (PAGE_SIZE + 1), ("", ())),  # more passages than a page shows
        ("u|", ("", ())),
        ("x", ("", ())),
        ("", ("", ())),
        (None, ("", ())),
    ],
)
def test_parse_callback(data: str | None, expected: tuple) -> None:
    assert parse_callback(data) == expected


def test_each_builder_makes_data_of_its_own_kind_only() -> None:
    built = {
        "m": callbacks.answer_page(3),
        "a": callbacks.article(12),
        "l": callbacks.latest_page(5, 10),
        "g": callbacks.language("ar"),
        "f": callbacks.vote(7, True, [1, 2, 3]),
        "u": callbacks.unfollow(9),
    }
    for kind, data in built.items():
        assert [k for k, p in callbacks.PATTERNS.items() if p.match(data)] == [kind]
        assert parse_callback(data)[0] == kind
    assert feedback_question(["m|1", None, built["f"]]) == 7
    assert feedback_question(["m|1", "a|2"]) is None


def test_the_longest_data_fits_telegrams_limit() -> None:
    biggest = 10**MAX_DIGITS - 1
    data = callbacks.vote(biggest, False, [biggest] * PAGE_SIZE)
    assert parse_callback(data)[0] == "f"
    assert len(data.encode()) <= InlineKeyboardButtonLimit.MAX_CALLBACK_DATA


def _route(bot: Bot, data: str) -> object:
    """The callback of the first button handler that takes a press with ``data``."""
    msg = bot_message({"chat_id": 1, "text": "x"})
    update = Update.de_json(callback(data, msg, from_user=user(1)), bot.app.bot)
    handlers: list[BaseHandler] = bot.app.handlers[0]
    for handler in handlers:
        if isinstance(handler, CallbackQueryHandler) and handler.check_update(update):
            return handler.callback
    raise AssertionError(f"no handler for {data!r}")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("m|1", questions.on_answer_page),
        ("f|7|1|3|4", questions.on_vote),
        ("a|12", browsing.on_article),
        ("l|5|10", browsing.on_latest_page),
        ("g|en", browsing.on_language_button),
        ("u|9", following.on_unfollow_button),
        ("zzz|<>", questions.on_unknown_button),
        ("m|1|2", questions.on_unknown_button),
        ("g|fr", questions.on_unknown_button),
        ("f|7|2|3", questions.on_unknown_button),
    ],
)
async def test_each_kind_of_button_has_its_callback(bot: Bot, data: str, expected: object) -> None:
    assert _route(bot, data) is expected


async def test_garbage_callback_data_is_answered(bot: Bot) -> None:
    await bot.send(callback("zzz|<>", bot_message({"chat_id": 1, "text": "x"})))
    assert len(bot.sent("answerCallbackQuery")) == 1


@pytest.mark.parametrize("data", ["m|1|2", "a|", "f|1|1", "u|x", "l|1"])
async def test_malformed_data_of_a_known_kind_is_answered_as_expired(bot: Bot, data: str) -> None:
    await bot.send(callback(data, bot_message({"chat_id": 1, "text": "x"}), from_user=user(1)))
    (answered,) = bot.sent("answerCallbackQuery")
    assert "expired" in answered.params["text"] and answered.params["show_alert"] is False
    assert bot.sent() == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("f|12|1|3|4|5", ("f", (12, 1, 3, 4, 5))),
        ("f|12|0|3", ("f", (12, 0, 3))),
        ("f|12|2|3", ("", ())),  # a vote is 1 or 0
        ("f|12|1", ("", ())),  # no passage
        ("f|12|1|3|4|5|6", ("", ())),  # more than a page
        ("u|7", ("u", (7,))),
        ("u|x", ("", ())),
    ],
)
def test_parse_feedback_and_unfollow_callbacks(data: str, expected: tuple) -> None:
    assert parse_callback(data) == expected
