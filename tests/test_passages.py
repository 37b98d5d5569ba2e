import pytest

from knowledge.passages import (
    MAX_CHARS,
    MAX_WORDS,
    paragraph_spans,
    sentence_spans,
    split_passages,
)
from knowledge.sources import split_paragraphs


def _sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        (
            "الأولى. الثانية؟ الثالثة؛ الرابعة! الخامسة",
            ["الأولى.", "الثانية؟", "الثالثة؛", "الرابعة!", "الخامسة"],
        ),
        ("قدرت بـ2.2 مليار دولار. ثم انتهت", ["قدرت بـ2.2 مليار دولار.", "ثم انتهت"]),
        ("Version 3.11 shipped. Really? Yes!", ["Version 3.11 shipped.", "Really?", "Yes!"]),
        ('قال "انتهى الأمر." ثم غادر', ['قال "انتهى الأمر."', "ثم غادر"]),
        ("see www.example.com now", ["see www.example.com now"]),
        ("", []),
    ],
)
def test_sentence_ends(text: str, sentences: list[str]) -> None:
    assert _sentences(text) == sentences


def test_paragraphs_are_separated_by_blank_lines() -> None:
    text = "first one\n\n  second  \n \nthird"
    assert [text[a:b] for a, b in paragraph_spans(text)] == ["first one", "second", "third"]


def test_passages_are_verbatim_slices_with_offsets() -> None:
    text = "\n\n".join(f"الفقرة رقم {i} " + "كلمة " * 30 for i in range(5))
    passages = split_passages(text)
    assert [p.position for p in passages] == list(range(len(passages)))
    for p in passages:
        assert text[p.start : p.end] == p.text


def test_a_long_paragraph_is_cut_at_sentence_ends_within_the_caps() -> None:
    sentence = "هذه جملة عربية طويلة نسبيا تتحدث عن الأخبار والأحداث في المنطقة اليوم. "
    text = (sentence * 60).strip()
    passages = split_passages(text)
    assert len(passages) > 1
    for p in passages:
        assert p.text.endswith(".")
        assert len(p.text.split()) <= MAX_WORDS
        assert len(p.text) <= MAX_CHARS


def test_a_sentence_that_never_ends_is_cut_at_word_boundaries() -> None:
    text = " ".join(f"كلمة{i}" for i in range(1000))
    passages = split_passages(text)
    assert len(passages) > 1
    assert all(len(p.text) <= MAX_CHARS and len(p.text.split()) <= MAX_WORDS for p in passages)
    assert " ".join(p.text for p in passages) == text


def test_one_huge_word_is_still_capped() -> None:
    passages = split_passages("x" * 5000)
    assert all(len(p.text) <= MAX_CHARS for p in passages)
    assert "".join(p.text for p in passages) == "x" * 5000


def test_a_short_heading_joins_the_next_paragraph() -> None:
    body = "العنوان الفرعي\n\n" + "نص الفقرة " * 20 + "\n\n" + "فقرة أخرى " * 20
    passages = split_passages(body)
    assert len(passages) == 2
    assert passages[0].text.startswith("العنوان الفرعي\n\nنص الفقرة")


def test_a_short_last_paragraph_joins_the_previous_one() -> None:
    body = "نص الفقرة " * 20 + "\n\nانتهى."
    assert len(split_passages(body)) == 1


def test_paragraphs_do_not_merge_otherwise() -> None:
    body = "\n\n".join("كلمة " * 20 for _ in range(3))
    assert len(split_passages(body)) == 3


@pytest.mark.parametrize(
    ("body", "paragraphs"),
    [
        ("one line\nanother line", ["one line", "another line"]),
        ("a soft\nwrapped paragraph\n\nsecond", ["a soft wrapped paragraph", "second"]),
        ("# Heading\nText under it\n\nMore", ["Heading", "Text under it", "More"]),
        ("\r\nwindows\r\nlines\r\n", ["windows", "lines"]),
    ],
)
def test_split_paragraphs(body: str, paragraphs: list[str]) -> None:
    assert split_paragraphs(body, one_per_line=True) == paragraphs


BODY = "افتتحت المؤسسة العامة لتحلية المياه المالحة اليوم محطة جديدة في جدة بطاقة كبيرة"
MORE = "وأوضح محافظ المؤسسة أن المحطة تعتمد تقنية التناضح العكسي وتوفر الطاقة بنسبة كبيرة"
DATELINE = "جدة - 12 شوال 1442 هـ الموافق 24 مايو 2021 م (واس)"
LINK = "رابط الخبر في صحيفة الرياض: https://www.alriyadh.com/1890000"
HEADLINE = "افتتاح محطة تحلية جديدة في جدة بطاقة 600 ألف متر مكعب يوميا لخدمة مليوني نسمة"


def _texts(text: str, title: str = "") -> list[str]:
    passages = split_passages(text, title)
    for p in passages:
        assert text[p.start : p.end] == p.text  # offsets still into the whole text
    assert [p.position for p in passages] == list(range(len(passages)))
    return [p.text for p in passages]


def test_boilerplate_is_in_no_passage() -> None:
    text = "\n\n".join([HEADLINE, DATELINE, BODY, MORE, LINK])
    assert _texts(text, HEADLINE) == [BODY, MORE]


def test_the_headline_is_only_boilerplate_given_the_title() -> None:
    text = "\n\n".join([HEADLINE, BODY])
    assert _texts(text) == [HEADLINE, BODY]  # (a passage of its own: 14 words)
    assert _texts(text, HEADLINE) == [BODY]


def test_a_short_paragraph_does_not_join_across_boilerplate() -> None:
    # Joined, the passage would hold the dateline: a passage is one slice of the text.
    text = "\n\n".join(["عنوان فرعي قصير", DATELINE, BODY, "انتهى.", LINK])
    assert _texts(text) == ["عنوان فرعي قصير", BODY + "\n\nانتهى."]


def test_a_short_dateline_is_not_glued_to_the_answer() -> None:
    text = "\n\n".join(["غزة - وكالة الأنباء", BODY])
    assert _texts(text) == [BODY]


def test_an_article_of_nothing_but_boilerplate_keeps_it() -> None:
    text = "\n\n".join([DATELINE, LINK])
    assert _texts(text) == [text]


def test_a_dateline_inside_a_paragraph_stays() -> None:
    text = "القاهرة (رويترز) - " + BODY
    assert _texts(text) == [text]
