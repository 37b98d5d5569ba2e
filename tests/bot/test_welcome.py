"""Issue 11's first contact (items 6, 7, 9, 12): Arabic commands that read right, example
questions to tap, link previews, /settings, /privacy and /forget (``bot.commands``,
``bot.user_settings``, ``bot.preferences``, ``bot.people.privacy``)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
import yaml

from bot import bidi, callbacks, commands, conversation, examples, i18n
from bot.bidi import ARABIC, LRI, PDI
from bot.people import People
from knowledge import Library
from tests.bot.helpers import Bot, bot_message, buttons
from tests.telegram_helpers import callback, user, write_articles

STRINGS = Path(__file__).resolve().parents[2] / "bot" / "strings"


def assert_commands_isolated(html_text: str) -> None:
    """Every /command of ``html_text`` is inside LRI ... PDI (a code span: from outside)."""
    text = re.sub(r"<[^>]*>", "", html_text)
    found = list(re.finditer(r"(?<![\w/<:])/[a-z]\w*", text))
    for match in found:
        before = text[: match.start()]
        assert before.rfind(LRI) > before.rfind(PDI), (match[0], text)
        assert PDI in text[match.end() :], (match[0], text)


def _strings(lang: str) -> list[str]:
    data = yaml.safe_load((STRINGS / f"{lang}.yaml").read_text(encoding="utf-8"))
    out: list[str] = []
    for value in data.values():
        out.extend(value.values() if isinstance(value, dict) else [value])
    return out


def test_no_latin_comma_in_arabic_strings() -> None:
    latin_comma = re.compile(f"[{ARABIC}]\\s*,|,\\s*[{ARABIC}]")
    assert [s for s in _strings("ar") if latin_comma.search(s)] == []


def test_every_command_in_arabic_strings_is_isolated() -> None:
    with_commands = [s for s in _strings("ar") if re.search(r"(?<![\w/<])/[a-z]", s)]
    assert with_commands  # the check checks something
    for text in with_commands:
        assert_commands_isolated(bidi.apply_bidi(text, rtl_default=True))


def test_isolation_leaves_urls_tags_and_english_alone() -> None:
    html_text = '<a href="https://e.com/a/b">و/أو</a> and/or </b>'
    assert bidi.isolate_commands(html_text) == html_text
    assert bidi.apply_bidi("/latest - newest articles (e.g. /latest 10)", False).count(LRI) == 0
    out = bidi.apply_bidi("مثلًا: <code>/follow غزة</code>", True)
    # Outside the code span: tapping it copies the command without marks.
    assert f"{LRI}<code>/follow غزة</code>{PDI}" in out
    assert bidi.apply_bidi(out, True) == out  # not twice


@pytest.mark.parametrize("command", ["/start", "/help"])
async def test_arabic_start_and_help_read_right(bot: Bot, command: str) -> None:
    await bot.say(command, from_user=user(1, "ar", "قارئ"))
    text = bot.last()["text"]
    assert_commands_isolated(text)
    assert f"{LRI}/latest 10{PDI}" in text  # the argument stays with its command
    assert "," not in re.sub(r"<[^>]*>", "", text)
    if command == "/start":
        assert "أهلًا، قارئ" in text


async def test_start_examples_are_buttons_that_ask(bot: Bot, library: Library) -> None:
    await bot.say("/start", from_user=user(1, "ar"))
    start = bot.last()
    data = [d for d in buttons(start) if callbacks.EXAMPLE.match(d)]
    assert 2 <= len(data) <= 3
    labels = [b["text"] for row in start["reply_markup"]["inline_keyboard"] for b in row]
    assert all(label.endswith("؟") and i18n.is_arabic(label) for label in labels)
    bot.clear()
    msg = bot_message(start, message_id=77)
    await bot.send(callback(data[0], msg, user(1, "ar")))
    (answer,) = bot.sent("sendMessage")
    assert any(b.startswith("a|") for b in buttons(answer.params))
    assert bot.sent("answerCallbackQuery")
    # Paging finds the question again in the answer's header.
    assert labels[0].rstrip("؟").split(" ", 2)[-1][:10] in answer.params["text"]


def test_examples_fall_back_to_the_other_language(tmp_path: Path) -> None:
    english = write_articles(tmp_path / "en", ["moon.md"])
    with Library.open(tmp_path / "en.db") as library:
        library.ingest([english])
        found = conversation.start_examples(library, "ar")
    assert [e.question for e in found] == ["What about “A new lunar mission launches”?"]


def _start_examples_with(
    tmp_path: Path, headline: str, body: str, lang: str, count: int
) -> list[conversation.Example]:
    """/start's examples for a ``lang`` reader of the Gaza test article and one more."""
    folder = write_articles(tmp_path / "articles", ["gaza.md"])
    text = f"---\ntitle: {headline}\ndate: 2023-07-18\n---\n{body}\n"
    (folder / "more.md").write_text(text, encoding="utf-8")
    with Library.open(tmp_path / "lib.db") as library:
        library.ingest([folder])
        return conversation.start_examples(library, lang, count)


