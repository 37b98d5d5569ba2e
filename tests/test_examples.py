"""bot.examples: example questions made from headlines."""

from __future__ import annotations

import pytest

from bot import examples


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "آية الله قاسم: انتصار «سيف القدس» يعلّم الشعوب أن طريقها إلى النصر",
            ["ماذا قال آية الله قاسم؟", "ما «سيف القدس»؟"],
        ),
        ("وقف إطلاق النار في غزة بعد أحد عشر يوما", ["وقف إطلاق النار في غزة"]),
        ("عاجل: انفجار في مرفأ بيروت", ["انفجار في مرفأ بيروت"]),
        ("«سيف القدس»: معركة غيرت المعادلة", ["ما «سيف القدس»؟", "معركة غيرت المعادلة"]),
        ("Biden: we will rebuild after the war", ["What did Biden say?"]),
        ("Rockets hit Tel Aviv as the talks fail", ["Rockets hit Tel Aviv"]),
        ("وأضاف", []),
    ],
)
def test_example_questions_read_like_questions_or_topics(title: str, expected: list) -> None:
    assert examples.example_questions(title) == expected
