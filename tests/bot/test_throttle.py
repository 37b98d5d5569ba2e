"""Flood control (``bot.throttle``)."""

from __future__ import annotations

from bot.throttle import Throttle
from tests.bot.helpers import (
    Bot,
)
from tests.telegram_helpers import (
    group_chat,
    user,
)


async def test_flood_from_one_user_does_not_delay_others(bot: Bot) -> None:
    now = [0.0]
    bot.app.bot_data.throttle = Throttle(capacity=3, rate=0.5, clock=lambda: now[0])
    for _ in range(10):
        await bot.say("غزة", from_user=user(1, "ar"))
    to_one = [c for c in bot.sent("sendMessage") if c.params["chat_id"] == 1]
    assert len(to_one) == 4  # three answers and one polite "slow down"
    assert "انتظر" in to_one[-1].params["text"]
    await bot.say("غزة", from_user=user(2, "ar"))
    assert bot.last()["chat_id"] == 2
    now[0] += 10  # tokens come back with time
    await bot.say("غزة", from_user=user(1, "ar"))
    assert bot.last()["chat_id"] == 1 and "غزة" in bot.last()["text"]


async def test_group_chatter_does_not_use_up_the_allowance(bot: Bot) -> None:
    now = [0.0]
    bot.app.bot_data.throttle = Throttle(capacity=2, rate=0.5, clock=lambda: now[0])
    group = group_chat(-20)
    for _ in range(10):  # people talking among themselves (privacy mode off)
        await bot.say("ما عدد الضحايا في غزة؟", chat=group, from_user=user(5, "ar"))
    assert bot.sent("sendMessage") == []
    for _ in range(4):  # then a flood addressed to the bot
        await bot.say("/ask ما عدد الضحايا في غزة؟", chat=group, from_user=user(5, "ar"))
    texts = [c.params["text"] for c in bot.sent("sendMessage")]
    assert len(texts) == 3 and "مئتين" in texts[0] and "مئتين" in texts[1]
    assert "انتظر" in texts[2]  # one polite notice, then silence
