"""bot.splitting: long content as messages within the limit."""

from __future__ import annotations

from bot import markup, splitting


def test_plain_fallback_is_split_within_the_limit_in_utf16_units() -> None:
    # Emoji count twice in UTF-16: 3,000 of them are over the limit in 3,000 characters.
    text = "<b>" + "😀 " * 1500 + "</b>\n\n" + "نص قصير. " * 600
    pieces = splitting.plain_pieces(text)
    assert len(pieces) >= 2
    assert all(0 < markup.utf16_len(p) <= 4096 for p in pieces)
    assert "<b>" not in "".join(pieces)
    assert splitting.plain_pieces("<b>short</b>") == ["short"]
