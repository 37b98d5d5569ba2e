"""Hostile text: channel posts full of markup, garbage inline queries and questions with
characters that cannot be encoded all get valid, escaped Telegram HTML within limits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from knowledge import Library
from tests.bot.helpers import Bot, bot_message, buttons
from tests.telegram_helpers import assert_telegram_html, callback, inline_query, user

MARKUP_POST = (
    "<b>Desalination</b> plant & <script>alert(1)</script> opens in Aqaba\n"
    "The <i>new plant in Aqaba <b>desalinates & pumps</i> seawater for 50 million "
    "people <a href='x'>link</a> &amp; &lt;more&gt; </b></b>"
)

GARBAGE = [
    "غزة " * 400,  # far over any limit
    "ما\x00 عدد\x07 الضحايا\x1b في\x7f غزة",  # control characters
    "ما عدد الضحايا \ud800 في غزة \udfff",  # lone surrogates
    "?!.,;:«»()[]{}<>&\"'",  # only punctuation
    "\u200f\u202e\u2067\u200f غزة \u202c\u2069",  # RTL marks and overrides
    "<b>غزة</b> & <script>",
]


def assert_all_html(bot: Bot) -> None:
    for call in bot.sent():
        params = call.params
        if params.get("parse_mode") == "HTML":
            assert_telegram_html(params["text"])
        for result in params.get("results") or []:
            content = result["input_message_content"]
            assert_telegram_html(content["message_text"])
            assert result["title"].strip() and len(result["title"]) <= 256
            assert len(result.get("description", "")) <= 512
            for field in (result["title"], result.get("description", "")):
                field.encode("utf-8")  # no lone surrogates


async def test_a_question_with_a_lone_surrogate_is_answered(bot: Bot) -> None:
    await bot.say("ما عدد الضحايا في \ud800غزة؟", from_user=user(1, "ar"))
    text = bot.last()["text"]
    assert "مئتين" in text and "خطأ" not in text
    assert_all_html(bot)


@pytest.mark.parametrize("query", GARBAGE)
async def test_garbage_inline_queries_get_valid_results(bot: Bot, query: str) -> None:
    await bot.send(inline_query(query, from_user=user(4, "ar")))
    answers = bot.sent("answerInlineQuery")
    assert len(answers) == 1, bot.sent()
    assert_all_html(bot)


@pytest.mark.parametrize("query", GARBAGE)
async def test_garbage_questions_get_valid_replies(bot: Bot, query: str) -> None:
    await bot.say(query, from_user=user(1, "ar"))
    assert bot.sent("sendMessage")
    assert "خطأ" not in bot.last()["text"] and "wrong" not in bot.last()["text"]
    assert_all_html(bot)


async def test_a_channel_post_with_markup_is_shown_escaped(
    make_bot: Callable[..., Any], library: Library
) -> None:
    b = await make_bot(ARTICLEBOT_CHANNELS="@news_channel")
    await b.say("/follow desalination", from_user=user(3, "en"))
    b.clear()
    await b.post(MARKUP_POST, 90)
    hit = library.search("desalination plant Aqaba", 1).hits[0]
    assert "<script>" in hit.title  # stored as the channel wrote it, shown escaped
    await b.say("desalination plant in Aqaba", from_user=user(3, "en"))
    await b.send(inline_query("desalination plant Aqaba", from_user=user(3, "en")))
    await b.send(inline_query("", from_user=user(3, "en")))
    await b.say("/latest", from_user=user(3, "en"))
    article = next(x for x in buttons(b.last()) if x and x.startswith("a|"))
    await b.send(callback(article, bot_message(b.last()), from_user=user(3, "en")))
    texts = [c.params["text"] for c in b.sent("sendMessage", "editMessageText")]
    assert texts[0].count("&lt;script&gt;") == 1 and "Desalination" in texts[0]  # the alert
    assert any("&lt;script&gt;" in text for text in texts), texts
    assert not any("<script>" in text for text in texts)
    assert_all_html(b)


LONG_MARKUP = "<b>desalination</b> & <i>Aqaba</i> &amp; <a href='x'>plant</a> </b> " * 120


@pytest.mark.parametrize("text", [LONG_MARKUP, "Aqaba desalination " + "&<" * 2500])
async def test_long_posts_full_of_markup_stay_valid(
    make_bot: Callable[..., Any], text: str
) -> None:
    b = await make_bot(ARTICLEBOT_CHANNELS="@news_channel")
    await b.say("/follow desalination", from_user=user(3, "en"))
    await b.post(text, 91)
    await b.say("desalination Aqaba", from_user=user(3, "en"))
    for page in [x for x in buttons(b.last()) if x and x.startswith(("a|", "m|"))]:
        await b.send(callback(page, bot_message(b.last()), from_user=user(3, "en")))
    await b.send(inline_query("desalination Aqaba", from_user=user(3, "en")))
    await b.send(inline_query("", from_user=user(3, "en")))
    await b.say("/latest", from_user=user(3, "en"))
    assert_all_html(b)  # within Telegram's limit too


@pytest.mark.parametrize("query", ["amp plant Aqaba", "lt gt quot desalination", "b i a href x"])
async def test_highlighting_never_breaks_the_escaped_markup_of_a_post(
    make_bot: Callable[..., Any], query: str
) -> None:
    b = await make_bot(ARTICLEBOT_CHANNELS="@news_channel")
    await b.post(MARKUP_POST + ' "quoted" it\'s', 92)
    await b.say(query, from_user=user(3, "en"))
    await b.send(inline_query(query, from_user=user(3, "en")))
    assert_all_html(b)
