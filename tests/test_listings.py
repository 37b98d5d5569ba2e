"""bot.listings: /latest pages, whole articles over several messages, /sources."""

from __future__ import annotations

import dataclasses

import pytest

from bot import i18n, listings, markup
from knowledge import ArticleInfo, Coverage, Origin
from tests.reply_helpers import article, labels
from tests.telegram_helpers import assert_telegram_html


def test_long_article_is_split_between_paragraphs_into_valid_messages() -> None:
    paragraphs = [f"الفقرة رقم {i}: " + "جملة قصيرة في النص. " * 30 for i in range(40)]
    messages = listings.format_article(article("\n\n".join(paragraphs)), "ar")
    assert 1 < len(messages) <= listings.MAX_ARTICLE_MESSAGES
    for m in messages:
        assert_telegram_html(m.text)
    # No paragraph is cut in two when paragraphs are small enough to fit.
    joined = "\n\n".join(markup.visible_text(m.text) for m in messages)
    assert joined.count("الفقرة رقم 3:") == 1
    assert messages[-1].buttons[0][0].url == "https://example.com/x"


def test_a_headline_that_is_also_the_texts_first_line_is_shown_once() -> None:
    # A .txt file's first line is its headline and stays in its text.
    text = "BBC budget deficit widens.\n\nThe deficit grew to £15.8m."
    story = dataclasses.replace(article(text, url=None), title="BBC budget deficit widens")
    (message,) = listings.format_article(story, "en")
    assert markup.visible_text(message.text).count("BBC budget deficit widens") == 1
    assert "£15.8m" in message.text


def test_one_giant_paragraph_is_split_on_sentences() -> None:
    text = "هذه جملة تامة في المقال. " * 600
    messages = listings.format_article(article(text, url=None), "ar")
    for m in messages:
        assert_telegram_html(m.text)
        body = markup.visible_text(m.text).rstrip()
        assert body.endswith((".", ")", "…", "المقال"))
    assert messages[-1].buttons == ()


def test_word_without_spaces_is_still_split() -> None:
    messages = listings.format_article(article("x" * 20000), "en")
    for m in messages:
        assert_telegram_html(m.text)


def test_latest_lists_articles_with_buttons_and_paging() -> None:
    infos = [
        ArticleInfo(i, f"k{i}", f"Title {i} & co", "2024-01-0" + str(i), None, "src", "en", "", 1)
        for i in range(1, 4)
    ]
    reply = listings.format_latest(infos, "en", offset=3, n=3, has_more=True)
    assert_telegram_html(reply.text)
    assert "Title 1 &amp; co" in reply.text
    assert labels(reply) == ["a|1", "a|2", "a|3", "l|0|3", "l|6|3"]
    assert "4." in markup.visible_text(reply.text)


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_coverage_lists_origins_escaped_and_within_the_limit(lang: str) -> None:
    origins = [
        Origin(
            "قناة <الأخبار> & co " + "طويل " * 40, 12, "2024-03-05T10:00:00+00:00", "A <b> title"
        )
    ]
    origins += [Origin("", 1, None)] + [Origin(f"S{i}", 1, None) for i in range(100)]
    coverage = Coverage(113, origins, "2026-01-02T03:04:05+00:00")
    text = listings.format_coverage(coverage, lang).text
    assert_telegram_html(text)
    assert "&lt;الأخبار&gt; &amp; co" in text and "…</b>" in text  # shortened at a word
    assert "\n   «A &lt;b&gt; title»\n" in text  # the newest title, on a line of its own
    # The update time in the user's language, not an ISO stamp.
    when = "2 يناير 2026، 03:04 UTC" if lang == "ar" else "2 January 2026, 03:04 UTC"
    assert (
        when in text
        and "2026-01-02" not in text
        and "5 " in text
        and ("March" in text) == (lang == "en")
    )
    assert text.count("• ") == listings.SOURCES_SHOWN and "82" in text.rsplit("\n", 1)[-1]
    assert f"<b>{i18n.t_plain(lang, 'unnamed')}</b>" in text
    assert listings.format_coverage(Coverage(0, [], None), lang).text == i18n.t(
        lang, "latest_empty"
    )


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_undated_articles_show_no_date_in_listings(lang: str) -> None:
    # An article may have no date: listed, opened and counted without one, never "None".
    undated = ArticleInfo(1, "k1", "بلا تاريخ", None, None, "src", "ar", "", 1)
    page = listings.format_latest([undated], lang, 0, 5, has_more=False)
    assert_telegram_html(page.text)
    assert "None" not in page.text and "بلا تاريخ" in page.text
    whole = article("نص المقال.")
    whole = type(whole)(**{**whole.__dict__, "published": None})
    for reply in listings.format_article(whole, lang):
        assert_telegram_html(reply.text)
        assert "None" not in reply.text
    coverage = Coverage(1, [Origin("src", 1, None, None)], None)
    text = listings.format_coverage(coverage, lang).text
    assert_telegram_html(text)
    assert "None" not in text
