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


@pytest.mark.parametrize(
    "title, expected",
    [
        # The whole first clause, never a cut headline ("... begin eight-day").
        (
            "Dockworkers at Felixstowe port begin eight-day strike over pay",
            ["What about “Dockworkers at Felixstowe port begin eight-day strike over pay”?"],
        ),
        ("مترو الرياض يبدأ التشغيل التجريبي لثلاثة خطوط", ["ماذا عن «مترو الرياض يبدأ التشغيل التجريبي لثلاثة خطوط»؟"]),  # noqa: E501
        # A first clause over 10 words gives no topic at all, and a section label is dropped.
        ("اقتصادي / افتتاح محطة تحلية جديدة في جدة بطاقة 600 ألف متر مكعب يوميا لخدمة مليوني نسمة", []),  # noqa: E501
    ],
)  # fmt: skip
def test_button_questions_never_cut_a_headline(title: str, expected: list) -> None:
    assert examples.questions(title) == expected
