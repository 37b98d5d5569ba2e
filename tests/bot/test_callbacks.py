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
