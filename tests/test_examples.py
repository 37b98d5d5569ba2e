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
        # The whole first clause, never a cut headline ("... begin a").
        ("UN staff in Gaza begin a strike", ["What about “UN staff in Gaza begin a strike”?"]),
        ("مترو الرياض يبدأ التشغيل التجريبي", ["ماذا عن «مترو الرياض يبدأ التشغيل التجريبي»؟"]),
        # Too long for a phone's button (over MAX_BUTTON_QUESTION): dropped, not cut.
        ("Dockworkers at Felixstowe port begin eight-day strike over pay", []),
        ("مترو الرياض يبدأ التشغيل التجريبي لثلاثة خطوط", []),
        # A first clause over 10 words gives no topic at all, and a section label is dropped.
        ("اقتصادي / افتتاح محطة تحلية جديدة في جدة بطاقة 600 ألف متر مكعب يوميا لخدمة مليوني نسمة", []),  # noqa: E501
    ],
)  # fmt: skip
def test_button_questions_never_cut_a_headline(title: str, expected: list) -> None:
    assert examples.questions(title) == expected


def test_a_section_label_is_dropped_only_at_the_start() -> None:
    # A " / " inside a headline is no section label: nothing is cut out of its middle.
    title = "Talks resume in Geneva as US / China tensions ease"
    assert examples.example_questions(title) == ["Talks resume in Geneva"]
    assert examples.questions(title) == ["What about “Talks resume in Geneva”?"]
    assert examples.questions("World | Talks resume in Geneva") == [
        "What about “Talks resume in Geneva”?"
    ]
    assert examples.example_questions("Rates / prices rise again in Cairo") == [
        "prices rise again in Cairo"
    ]


@pytest.mark.parametrize(
    "title",
    [
        "Dockworkers at Felixstowe port begin eight-day strike over pay",
        "Prime minister Jacinda Ardern: we will rebuild Christchurch together",
        "مترو الرياض يبدأ التشغيل التجريبي لثلاثة خطوط",
        "UN staff in Gaza begin a strike",
    ],
)
def test_button_questions_fit_a_phone(title: str) -> None:
    assert all(len(q) <= examples.MAX_BUTTON_QUESTION for q in examples.questions(title))