def test_a_long_question_in_the_readers_language_beats_the_other_language(
    tmp_path: Path,
) -> None:
    headline = "Wildfire forces evacuation of 3,000 residents near Athens"
    body = "A wildfire forced the evacuation of 3,000 residents near Athens on Tuesday."
    found = _start_examples_with(tmp_path, headline, body, "en", 2)
    assert [e.question for e in found] == [f"What about “{headline}”?"]  # not an Arabic one
    assert len(found[0].question) > examples.MAX_BUTTON_QUESTION


def test_start_fills_its_examples_with_longer_ones_in_the_readers_language(
    tmp_path: Path,
) -> None:
    headline = "افتتاح محطة تحلية جديدة في جدة بطاقة ستمائة ألف متر"
    body = "افتتحت في جدة محطة تحلية جديدة بطاقة ستمائة ألف متر مكعب يوميا لخدمة مليوني نسمة."
    found = _start_examples_with(tmp_path, headline, body, "ar", 2)
    assert len(found) == 2 and f"ماذا عن «{headline}»؟" in [e.question for e in found]


def test_section_labels_are_not_part_of_examples() -> None:
    from bot import examples

    assert examples.questions("اقتصادي / ارتفاع أسعار النفط في الأسواق") == [
        "ماذا عن «ارتفاع أسعار النفط في الأسواق»؟"
    ]
    # A thousands separator is no clause's end (a whole clause this long is now too long for
    # a button: its topic form shows the clause goes on past "3,000").
    assert examples.example_questions(
        "Wildfire forces evacuation of 3,000 residents near Athens"
    ) == ["Wildfire forces evacuation of 3,000 residents"]
    assert examples.questions("Fire drives 3,000 from homes") == [
        "What about “Fire drives 3,000 from homes”?"
    ]


async def test_answers_preview_their_top_article_unless_turned_off(bot: Bot) -> None:
    await bot.say("متى أعلن وقف إطلاق النار في غزة؟", from_user=user(1, "ar"))
    preview = bot.last()["link_preview_options"]
    assert preview["url"] == "https://example.com/gaza?a=1&b=2" and not preview["is_disabled"]
    # An article without a URL: no preview.
    await bot.say("أمطار غزيرة عمّان", from_user=user(1, "ar"))
    assert bot.last()["link_preview_options"] == {"is_disabled": True}
    # Turned off in /settings.
    await bot.say("/settings", from_user=user(1, "ar"))
    settings = bot.last()
    assert "s|1|p|0" in buttons(settings) and "s|1|l|en" in buttons(settings)
    msg = bot_message(settings, message_id=78)
    await bot.send(callback("s|1|p|0", msg, user(1, "ar")))
    edited = bot.sent("editMessageText")[-1].params
    assert "متوقفة" in edited["text"] and "s|1|p|1" in buttons(edited)
    await bot.say("متى أعلن وقف إطلاق النار في غزة؟", from_user=user(1, "ar"))
    assert bot.last()["link_preview_options"] == {"is_disabled": True}


async def test_the_bot_wide_default_turns_previews_off(make_bot) -> None:  # type: ignore[no-untyped-def]
    bot = await make_bot(ARTICLEBOT_LINK_PREVIEWS="off")
    await bot.say("متى أعلن وقف إطلاق النار في غزة؟", from_user=user(1, "ar"))
    assert bot.last()["link_preview_options"] == {"is_disabled": True}
    await bot.say("/settings", from_user=user(1, "en"))
    assert "Link previews under answers: <b>off</b>" in bot.last()["text"]


async def test_settings_change_the_language(bot: Bot) -> None:
    await bot.say("/settings", from_user=user(1, "ar"))
    msg = bot_message(bot.last(), message_id=79)
    await bot.send(callback("s|1|l|en", msg, user(1, "ar")))
    assert "Language: <b>English</b>" in bot.sent("editMessageText")[-1].params["text"]
    await bot.say("/help", from_user=user(1, "ar"))
    assert "How to use me" in bot.last()["text"]


async def test_privacy_says_what_is_kept_and_how_to_delete_it(bot: Bot) -> None:
    for lang in ("en", "ar"):
        await bot.say("/privacy", from_user=user(1, lang))
        text = bot.last()["text"]
        assert "/forget" in text and "30" in text
    assert "questions" in bot.sent("sendMessage")[0].params["text"]


