"""The callback-data protocol and the routing of buttons by pattern (``bot.callbacks``)."""

from __future__ import annotations

from tests.bot.helpers import (
    Bot,
    bot_message,
)
from tests.telegram_helpers import (
    callback,
)


async def test_garbage_callback_data_is_answered(bot: Bot) -> None:
    await bot.send(callback("zzz|<>", bot_message({"chat_id": 1, "text": "x"})))
    assert len(bot.sent("answerCallbackQuery")) == 1
