"""An answer's link preview survives paging (reviewer's item 6): the first page previews its
top article, as the answer did, also when "back" brings it again; later pages preview
nothing (their articles are not the answer's top one)."""

from __future__ import annotations

from tests.bot.helpers import Bot, bot_message, buttons
from tests.telegram_helpers import callback, user

QUESTION = "متى أعلن وقف إطلاق النار في غزة؟"
URL = "https://example.com/gaza?a=1&b=2"


async def test_paging_keeps_the_first_pages_preview(bot: Bot, many: list[int]) -> None:
    alice = user(1, "ar")
    question = await bot.say(QUESTION, from_user=alice)
    answer = bot.last()
    assert answer["link_preview_options"]["url"] == URL and "m|1" in buttons(answer)
    bot.clear()
    await bot.send(callback("m|1", bot_message(answer, reply_to=question), alice))
    page = bot.sent("editMessageText")[-1].params
    assert page["link_preview_options"] == {"is_disabled": True}
    await bot.send(callback("m|0", bot_message(page, reply_to=question), alice))
    back = bot.sent("editMessageText")[-1].params
    assert back["link_preview_options"]["url"] == URL
    assert not back["link_preview_options"]["is_disabled"]


async def test_paging_back_shows_no_preview_to_whom_turned_them_off(
    bot: Bot, many: list[int]
) -> None:
    bot.app.bot_data.people.set_previews(1, False)
    alice = user(1, "ar")
    question = await bot.say(QUESTION, from_user=alice)
    answer = bot.last()
    await bot.send(callback("m|0", bot_message(answer, reply_to=question), alice))
    edits = bot.sent("editMessageText")
    assert edits and all(e.params["link_preview_options"] == {"is_disabled": True} for e in edits)
