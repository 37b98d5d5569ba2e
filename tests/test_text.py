"""knowledge.text: the shared text rules (bidi controls, sentence ends, shorten, clean)."""

from __future__ import annotations

import pytest

from bot.limits import MAX_QUESTION
from knowledge.text import (
    SENTENCE_END,
    clean_text,
    sentences,
    shorten,
    strip_bidi,
    strip_invisible,
)


def test_clean_question_strips_controls_and_caps() -> None:
    assert clean_text("\u200f  سيف\u2068 القدس \u2069\n", MAX_QUESTION, typed=True) == "سيف القدس"
    assert len(clean_text("a" * 5000, MAX_QUESTION, typed=True)) == 1000


def test_clean_text_keeps_what_the_analyser_splits_on_unless_typed() -> None:
    assert clean_text("\u202bغزة\u202c  a\u200bb\n") == "غزة a\u200bb"
    assert clean_text("\u202bغزة\u202c  a\u200bb\n", typed=True) == "غزة ab"
    assert clean_text("one two three", 7) == "one two"


def test_strip_bidi_and_invisible() -> None:
    assert strip_bidi("\u200fa\u2066b\u2069\u061c") == "ab"
    assert strip_invisible("a\u200b\x07b\u202e\nc") == "ab\nc"


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("one  two\nthree", 20, "one two three"),
        ("alpha beta gamma delta", 12, "alpha beta…"),
        ("alpha, beta gamma", 10, "alpha…"),  # the comma left at the cut goes
        ("abcdefghijklmnop", 8, "abcdefg…"),  # one long word: cut inside it
        ("a bcdefghijklmnop", 8, "a bcdef…"),  # a space too early to keep half
        ("abcdefg hij", 9, "abcdefg…"),  # a space just before the last free place
    ],
)
def test_shorten_cuts_at_a_word_within_the_limit(text: str, limit: int, expected: str) -> None:
    assert shorten(text, limit) == expected
    assert len(shorten(text, limit)) <= limit


def test_shorten_can_keep_white_space_and_choose_what_to_trim() -> None:
    assert shorten("a  b", 10, collapse=False) == "a  b"
    assert shorten("alpha - beta gamma", 10) == "alpha -…"
    assert shorten("alpha - beta gamma", 10, trailing=" -") == "alpha…"


def test_sentence_end_is_after_closing_quotes_and_never_inside_a_number() -> None:
    text = "قال: «انتهى.» ثم غادر. النسبة 2.2 بالمئة؟ نعم"
    assert sentences(text) == ["قال: «انتهى.»", "ثم غادر.", "النسبة 2.2 بالمئة؟", "نعم"]
    # The message splitter's rule: a quote after the stop keeps the sentence going.
    assert sentences(text, closing_quotes=False) == [
        "قال: «انتهى.» ثم غادر.",
        "النسبة 2.2 بالمئة؟",
        "نعم",
    ]
    assert [m.end() for m in SENTENCE_END.finditer("A. B")] == [2]


def test_typed_text_loses_lone_surrogates_but_keeps_pairs() -> None:
    from knowledge.text import clean_text

    assert clean_text("غزة\ud800 \udfffنص 😀", typed=True) == "غزة نص 😀"
    clean_text("\ud83d", typed=True).encode("utf-8")
