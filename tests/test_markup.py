"""bot.markup: Telegram HTML as text; and the HTML validator the reply tests rely on."""

from __future__ import annotations

import pytest

from bot import markup
from tests.telegram_helpers import assert_telegram_html, telegram_html_errors


@pytest.mark.parametrize(
    "bad",
    ["<b>open", "<div>x</div>", "a & b", "<b><i>x</b></i>", "x" * 4097, '<a href="foo">x</a>', ""],
)
def test_validator_rejects_bad_html(bad: str) -> None:
    assert telegram_html_errors(bad)


def test_validator_accepts_good_html() -> None:
    assert_telegram_html('<b>a</b> &lt;x&gt; &amp; <a href="https://e.com/?a=1&amp;b=2">l</a>')


def test_html_to_text_is_readable() -> None:
    text = markup.html_to_text(
        '<b>x</b> <a href="https://e.com/?a&amp;b">t</a>\n<blockquote>q</blockquote>'
    )
    assert text == "*x* t (https://e.com/?a&b)\n  │ q"
