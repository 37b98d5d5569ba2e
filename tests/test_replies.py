"""bot.replies (what is left of it): the callback-data protocol."""

from __future__ import annotations

import pytest

from bot.replies import parse_callback


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("m|2", ("m", (2,))),
        ("a|123", ("a", (123,))),
        ("l|5|10", ("l", (5, 10))),
        ("g|ar", ("g", ("ar",))),
        ("g|fr", ("", ())),
        ("a|-1", ("", ())),
        ("a|1|2", ("", ())),
        ("x", ("", ())),
        (None, ("", ())),
    ],
)
def test_parse_callback(data: str | None, expected: tuple) -> None:
    assert parse_callback(data) == expected


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
