"""The callback-data protocol and the routing of buttons by pattern (``bot.callbacks``)."""

from __future__ import annotations

import pytest

from bot.callbacks import parse_callback


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
