"""bot.follow_replies: the follow list and the alert messages."""

from __future__ import annotations

from bot import follow_replies, markup
from tests.reply_helpers import hit, labels
from tests.telegram_helpers import assert_telegram_html


def test_alerts_are_valid_html_within_the_limit() -> None:
    from bot.people import Alert, ChatAlerts

    long_text = ("كلمة " * 2000).strip() + "."
    alerts = [
        Alert(1, 1, "سيف <القدس> & " + "x" * 200, hit(long_text, article_id=i, title="ع" * 500))
        for i in range(3)
    ]
    for lang in ("ar", "en"):
        reply = follow_replies.format_alerts(
            ChatAlerts(1, lang, alerts, left_out=(4, 5, 6, 7)), lang
        )
        assert_telegram_html(reply.text)
        assert "سيف <القدس> &" in markup.html_to_text(reply.text)
        assert "4" in reply.text.rsplit("\n", 1)[-1]  # the articles left out
        assert [b.data for row in reply.buttons for b in row] == ["a|0", "a|1", "a|2"]


def test_follow_list_has_a_button_per_phrase() -> None:
    from bot.people import Follow

    follows = [Follow(3, 1, "غزة", "ar", "t"), Follow(9, 1, "<Lunar> & mission", "en", "t")]
    reply = follow_replies.format_follows(follows, "en", "Gaza")
    assert_telegram_html(reply.text)
    assert labels(reply) == ["u|3", "u|9"] and "&lt;Lunar&gt; &amp; mission" in reply.text
    empty = follow_replies.format_follows([], "ar", "غزة")
    assert_telegram_html(empty.text)
    assert "/follow غزة" in empty.text and empty.buttons == ()
