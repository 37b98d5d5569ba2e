"""The short first answer, honest expiry notes, the hint to ask in the library's language and
recent dates as people say them, through the bot (PTB's request seam)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from knowledge import Library
from tests.bot.helpers import Bot, _plain, ask_and_get_answer, bot_message, buttons
from tests.telegram_helpers import assert_telegram_html, callback, user

QUESTION = "غزة الهدنة وقف إطلاق النار الضحايا"


def _rows(params: dict) -> list[list[dict]]:
    return (params.get("reply_markup") or {}).get("inline_keyboard", [])


async def test_the_first_answer_is_one_sentence_with_one_row_of_buttons(bot: Bot) -> None:
    _, answer = await ask_and_get_answer(bot, QUESTION)
    text = answer["text"]
    assert_telegram_html(text)
    # One quoted sentence, its source (linked) and date; the rest, if any, folded.
    assert text.count("<blockquote>") == 1 and text.count("<blockquote expandable>") <= 1
    assert 'href="https://example.com/gaza?a=1&amp;b=2"' in text and "21 مايو 2021" in text
    assert "1." not in _plain(text) and "النتائج" not in text
    best = text.split("<blockquote>")[1].split("</blockquote>")[0]
    if "<blockquote expandable>" in text:  # the best sentence is not repeated inside the fold
        fold = text.split("<blockquote expandable>")[1]
        assert _plain(best).strip() not in _plain(fold)
    else:  # nothing else in the passage: the title is shown, not folded alone
        assert "📰 <b>" in text.split("</blockquote>")[1]
    # One row: the article, more results, 👍 👎; labels that say what they do, in Arabic.
    rows = _rows(answer)
    assert len(rows) == 1
    labels = [b["text"] for b in rows[0]]
    assert labels[:2] == ["📄 المقال", "المزيد ◀"] and labels[2:] == ["👍", "👎"]
    assert [b.split("|")[0] for b in buttons(answer)] == ["a", "m", "f", "f"]


async def test_english_buttons_for_an_english_user(bot: Bot) -> None:
    await bot.say("when did the lunar mission launch?", from_user=user(1, "en"))
    labels = [b["text"] for row in _rows(bot.last()) for b in row]
    assert labels[0] == "📄 Article" and "📄 1" not in labels


async def test_more_results_show_the_others_and_lead_back(bot: Bot) -> None:
    question, answer = await ask_and_get_answer(bot, QUESTION)
    bot.clear()
    await bot.send(callback("m|1", bot_message(answer, reply_to=question)))
    page = bot.sent("editMessageText")[0].params
    shown = _plain(page["text"])
    assert "2." in shown and "1." not in shown.replace("21.", "")
    data = buttons(page)
    assert "m|0" in data and any(d.startswith("a|") for d in data)
    labels = [b["text"] for row in _rows(page) for b in row if b["callback_data"].startswith("a|")]
    assert all(label.startswith("📄 المقال ") for label in labels)
    # And back: the first answer again.
    bot.clear()
    await bot.send(callback("m|0", bot_message(page, reply_to=question)))
    assert len(_rows(bot.sent("editMessageText")[0].params)) == 1


async def _press_gone_page(bot: Bot, when: int | None) -> str:
    question, answer = await ask_and_get_answer(bot, QUESTION)
    msg = bot_message(answer, reply_to=question)
    if when is not None:
        msg["date"] = when
    bot.clear()
    await bot.send(callback("m|9", msg))  # a page this library does not have
    (note,) = bot.sent("answerCallbackQuery")
    assert bot.sent("editMessageText") == []
    return note.params["text"]


async def test_expiry_blames_the_library_only_when_it_changed_since(bot: Bot) -> None:
    # The message was sent before the library's last ingest: that is why.
    assert "حُدّثت" in await _press_gone_page(bot, 1_700_000_000)
    # Sent after it (no update since): no blame, just expired.
    later = int(dt.datetime.now(dt.timezone.utc).timestamp()) + 3600
    note = await _press_gone_page(bot, later)
    assert "انتهت صلاحية" in note and "حُدّثت" not in note and "تحديث" not in note


async def test_expiry_of_a_message_telegram_no_longer_shows(bot: Bot) -> None:
    gone = {"chat": {"id": 1, "type": "private"}, "message_id": 5, "date": 0}
    await bot.send(callback("m|1", gone, from_user=user(1, "en")))
    (note,) = bot.sent("answerCallbackQuery")
    assert "too old" in note.params["text"] and "updated" not in note.params["text"]


async def test_an_english_question_to_an_arabic_library_gets_a_hint(
    make_bot, tmp_path: Path
) -> None:
    more = tmp_path / "more"
    more.mkdir()
    (more / "heat.md").write_text(
        "---\ntitle: موجة حر في الأردن\ndate: 2021-08-01\n---\nسجلت درجات الحرارة أرقاما قياسية.\n",
        encoding="utf-8",
    )
    lib = Library.open(tmp_path / "mix.db")
    from tests.telegram_helpers import write_articles

    lib.ingest([write_articles(tmp_path / "mix"), more])
    bot = await make_bot(lib=lib)
    await bot.say("what is the price of bananas in Peru?", from_user=user(1, "en"))
    text = bot.last()["text"]
    assert "couldn't find" in text and "Try asking in Arabic" in text
    # An Arabic question that finds nothing gets no such hint.
    await bot.say("ما سعر الموز في البيرو؟", from_user=user(1, "ar"))
    assert "💡" not in bot.last()["text"]
    lib.close()


async def test_sources_says_its_update_time_in_arabic_words(bot: Bot) -> None:
    await bot.say("/sources", from_user=user(1, "ar"))
    text = bot.last()["text"]
    assert_telegram_html(text)
    line = next(x for x in _plain(text).splitlines() if "آخر" in x)
    assert "T" not in line and "+00:00" not in line
    assert any(word in line for word in ("قبل", "اليوم", "أمس"))  # just ingested
