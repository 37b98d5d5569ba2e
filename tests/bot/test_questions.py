"""Questions (private chats, groups, captions, /ask), the pages of an answer and the votes
under it (``bot.questions``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.people import People
from knowledge import Library
from tests.bot.helpers import (
    ADMIN,
    Bot,
    _plain,
    ask_and_get_answer,
    bot_message,
    buttons,
)
from tests.telegram_helpers import (
    BOT_USERNAME,
    callback,
    group_chat,
    message,
    update,
    user,
)


async def test_private_question_is_answered_with_quoted_passage(bot: Bot) -> None:
    question = await bot.say("متى أعلن وقف إطلاق النار في غزة؟", from_user=user(1, "ar"))
    methods = [c.method for c in bot.request.calls]
    assert "sendChatAction" in methods
    assert methods.index("sendChatAction") < methods.index("sendMessage")
    params = bot.last()
    assert params["parse_mode"] == "HTML"
    assert params["reply_parameters"]["message_id"] == question["message_id"]
    assert "<b>غزة</b>" in params["text"] or "<b>" in params["text"]
    assert "وقف إطلاق النار" in params["text"]
    assert 'href="https://example.com/gaza?a=1&amp;b=2"' in params["text"]
    assert any(b.startswith("a|") for b in buttons(params))
    # Issue 11: the top article's page is previewed (it was {"is_disabled": True} before).
    assert params["link_preview_options"] == {
        "is_disabled": False,
        "url": "https://example.com/gaza?a=1&b=2",
        "prefer_small_media": True,
    }


async def test_english_question_gets_english_ui(bot: Bot) -> None:
    await bot.say("when did the lunar mission launch?", from_user=user(1, None))
    text = bot.last()["text"]
    assert "lunar mission" in text
    labels = [b["text"] for row in bot.last()["reply_markup"]["inline_keyboard"] for b in row]
    assert "📄 Article" in labels


async def test_off_topic_question_gets_kind_no_answer(bot: Bot) -> None:
    await bot.say("what's the weather in London?", from_user=user(1, "en"))
    text = bot.last()["text"]
    assert "couldn't find" in text
    assert "غزة" not in text and "lunar" not in text
    assert buttons(bot.last()) == ["l|0|5"]


async def test_questions_are_logged_for_stats(people: People, bot: Bot, library: Library) -> None:
    await bot.say("ما عدد الضحايا في غزة؟")
    await bot.say("what's the weather in London?")
    stats = people.stats(library)
    assert stats.questions == 2 and stats.unanswered == 1


@pytest.mark.parametrize(
    "text",
    ["😀😀😀", "<b>&amp;</b> < > &", "\u200f\u2068\u2069\u202e", "x" * 4000, "من في على", "  ?  "],
)
async def test_odd_questions_get_a_valid_reply(bot: Bot, text: str) -> None:
    await bot.say(text)
    assert len(bot.sent("sendMessage")) == 1


async def test_non_text_messages_get_a_hint(bot: Bot) -> None:
    sticker = {
        "file_id": "s",
        "file_unique_id": "u",
        "type": "regular",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
    }
    await bot.say(None, extra={"sticker": sticker})
    assert "only read text" in bot.last()["text"]


async def test_a_photo_caption_is_the_question(bot: Bot) -> None:
    photo = [{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}]
    await bot.say(None, extra={"photo": photo, "caption": "متى أعلن وقف إطلاق النار في غزة؟"})
    assert "وقف إطلاق النار" in bot.last()["text"]
    await bot.say(None, extra={"photo": photo})  # no caption: the hint
    assert "only read text" in bot.last()["text"]


async def test_edited_messages_are_ignored(bot: Bot) -> None:
    await bot.send(update("edited_message", {**message("غزة"), "edit_date": 1_700_000_100}))
    assert bot.sent("sendMessage") == []


async def test_more_results_edits_the_same_message(bot: Bot) -> None:
    question, answer = await ask_and_get_answer(bot, "غزة الهدنة وقف إطلاق النار الضحايا")
    assert "m|1" in buttons(answer)
    bot.clear()
    await bot.send(callback("m|1", bot_message(answer, reply_to=question)))
    edits = bot.sent("editMessageText")
    assert len(edits) == 1 and edits[0].params["message_id"] == 7000
    assert "4." in _plain(edits[0].params["text"])
    assert "m|0" in buttons(edits[0].params)
    assert bot.sent("answerCallbackQuery")


async def test_paging_works_after_a_restart(make_bot: Callable[..., Any]) -> None:
    first = await make_bot()
    question, answer = await ask_and_get_answer(first, "غزة الهدنة وقف إطلاق النار الضحايا")
    await first.app.shutdown()
    second = await make_bot()  # a new process: nothing in memory
    await second.send(callback("m|1", bot_message(answer, reply_to=question)))
    assert len(second.sent("editMessageText")) == 1
    await second.app.shutdown()


async def test_paging_falls_back_to_the_answer_header(bot: Bot) -> None:
    _, answer = await ask_and_get_answer(bot, "غزة الهدنة وقف إطلاق النار الضحايا")
    bot.clear()
    await bot.send(callback("m|1", bot_message(answer, reply_to=None)))
    assert len(bot.sent("editMessageText")) == 1


async def test_paging_without_the_question_says_expired(bot: Bot) -> None:
    msg = bot_message({"chat_id": 1, "text": "something else"})
    await bot.send(callback("m|1", msg))
    answers = bot.sent("answerCallbackQuery")
    assert len(answers) == 1 and "expired" in answers[0].params["text"]
    assert bot.sent("editMessageText") == []


async def test_groups_answer_only_when_addressed(bot: Bot) -> None:
    group = group_chat(-10)
    await bot.say("ما عدد الضحايا في غزة؟", chat=group)
    assert bot.sent("sendMessage") == []
    await bot.say(f"@{BOT_USERNAME} ما عدد الضحايا في غزة؟", chat=group)
    assert "مئتين" in bot.last()["text"]
    await bot.say("/ask ما عدد الضحايا في غزة؟", chat=group)
    assert "مئتين" in bot.last()["text"]
    await bot.say(f"/ask@{BOT_USERNAME} lunar mission", chat=group)
    assert "lunar" in bot.last()["text"]
    bot_msg = {**bot_message(bot.last()), "chat": group}
    await bot.say("ما عدد الضحايا في غزة؟", chat=group, reply_to=bot_msg)
    assert len(bot.sent("sendMessage")) == 4


async def test_ask_without_question_explains(bot: Bot) -> None:
    await bot.say("/ask", from_user=user(1, "en"))
    # The example is one this library answers, not a fixed one.
    assert "<code>/ask A new lunar mission launches</code>" in bot.last()["text"]


async def test_a_message_without_words_gets_an_example_from_the_library(bot: Bot) -> None:
    await bot.say("😀😀😀", from_user=user(1, "ar"))
    assert "<i>أمطار غزيرة تضرب العاصمة عمّان</i>" in bot.last()["text"]


def votes_of(params: dict) -> list[tuple[str, str]]:
    markup = params.get("reply_markup") or {}
    return [
        (b["text"], b["callback_data"])
        for row in markup.get("inline_keyboard", [])
        for b in row
        if b.get("callback_data", "").startswith("f|")
    ]


async def test_feedback_buttons_store_votes_and_show_counts(
    people: People, bot: Bot, library: Library
) -> None:
    question, answer = await ask_and_get_answer(bot, "ما عدد الضحايا في غزة؟")
    (up_label, up), (down_label, down) = votes_of(answer)
    assert (up_label, down_label) == ("👍", "👎")
    _, question_id, _, *shown = up.split("|")
    # The first answer is one passage: the votes rate it.
    expected = [h.passage_id for h in library.search("ما عدد الضحايا في غزة؟", k=3).hits[:1]]
    assert [int(x) for x in shown] == expected
    assert up == f"f|{question_id}|1|{'|'.join(shown)}"
    assert down == f"f|{question_id}|0|{'|'.join(shown)}"
    msg = bot_message(answer, reply_to=question)
    bot.clear()
    await bot.send(callback(down, msg, from_user=user(1, "ar")))
    assert "شكرًا" in bot.sent("answerCallbackQuery")[0].params["text"]
    markup = bot.sent("editMessageReplyMarkup")[0].params["reply_markup"]
    labels = [b["text"] for row in markup["inline_keyboard"] for b in row]
    assert "👍" in labels and "👎 1" in labels
    assert any(x.startswith("a|") for x in buttons({"reply_markup": markup}))  # kept
    assert bot.sent("editMessageText", "sendMessage") == []  # the answer itself stays
    await bot.send(callback(up, msg, from_user=user(1, "ar")))  # changed
    await bot.send(callback(up, msg, from_user=user(2, "ar")))  # another voter
    assert people.votes(int(question_id)).helpful == 2
    assert people.votes(int(question_id)).unhelpful == 0


async def test_unhelpful_passages_and_the_rate_reach_stats(bot: Bot, library: Library) -> None:
    question, answer = await ask_and_get_answer(bot, "ما عدد الضحايا في غزة؟")
    (_, up), (_, down) = votes_of(answer)
    msg = bot_message(answer, reply_to=question)
    await bot.send(callback(down, msg, from_user=user(1, "en")))
    await bot.send(callback(up, msg, from_user=user(2, "en")))
    await bot.say("/stats", from_user=user(ADMIN, "en"))
    text = bot.last()["text"]
    assert "Votes: 2 · Helpful: 1 (50%)" in text
    assert "marked unhelpful" in text and "وقف إطلاق النار في غزة" in text and "(×1)" in text


async def test_more_results_keep_the_feedback_of_the_same_question(bot: Bot) -> None:
    question, answer = await ask_and_get_answer(bot, "غزة الهدنة وقف إطلاق النار الضحايا")
    (_, first_up), _ = votes_of(answer)
    bot.clear()
    await bot.send(callback("m|1", bot_message(answer, reply_to=question)))
    page = bot.sent("editMessageText")[0].params
    (_, up), _ = votes_of(page)
    assert up.split("|")[1] == first_up.split("|")[1]  # the same question
    assert up.split("|")[3:] != first_up.split("|")[3:]  # the passages of this page


async def test_no_feedback_buttons_without_an_answer(bot: Bot) -> None:
    await bot.say("what's the weather in London?")
    assert votes_of(bot.last()) == []


async def test_a_vote_for_an_unknown_question_is_expired(bot: Bot) -> None:
    msg = bot_message({"chat_id": 1, "text": "🔎 x"})
    await bot.send(callback("f|999999|1|1", msg))
    answers = bot.sent("answerCallbackQuery")
    assert len(answers) == 1 and "expired" in answers[0].params["text"]
    assert bot.sent("editMessageReplyMarkup") == []
