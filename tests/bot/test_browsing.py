"""/latest, /sources, /language and the article buttons (``bot.browsing``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.people import People
from knowledge import Article, Library
from tests.bot.helpers import (
    Bot,
    _plain,
    ask_and_get_answer,
    bot_message,
    buttons,
)
from tests.telegram_helpers import (
    callback,
    user,
)


async def test_show_article_sends_the_article(bot: Bot, library: Library) -> None:
    _, answer = await ask_and_get_answer(bot, "متى أعلن وقف إطلاق النار في غزة؟")
    article_button = next(b for b in buttons(answer) if b.startswith("a|"))
    bot.clear()
    await bot.send(callback(article_button, bot_message(answer)))
    sent = bot.sent("sendMessage")
    assert any("توسطت فيها مصر" in c.params["text"] for c in sent)
    assert bot.sent("answerCallbackQuery")


async def test_article_gone_after_reload_is_polite(
    bot: Bot, library: Library, sources: Path
) -> None:
    _, answer = await ask_and_get_answer(bot, "متى أعلن وقف إطلاق النار في غزة؟")
    article_button = next(b for b in buttons(answer) if b.startswith("a|"))
    (sources / "gaza.md").unlink()
    library.ingest([sources], sync=True)
    bot.clear()
    await bot.send(callback(article_button, bot_message(answer)))
    assert "no longer" in bot.last()["text"] or "لم يعد" in bot.last()["text"]
    assert bot.sent("answerCallbackQuery")


async def test_latest_pages_and_opens_articles(bot: Bot) -> None:
    await bot.say("/latest 2", from_user=user(1, "en"))
    params = bot.last()
    text = _plain(params["text"])
    assert text.index("lunar") < text.index("عمّان")  # newest first
    assert buttons(params)[-1] == "l|2|2"
    bot.clear()
    await bot.send(callback("l|2|2", bot_message(params)))
    edited = bot.sent("editMessageText")[0].params
    assert "غزة" in edited["text"] and "l|0|2" in buttons(edited)


async def test_latest_caps_n(bot: Bot) -> None:
    await bot.say("/latest 100000")
    assert _plain(bot.last()["text"]).count("📰") == 3


async def test_language_override(bot: Bot) -> None:
    await bot.say("/language", from_user=user(1, "en"))
    choose = bot.last()
    assert buttons(choose) == ["g|ar", "g|en"]
    await bot.send(callback("g|ar", bot_message(choose), from_user=user(1, "en")))
    await bot.say("what's the weather in London?", from_user=user(1, "en"))
    assert "لم أجد" in bot.last()["text"]


async def test_the_language_choice_is_shared_by_every_instance_and_kept(
    make_bot: Callable[..., Any], library: Library
) -> None:
    first, second = await make_bot(), await make_bot()  # two instances on one library
    await first.say("/language ar", from_user=user(7, "en"))
    await second.say("what's the weather in London?", from_user=user(7, "en"))
    assert "لم أجد" in second.last()["text"]
    with People(library.path) as reopened:  # kept in the database, across restarts
        assert reopened.language(7) == "ar" and reopened.language(8) is None
    await second.say("/language en", from_user=user(7, "ar"))
    await first.say("ما الطقس في لندن؟", from_user=user(7, "ar"))
    assert "I couldn't find an answer" in first.last()["text"]


async def test_sources_lists_origins_for_everyone(bot: Bot) -> None:
    await bot.say("/sources", from_user=user(3, "en"))
    text = _plain(bot.last()["text"])
    assert "Articles: 3 · Sources: 3" in text and "never" not in text
    # Named sources, else the folder the files are in (rain.md has no source).
    for line in ("• Example News: 1 news article · newest 21 May 2021", "• articles: 1 news"):
        assert line in text
    await bot.say("/sources", from_user=user(3, "ar"))
    assert "المصادر: 3" in bot.last()["text"] and "أحدثها 10 يوليو 2021" in bot.last()["text"]


async def test_sources_caps_the_list(bot: Bot, library: Library) -> None:
    from bot.listings import SOURCES_SHOWN

    library.add_articles(
        Article(f"k{i}", f"t{i}", f"نص المقال رقم {i} عن الأمطار", source=f"S{i:02}")
        for i in range(SOURCES_SHOWN + 5)
    )
    await bot.say("/sources", from_user=user(3, "en"))
    text = _plain(bot.last()["text"])
    assert text.count("• ") == SOURCES_SHOWN and text.endswith("… and 8 more")
