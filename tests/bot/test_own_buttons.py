"""The buttons under /settings and /forget are their requester's alone (reviewer's item 5): in
a group, anyone else who presses them gets a short alert, and nothing of anyone changes."""

from __future__ import annotations

from telegram.constants import InlineKeyboardButtonLimit

from bot import callbacks
from bot.callbacks import parse_callback
from bot.people import People
from tests.bot.helpers import Bot, bot_message, buttons
from tests.telegram_helpers import callback, group_chat, user

ALICE, BOB = user(1, "ar"), user(2, "en")


def in_group(params: dict, message_id: int) -> dict:
    msg = bot_message(params, message_id=message_id)
    msg["chat"] = group_chat()
    return msg


async def test_only_the_requester_may_answer_a_forget_prompt(bot: Bot) -> None:
    people: People = bot.app.bot_data.people
    people.set_language(1, "ar")
    people.set_language(2, "en")
    await bot.say("/forget", from_user=ALICE, chat=group_chat())
    prompt = bot.last()
    assert buttons(prompt) == ["z|1|1", "z|1|0"]
    msg = in_group(prompt, 60)
    for data in ("z|1|1", "z|1|0"):  # Bob deletes nothing, and cancels nothing
        await bot.send(callback(data, msg, BOB))
        alert = bot.sent("answerCallbackQuery")[-1].params
        assert alert["show_alert"] and "belongs to the person" in alert["text"]
    assert bot.sent("editMessageText") == []
    assert people.language(1) == "ar" and people.language(2) == "en"
    await bot.send(callback("z|1|1", msg, ALICE))
    assert "حُذف" in bot.sent("editMessageText")[-1].params["text"]
    assert people.language(1) is None and people.language(2) == "en"


async def test_only_the_requester_may_change_or_see_settings_in_their_message(bot: Bot) -> None:
    people: People = bot.app.bot_data.people
    await bot.say("/settings", from_user=ALICE, chat=group_chat())
    settings = bot.last()
    assert buttons(settings) == ["s|1|l|ar", "s|1|l|en", "s|1|p|0"]
    msg = in_group(settings, 61)
    await bot.send(callback("s|1|p|0", msg, BOB))
    alert = bot.sent("answerCallbackQuery")[-1].params
    assert alert["show_alert"] and "belongs to the person" in alert["text"]
    assert bot.sent("editMessageText") == []
    assert people.previews(1) is None and people.previews(2) is None
    await bot.send(callback("s|1|p|0", msg, ALICE))
    assert people.previews(1) is False
    assert "s|1|p|1" in buttons(bot.sent("editMessageText")[-1].params)


async def test_buttons_without_their_requester_have_expired(bot: Bot) -> None:
    await bot.say("/settings", from_user=ALICE)
    msg = bot_message(bot.last(), message_id=62)
    for old in ("z|1", "s|p|0", "s|l|en"):  # as made before the requester was in the data
        await bot.send(callback(old, msg, ALICE))
    assert bot.sent("editMessageText") == []
    assert bot.app.bot_data.people.previews(1) is None


def test_the_longest_settings_and_forget_data_fit_telegrams_limit() -> None:
    biggest = 2**52  # Telegram's user ids fit in 52 bits
    for data in (
        callbacks.setting(biggest, language="ar"),
        callbacks.setting(biggest, previews=True),
        callbacks.forget(biggest, True),
    ):
        assert len(data.encode()) <= InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
        assert parse_callback(data)[1][0] == biggest
    assert parse_callback("s|7|l|en") == ("s", (7, "en"))
    assert parse_callback("s|7|p|0") == ("s", (7, "0"))
    assert parse_callback("z|7|1") == ("z", (7, 1))
    assert parse_callback("z|1") == ("", ())
