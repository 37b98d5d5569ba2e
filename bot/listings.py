"""What the library holds, as replies: a page of the newest articles, one whole article over
several messages, and /sources (the origins covered).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot import callbacks
from bot.bidi import apply_bidi
from bot.blocks import article_header, one_line
from bot.i18n import format_date, format_moment, is_arabic, plural, t, t_plain
from bot.limits import MAX_MESSAGE
from bot.markup import escape, link, visible_len
from bot.messages import Button, Reply
from bot.splitting import render_long, split_html_blocks
from knowledge.text import strip_invisible

if TYPE_CHECKING:
    from knowledge import ArticleInfo, Coverage, StoredArticle

__all__ = [
    "ARTICLE_CHUNK",
    "MAX_ARTICLE_MESSAGES",
    "SOURCES_SHOWN",
    "format_article",
    "format_coverage",
    "format_latest",
]

ARTICLE_CHUNK = 3500
"""Article messages stay a little under the limit: easier to read and a safety margin."""
MAX_ARTICLE_MESSAGES = 8
SOURCES_SHOWN = 20
"""Origins listed by /sources; the rest are counted."""


def format_latest(
    items: Sequence[ArticleInfo], lang: str, offset: int, n: int, has_more: bool
) -> Reply:
    """A page of the newest articles with buttons to open each and to page."""
    if not items:
        return Reply(t(lang, "latest_empty"))
    blocks = [t(lang, "latest_title")]
    for i, info in enumerate(items, offset + 1):
        blocks.append(
            article_header(info.title, info.url, info.published, info.source, lang, f"<b>{i}.</b> ")
        )
    text = apply_bidi("\n\n".join(blocks), lang == "ar")
    if visible_len(text) > MAX_MESSAGE:  # only with absurd titles: keep what fits
        text = split_html_blocks([apply_bidi(b, lang == "ar") for b in blocks])[0]
    open_buttons = [
        Button(f"📄 {i}", callbacks.article(info.id)) for i, info in enumerate(items, offset + 1)
    ]
    rows = [tuple(open_buttons[i : i + 5]) for i in range(0, len(open_buttons), 5)]
    nav = []
    if offset > 0:
        nav.append(Button(t_plain(lang, "newer"), callbacks.latest_page(max(0, offset - n), n)))
    if has_more:
        nav.append(Button(t_plain(lang, "older"), callbacks.latest_page(offset + n, n)))
    if nav:
        rows.append(tuple(nav))
    return Reply(text, tuple(rows))


def format_article(article: StoredArticle, lang: str) -> list[Reply]:
    """The whole article, split into messages between paragraphs or sentences."""
    rtl = is_arabic(article.text[:2000]) if article.text else lang == "ar"
    header = apply_bidi(
        article_header(article.title, article.url, article.published, article.source, lang), rtl
    )
    blocks = [header]
    # Leave room for the header so that the first message also carries text.
    room = ARTICLE_CHUNK - visible_len(header) - 2
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", strip_invisible(article.text))]
    if paragraphs and _same_words(paragraphs[0], article.title):
        paragraphs = paragraphs[1:]  # the headline as the text's first line: shown once
    for paragraph in paragraphs:
        if paragraph:
            blocks += render_long(paragraph, room, rtl)
    messages = split_html_blocks(blocks, ARTICLE_CHUNK)
    if len(messages) > MAX_ARTICLE_MESSAGES:
        messages = messages[:MAX_ARTICLE_MESSAGES]
        cut = "article_cut_link" if link(article.url) else "article_cut"
        messages[-1] += "\n\n" + apply_bidi(t(lang, cut), lang == "ar")
    buttons: tuple[tuple[Button, ...], ...] = ()
    if link(article.url):
        buttons = ((Button(t_plain(lang, "open_link"), url=article.url),),)
    return [Reply(m, buttons if i == len(messages) - 1 else ()) for i, m in enumerate(messages)]


def _same_words(text: str, title: str) -> bool:
    """Whether ``text`` says ``title`` (case and punctuation aside)."""
    return (
        bool(title)
        and re.sub(r"\W+", " ", text).strip().casefold()
        == re.sub(r"\W+", " ", title).strip().casefold()
    )


def format_coverage(coverage: Coverage, lang: str) -> Reply:
    """/sources: per origin, its article count and newest article; the first
    ``SOURCES_SHOWN`` origins (most articles first), the others counted."""
    if not coverage.origins:
        return Reply(t(lang, "latest_empty"))
    text = t(
        lang,
        "sources",
        articles=coverage.articles,
        sources=len(coverage.origins),
        last=format_moment(coverage.last_refresh, lang) or t_plain(lang, "never"),
    )
    lines = [text, ""]
    for origin in coverage.origins[:SOURCES_SHOWN]:
        name = escape(one_line(origin.name, 80)) or t(lang, "unnamed")
        line = f"• <b>{name}</b>: {escape(plural(lang, 'articles_listed', origin.articles))}"
        if origin.newest:
            line += " · " + t(lang, "newest", date=format_date(origin.newest, lang))
            if origin.newest_title:
                # on a line of its own, which takes its own direction: an English title must
                # not turn an Arabic line round
                line += f"\n   «{escape(one_line(origin.newest_title, 70))}»"
        lines.append(line)
    hidden = len(coverage.origins) - SOURCES_SHOWN
    if hidden > 0:
        lines.append(t(lang, "more_sources", count=hidden))
    text = apply_bidi("\n".join(lines), lang == "ar")
    return Reply(split_html_blocks(text.split("\n"), MAX_MESSAGE, "\n")[0])
