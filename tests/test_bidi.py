"""bot.bidi: marks that make mixed Arabic/Latin lines render in the right direction."""

from __future__ import annotations

import pytest

from bot.bidi import FSI, PDI, RLM, apply_bidi
from tests.telegram_helpers import assert_telegram_html


def test_rlm_before_arabic_line_starting_with_latin_or_digits() -> None:
    out = apply_bidi("BBC قالت إن الهدنة بدأت اليوم\n8 أيار بداية الحرب", rtl_default=True)
    first, second = out.split("\n")
    assert first.startswith(RLM)
    assert second.startswith(RLM)


def test_no_marks_on_plain_arabic_or_english() -> None:
    assert apply_bidi("نص عربي فقط", True) == "نص عربي فقط"
    assert apply_bidi("English only", False) == "English only"


def test_embedded_latin_run_is_isolated_without_breaking_tags() -> None:
    out = apply_bidi("قالت <b>BBC News</b> إن الهدنة بدأت", rtl_default=True)
    assert f"{FSI}BBC News" in out and PDI in out
    assert_telegram_html(out)
    assert out.count(FSI) == out.count(PDI) == 1


def test_embedded_arabic_in_english_line_is_isolated() -> None:
    out = apply_bidi("The battle called سيف القدس ended in May", rtl_default=False)
    assert f"{FSI}سيف القدس{PDI}" in out


def test_commands_and_single_words_are_not_isolated() -> None:
    # Marks inside "/latest" would stop Telegram from making it a tappable command.
    out = apply_bidi("اطّلع على أحدث المقالات عبر /latest أو Twitter.", rtl_default=True)
    assert FSI not in out and "/latest" in out


@pytest.mark.parametrize(
    ("line", "rtl", "expected"),
    [
        # A number between an Arabic source and a Latin date goes with the date.
        (
            "<i>صحيفة عكاظ · 27 September 2023</i>",
            False,
            "<i>\u2068صحيفة عكاظ\u2069 · 27 September 2023</i>",
        ),
        # And the run closes inside the tag that closes after it.
        (
            "<i>Example News · 18 يوليو 2023</i>",
            True,
            "<i>Example News · \u206818 يوليو 2023\u2069</i>",
        ),
    ],
)
def test_numbers_go_with_the_words_after_them_and_runs_close_inside_tags(
    line: str, rtl: bool, expected: str
) -> None:
    assert apply_bidi(line, rtl) == expected
