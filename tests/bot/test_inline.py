"""Inline mode (``bot.inline``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.throttle import Throttle
from knowledge import Library
from tests.bot.helpers import (
    Bot,
    refuse,
)
from tests.telegram_helpers import (
    assert_telegram_html,
    inline_query,
    user,
)


async def ask_inline(bot: Bot, query: str, offset: str = "", **kwargs: Any) -> dict:
    """The parameters of the bot's answer to an inline query."""
    bot.clear()
    await bot.send(inline_query(query, offset, **kwargs))
    answers = bot.sent("answerInlineQuery")
    assert len(answers) == 1
    return answers[0].params


def check_results(params: dict, library: Library) -> None:
    """Valid results: one per article, each message valid HTML quoting only the library."""
    from bot.markup import visible_text

    results = params["results"]
    assert len({r["id"] for r in results}) == len(results) <= 50
    for r in results:
        assert r["type"] == "article" and r["title"] and r["description"]
        content = r["input_message_content"]
        assert content["parse_mode"] == "HTML"
        assert_telegram_html(content["message_text"])
        quote = content["message_text"].split("<blockquote>")[1].split("</blockquote>")[0]
        quoted = re.sub("[\u200f\u2068\u2069]", "", visible_text(quote)).rstrip("…")
        assert quoted in library.article(int(r["id"])).text


async def test_inline_question_pages_through_articles(
    bot: Bot, library: Library, many: list[int]
) -> None:
    seen: list[str] = []
    offset = ""
    for expected in (10, 10, 6):  # the 25 reports and the Gaza article
        params = await ask_inline(bot, "الهدنة في غزة", offset, from_user=user(4, "ar"))
        check_results(params, library)
        assert len(params["results"]) == expected
        assert params["is_personal"] is False and params["cache_time"] == 30
        seen += [r["id"] for r in params["results"]]
        offset = params.get("next_offset", "")  # none on the last page
        assert offset == (str(len(seen)) if expected == 10 else "")
    assert len(set(seen)) == 26 and set(map(int, seen)) >= set(many)


async def test_inline_results_are_one_per_article_with_its_best_passage(
    bot: Bot, library: Library
) -> None:
    query = "غزة الهدنة وقف إطلاق النار الضحايا"
    assert len({h.article_id for h in library.search(query, k=10).hits}) < len(
        library.search(query, k=10).hits
    )  # the Gaza article has several matching passages...
    params = await ask_inline(bot, query)
    check_results(params, library)  # ...and one result
    first = params["results"][0]
    gaza = library.search(query, k=1).hits[0]
    assert (
        first["id"] == str(gaza.article_id) and first["url"] == "https://example.com/gaza?a=1&b=2"
    )
    assert first["description"] in gaza.best_sentence or first["description"].endswith("…")
    message = first["input_message_content"]["message_text"]
    assert 'href="https://example.com/gaza?a=1&amp;b=2"' in message and "🔎" in message


async def test_an_empty_inline_query_lists_the_newest_articles(bot: Bot, library: Library) -> None:
    params = await ask_inline(bot, "  ", from_user=user(4, "en"))
    check_results(params, library)
    assert [r["title"] for r in params["results"]] == [a.title for a in library.latest(3)]
    assert "next_offset" not in params  # no next page
    assert params["results"][0]["description"].startswith("Space Desk · 10 July 2021: The space")
    assert params["is_personal"] is True  # its labels are in the asker's language
    arabic = await ask_inline(bot, "", from_user=user(5, "ar"))
    assert arabic["results"][0]["description"].startswith("Space Desk · 10 يوليو 2021")


async def test_inline_labels_follow_the_question_not_the_asker(bot: Bot) -> None:
    # Telegram reuses a non-personal answer for whoever types the same query next.
    english = await ask_inline(bot, "ما الطقس في لندن؟", from_user=user(4, "en"))
    arabic = await ask_inline(bot, "ما الطقس في لندن؟", from_user=user(5, "ar"))
    english.pop("inline_query_id"), arabic.pop("inline_query_id")
    assert english == arabic and "لا إجابة" in english["button"]["text"]
    assert english["is_personal"] is False


async def test_newest_articles_page_inline(bot: Bot, library: Library, many: list[int]) -> None:
    first = await ask_inline(bot, "")
    second = await ask_inline(bot, "", first["next_offset"])
    assert first["next_offset"] == "10" and second["next_offset"] == "20"
    ids = [r["id"] for r in first["results"] + second["results"]]
    assert ids == [str(a.id) for a in library.latest(20)]


async def test_an_unanswered_inline_question_offers_the_bot(bot: Bot) -> None:
    params = await ask_inline(bot, "what's the weather in London?", from_user=user(4, "en"))
    assert params["results"] == [] and "next_offset" not in params
    assert params["button"] == {
        "text": "🤔 No answer in the library · open the bot",
        "start_parameter": "inline",
    }
    params = await ask_inline(bot, "ما الطقس في لندن؟", from_user=user(4, "en"))
    assert "لا إجابة" in params["button"]["text"]
    await bot.say("/start inline", from_user=user(4, "en"))  # the button opens the bot
    assert "Hello" in bot.last()["text"]


async def test_a_bad_or_past_the_end_offset(bot: Bot) -> None:
    assert (await ask_inline(bot, "غزة", "zzz"))["results"]  # read as the first page
    assert (await ask_inline(bot, "غزة", "50"))["results"] == []


async def test_inline_floods_have_their_own_allowance(bot: Bot) -> None:
    now = [0.0]
    bot.app.bot_data.throttle = Throttle(capacity=1, clock=lambda: now[0])
    bot.app.bot_data.inline_throttle = Throttle(capacity=3, clock=lambda: now[0])
    await bot.say("غزة", from_user=user(6, "ar"))  # the chat allowance is used up
    answers = [await ask_inline(bot, "غزة", from_user=user(6, "ar")) for _ in range(4)]
    assert [bool(a["results"]) for a in answers] == [True, True, True, False]
    assert answers[-1]["is_personal"] is True and answers[-1]["cache_time"] == 0


async def test_an_expired_inline_query_is_not_an_error(make_bot: Callable[..., Any]) -> None:
    b = await make_bot(
        refuse("answerInlineQuery", "Bad Request: query is too old and response timeout expired"),
        ARTICLEBOT_ADMIN_CHAT_ID="-777",
    )
    await b.send(inline_query("غزة"))
    assert len(b.sent("answerInlineQuery")) == 1 and b.sent("sendMessage") == []
