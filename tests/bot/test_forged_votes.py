"""A vote counts only from someone the answer was sent to: the button pressed must be one of
the buttons under the answer it comes with (forged callback data is refused politely)."""

from __future__ import annotations

from bot.people import People
from tests.bot.helpers import Bot, ask_and_get_answer, bot_message
from tests.bot.test_questions import votes_of
from tests.telegram_helpers import callback, user


async def test_forged_vote_naming_another_answer_is_refused(bot: Bot, people: People) -> None:
    question, answer = await ask_and_get_answer(bot, "ما عدد الضحايا في غزة؟")
    (_, up), _ = votes_of(answer)
    _, other = await ask_and_get_answer(bot, "هطلت أمطار غزيرة على عمّان")
    (_, other_up), _ = votes_of(other)
    other_id = int(other_up.split("|")[1])
    shown = bot_message(answer, reply_to=question)
    bot.clear()
    # A vote on another question's answer, pressed under this one (data forged by a client).
    forged = f"f|{other_id}|1|{'|'.join(up.split('|')[3:])}"
    await bot.send(callback(forged, shown, from_user=user(1, "ar")))
    # And this answer's question with passages it never showed.
    await bot.send(callback(f"f|{up.split('|')[1]}|0|1|2|3", shown, from_user=user(1, "ar")))
    replies = bot.sent("answerCallbackQuery")
    assert len(replies) == 2 and all(r.params.get("text") for r in replies)
    assert bot.sent("editMessageReplyMarkup") == []
    assert people.votes(other_id).helpful == 0
    assert people.votes(int(up.split("|")[1])).unhelpful == 0
    await bot.send(callback(up, shown, from_user=user(1, "ar")))  # the real button counts
    assert people.votes(int(up.split("|")[1])).helpful == 1


async def test_a_vote_needs_the_answer_it_is_under(bot: Bot, people: People) -> None:
    question, answer = await ask_and_get_answer(bot, "ما عدد الضحايا في غزة؟")
    (_, up), _ = votes_of(answer)
    question_id = int(up.split("|")[1])
    # A message of someone else's (not the bot's) carrying the same data.
    forwarded = {**bot_message(answer, reply_to=question), "from": user(5, "ar")}
    await bot.send(callback(up, forwarded, from_user=user(5, "ar")))
    assert people.votes(question_id).helpful == 0