async def test_forget_removes_the_users_data_after_confirming(bot: Bot, library: Library) -> None:
    people: People = bot.app.bot_data.people
    alice, bob = user(1, "ar"), user(2, "en")
    for who in (alice, bob):
        await bot.say("/follow غزة", from_user=who)
        await bot.say("متى أعلن وقف إطلاق النار في غزة؟", from_user=who)
        vote = next(b for b in buttons(bot.last()) if b.startswith("f|"))
        answer = bot_message(bot.last(), message_id=80 + who["id"])
        await bot.send(callback(vote, answer, who))
    people.set_language(1, "ar")
    people.set_previews(1, False)
    await bot.say("/forget", from_user=alice)
    confirm = bot.last()
    assert buttons(confirm) == [callbacks.forget(1, True), callbacks.forget(1, False)]
    msg = bot_message(confirm, message_id=90)
    await bot.send(callback("z|1|0", msg, alice))
    assert "لم يُحذف" in bot.sent("editMessageText")[-1].params["text"]
    assert people.follows(1)
    await bot.send(callback("z|1|1", msg, alice))
    done = bot.sent("editMessageText")[-1].params["text"]
    assert "حُذف: سؤال واحد وتقييم واحد ومتابعة واحدة وإعدادان." in done
    assert people.follows(1) == [] and people.follows(2)
    assert people.language(1) is None and people.previews(1) is None
    with sqlite3.connect(library.path) as db:
        owners = [u for (u,) in db.execute("SELECT user_id FROM questions")]
        voters = [u for (u,) in db.execute("SELECT user_id FROM feedback")]
    assert owners == [2] and voters == [2]


def test_a_library_of_0_1_gets_the_new_columns_and_keeps_its_questions(tmp_path: Path) -> None:
    import shutil

    path = tmp_path / "old.db"
    shutil.copy(Path(__file__).resolve().parents[1] / "fixtures" / "library-v0.1.db", path)
    with sqlite3.connect(path) as db:
        (before,) = db.execute("SELECT count(*) FROM questions").fetchone()
    with People(path) as people:
        assert people.previews(1) is None
        people.set_previews(1, True)
        assert people.previews(1) is True
        assert people.record_question("غزة", True, 5) is not None
    with sqlite3.connect(path) as db:
        (after,) = db.execute("SELECT count(*) FROM questions WHERE user_id IS NULL").fetchone()
    assert after == before > 0


def test_the_new_commands_are_in_the_table() -> None:
    names = [c.name for c in commands.COMMANDS]
    assert {"settings", "privacy", "forget"} <= set(names)


async def test_an_example_answer_pages_like_a_typed_one(bot: Bot, many: list[int]) -> None:
    await bot.say("/start", from_user=user(1, "ar"))
    start = bot.last()
    gaza = next(
        b["callback_data"]
        for row in start["reply_markup"]["inline_keyboard"]
        for b in row
        if "غزة" in b["text"]
    )
    await bot.send(callback(gaza, bot_message(start, message_id=91), user(1, "ar")))
    answer = bot.last()
    assert "m|1" in buttons(answer)
    # Not a reply to /start: "More results" finds the question in the answer's header.
    assert "reply_parameters" not in answer
    bot.clear()
    await bot.send(callback("m|1", bot_message(answer, message_id=92), user(1, "ar")))
    (page,) = bot.sent("editMessageText")
    assert "m|0" in buttons(page.params)


@pytest.mark.parametrize(
    ("counts", "lang", "expected"),
    [
        ((1, 0, 0, 1), "en", "🗑 Deleted: 1 question and 1 setting."),
        ((3, 1, 2, 0), "en", "🗑 Deleted: 3 questions, 1 vote, and 2 follows."),
        ((1, 2, 3, 11), "ar", "🗑 حُذف: سؤال واحد وتقييمان و3 متابعات و11 إعدادًا."),
        ((0, 100, 0, 0), "ar", "🗑 حُذف: 100 تقييم."),
        ((0, 0, 0, 0), "en", "🗑 I kept nothing about you, so nothing was deleted."),
    ],
)
def test_forget_says_what_went_in_plural_forms_without_the_kinds_with_none(
    counts: tuple[int, int, int, int], lang: str, expected: str
) -> None:
    from bot.people import Forgotten
    from bot.preferences import forget_done

    text = forget_done(Forgotten(*counts), lang).text
    assert re.sub("[\u2066-\u2069\u200e\u200f\u061c]", "", text) == expected  # (no marks)


def test_privacy_says_the_days_in_their_plural_form() -> None:
    from bot.preferences import privacy

    assert "(that record for 30 days)" in privacy("en").text
    assert "لمدة 30 يومًا)" in privacy("ar").text
    assert i18n.plural("ar", "days", 2) == "يومين" and i18n.plural("en", "days", 1) == "1 day"
