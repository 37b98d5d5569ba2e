"""bot.answers: answer pages, no-answer replies and feedback buttons; HTML that Telegram accepts,
within limits."""

from __future__ import annotations

import datetime as dt

import pytest

from bot import answers, callbacks, i18n, markup
from bot.answers import format_answer
from bot.bidi import FSI, PDI, RLM
from bot.blocks import ALSO_IN_SHOWN
from bot.callbacks import parse_callback
from bot.markup import visible_len
from knowledge import Hit, SearchResult
from knowledge.records import Duplicate
from tests.reply_helpers import hit, labels, result
from tests.telegram_helpers import assert_telegram_html


def test_answer_bolds_matches_and_links_the_title() -> None:
    reply = format_answer(result([hit()]), "ar")
    assert_telegram_html(reply.text)
    assert "<b>سيف</b> القدس" in reply.text
    assert 'href="https://example.com/a?x=1&amp;y=2"' in reply.text
    assert "21 مايو 2021" in reply.text
    assert "a|1" in labels(reply)


def test_best_sentence_comes_first() -> None:
    text = "First sentence about cats. The answer about Gaza is here. Last one."
    start = text.index("The answer")
    h = hit(text, span=(start, text.index("Last")), matches=((text.index("Gaza"), start + 20),))
    reply = format_answer(result([h], "gaza"), "en")
    assert_telegram_html(reply.text)
    quote = reply.text.index("<blockquote>")
    assert reply.text.index("The answer", quote) < reply.text.index("First sentence")


def test_every_dynamic_string_is_escaped() -> None:
    evil = "<script>&amp; & </b>"
    h = hit("Text with <tags> & ampersands. More <b>text</b>.", title=evil, url="javascript:x()")
    h = Hit(**{**h.__dict__, "source": evil})
    reply = format_answer(result([h], query=evil), "en")
    assert_telegram_html(reply.text)
    assert "<script>" not in reply.text
    assert "javascript" not in reply.text  # not a link Telegram accepts


def test_hits_of_one_article_are_grouped_under_one_title() -> None:
    # The other results (page 1, after the first answer alone on page 0) are grouped.
    lead = hit(article_id=9, passage_id=9, title="Lead")
    hits = [lead, hit(passage_id=1), hit(article_id=2, passage_id=2, title="Other")]
    hits.append(hit(passage_id=3))
    reply = format_answer(result(hits), "ar", page=1)
    assert reply.text.count("سيف القدس</a>") == 1
    shown = markup.visible_text(reply.text)
    assert shown.index("3. ") < shown.index("Other") < shown.index("4. ")
    assert [x for x in labels(reply) if x.startswith("a|")] == ["a|1", "a|2"]


def test_more_button_only_when_there_is_more() -> None:
    hits = [hit(passage_id=i) for i in range(1, 5)]
    first = format_answer(result(hits), "en", page=0)
    assert "m|1" in labels(first)
    second = format_answer(result(hits), "en", page=1)
    assert "m|1" not in labels(second)
    assert "m|0" in labels(second)
    assert "4. " in markup.visible_text(second.text)


def test_huge_passages_still_fit_in_one_message() -> None:
    long_text = ("كلمة طويلة جدا في نص المقال " * 400).strip()
    hits = [hit(long_text, passage_id=i, span=(0, len(long_text))) for i in range(3)]
    reply = format_answer(result(hits), "ar")
    assert_telegram_html(reply.text)
    assert visible_len(reply.text) <= 4096


@pytest.mark.parametrize("reason", ["empty", "stopwords", "no_match", "off_topic"])
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_no_answer_is_kind_and_offers_latest(reason: str, lang: str) -> None:
    res = SearchResult(query="<?>", answered=False, reason=reason)
    reply = format_answer(res, lang)
    assert_telegram_html(reply.text)
    assert labels(reply) == ["l|0|5"]
    assert ("/latest" in reply.text) == (reason in ("no_match", "off_topic"))


def test_unanswered_result_never_shows_a_passage() -> None:
    res = SearchResult(query="weather", answered=False, hits=[hit()], reason="off_topic")
    reply = format_answer(res, "en")
    assert "قاسم" not in reply.text


def test_question_can_be_read_back_from_the_answer() -> None:
    reply = format_answer(result([hit()], query="ما هي <معركة> سيف القدس؟"), "ar")
    plain = markup.visible_text(reply.text)
    assert answers.question_from_answer(plain) == "ما هي <معركة> سيف القدس؟"
    assert answers.question_from_answer("hello") is None


def test_bidi_controls_in_articles_are_dropped() -> None:
    h = hit("نص \u202eمقلوب\u202c هنا.", matches=())
    reply = format_answer(result([h]), "ar")
    assert "\u202e" not in reply.text


def test_fold_does_not_repeat_a_best_sentence_that_opens_the_passage() -> None:
    text = "The answer about Gaza is here. Then some context follows. And more."
    h = hit(text, span=(0, text.index(" Then")), matches=((text.index("Gaza"), 20),))
    reply = format_answer(result([h], "gaza"), "en")
    assert_telegram_html(reply.text)
    fold = reply.text.split("<blockquote expandable>")[1]
    assert "The answer" not in fold and fold.startswith("… Then some context")
    # In the middle, the fold is the whole passage, in order.
    start = text.index("Then")
    h = hit(text, span=(start, text.index(" And")), matches=())
    fold = format_answer(result([h], "gaza"), "en").text.split("<blockquote expandable>")[1]
    assert fold.startswith("The answer") and "And more." in fold


def test_callback_data_fits_64_bytes() -> None:
    hits = [hit(article_id=10**9 - i, passage_id=i) for i in range(4)]
    for b in (b for row in format_answer(result(hits), "ar").buttons for b in row):
        assert len(b.data.encode()) <= 64


def test_feedback_buttons_fit_64_bytes_or_are_left_out() -> None:
    biggest = 10**9 - 1
    hits = [hit(article_id=biggest - i, passage_id=biggest - i) for i in range(4)]
    reply = format_answer(result(hits), "ar", question_id=biggest)
    votes = [b for row in reply.buttons for b in row if b.data.startswith("f|")]
    assert [b.label for b in votes] == ["👍", "👎"]
    assert all(len(b.data.encode()) <= 64 and parse_callback(b.data)[0] == "f" for b in votes)
    assert callbacks.feedback_question(b.data for row in reply.buttons for b in row) == biggest
    too_big = format_answer(result(hits), "ar", question_id=10**9)
    assert not any(b.data.startswith("f|") for row in too_big.buttons for b in row)


def test_feedback_labels_count_the_votes() -> None:
    from bot.people import Votes

    reply = format_answer(result([hit()]), "en", question_id=5, votes=Votes(2, 0))
    labels = [b.label for row in reply.buttons for b in row if b.data.startswith("f|")]
    assert labels == ["👍 2", "👎"]
    assert not any(
        b.data.startswith("f|") for row in format_answer(result([hit()]), "en").buttons for b in row
    )


# --- one story once: the other papers that carry a passage -----------------------------------


def _copies(n: int) -> tuple[Duplicate, ...]:
    return tuple(
        Duplicate(
            10 + i, 100 + i, f"Title {i}", f"Paper {i}", f"https://p{i}.example/a?x=1&y=2", None
        )
        for i in range(n)
    )


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_a_hit_names_the_other_papers_that_carry_it(lang: str) -> None:
    evil = Duplicate(9, 90, "<b>t", "<script>&", "javascript:x()", None)
    no_source = Duplicate(8, 80, "عنوان الخبر", None, None, None)
    h = hit(also_in=(*_copies(2), evil, no_source))
    lead = hit(article_id=3, passage_id=3)
    reply = format_answer(result([lead, h, hit(article_id=2, passage_id=2)]), lang, page=1)
    assert_telegram_html(reply.text)
    shown = markup.visible_text(reply.text)
    label = "ورد أيضًا في:" if lang == "ar" else "also in:"
    assert shown.count(label) == 1  # only under the hit that has copies
    line = next(line for line in shown.splitlines() if label in line)
    assert "Paper 0" in line and "Paper 1" in line and "عنوان الخبر" in line
    assert 'href="https://p0.example/a?x=1&amp;y=2"' in reply.text
    assert "<script>" not in reply.text and "javascript" not in reply.text
    # Under its quote, before the next hit.
    assert shown.index("2. ") < shown.index(label) < shown.index("3. ")
    # the copies get no buttons of their own
    assert [x for x in labels(reply) if x.startswith("a|")] == ["a|1", "a|2"]
    # Under the first answer too, once.
    first = format_answer(result([h, lead]), lang)
    assert_telegram_html(first.text)
    assert markup.visible_text(first.text).count(label) == 1
    assert 'href="https://p0.example/a?x=1&amp;y=2"' in first.text


def test_the_other_papers_line_reads_right_to_left_in_arabic() -> None:
    reply = format_answer(result([hit(also_in=_copies(2))]), "ar")
    line = next(line for line in reply.text.splitlines() if "ورد أيضًا في" in line)
    shown = markup.visible_text(line)
    # The Latin names are isolated runs, so the Arabic label keeps its place on the right.
    assert shown.startswith(("↪", RLM + "↪"))
    assert FSI in shown and PDI in shown


def test_many_other_papers_are_counted_not_listed() -> None:
    reply = format_answer(result([hit(also_in=_copies(ALSO_IN_SHOWN + 3))]), "en")
    shown = markup.visible_text(reply.text)
    assert f"Paper {ALSO_IN_SHOWN - 1}" in shown and f"Paper {ALSO_IN_SHOWN}" not in shown
    assert "+3" in shown


def test_other_papers_fit_a_message_with_long_passages() -> None:
    long = "كلمة " * 900 + "سيف القدس."
    hits = [
        hit(long, article_id=i, passage_id=i, title="عنوان " * 50, also_in=_copies(8))
        for i in range(1, 5)
    ]
    reply = format_answer(result(hits), "ar", page=1)  # the three after the first answer
    assert_telegram_html(reply.text)
    assert visible_len(reply.text) <= 4096
    assert markup.visible_text(reply.text).count("ورد أيضًا في") == 3
    lead = format_answer(result(hits), "ar")
    assert_telegram_html(lead.text)
    assert visible_len(lead.text) <= 4096
    assert markup.visible_text(lead.text).count("ورد أيضًا في") == 1


def test_an_inline_result_names_the_other_papers() -> None:
    item = answers.format_inline_hit(hit(also_in=_copies(1)), "سيف القدس", "en")
    assert_telegram_html(item.text)
    assert "also in:" in markup.visible_text(item.text) and "Paper 0" in item.text


# --- dates: recent ones in words, none for an undated article (issue 11) --------------------


def _dated(published: str | None) -> Hit:
    return Hit(**{**hit().__dict__, "published": published})


def test_a_recent_answer_says_when_as_people_say_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # The clock frozen just before midnight: "yesterday" must not turn into two days ago when
    # the test runs across UTC midnight.
    now = dt.datetime(2024, 5, 21, 23, 59, 59, 999999, tzinfo=dt.timezone.utc)
    monkeypatch.setattr(i18n, "utc_now", lambda: now)
    yesterday = (now - dt.timedelta(days=1)).date().isoformat()
    assert "أمس" in format_answer(result([_dated(yesterday)]), "ar").text
    assert "yesterday" in format_answer(result([_dated(yesterday)]), "en").text


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_an_undated_article_shows_no_date(lang: str) -> None:
    hits = [_dated(None), Hit(**{**_dated(None).__dict__, "passage_id": 2, "article_id": 2})]
    for page in (0, 1):
        reply = format_answer(result(hits), lang, page=page)
        assert_telegram_html(reply.text)
        assert "None" not in reply.text and "2021" not in reply.text
    item = answers.format_inline_hit(_dated(None), "q", lang)
    assert "None" not in item.text


def test_answer_heights_shrink() -> None:
    # The measure of issue 11 item 8: the first answer is far shorter than the old page of 3.
    from tests.answer_height import answer_height

    hits = [hit(passage_id=i, article_id=i, title=f"عنوان {i}") for i in range(1, 5)]
    lead = format_answer(result(hits), "ar", question_id=1)
    others = format_answer(result(hits), "ar", page=1, question_id=1)
    assert answer_height(lead) < answer_height(others)


# --- the hint to ask in the library's language (issue 11, item 10) ----------------------------


def test_majority_language_needs_a_clear_majority() -> None:
    assert answers.majority_language({"ar": 90, "en": 10}) == "ar"
    assert answers.majority_language({"ar": 10, "en": 90}) == "en"
    assert answers.majority_language({"ar": 50, "en": 50}) is None
    assert answers.majority_language({"ar": 0, "en": 0}) is None


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_a_question_in_the_other_script_gets_a_hint_when_nothing_is_found(lang: str) -> None:
    english = SearchResult(query="price of bananas", answered=False, reason="off_topic")
    arabic = SearchResult(query="سعر الموز", answered=False, reason="no_match")
    hinted = format_answer(english, lang, library_lang="ar").text
    assert_telegram_html(hinted)
    assert ("Try asking in Arabic" in hinted) == (lang == "en")
    assert ("جرّب أن تسأل بالعربية" in hinted) == (lang == "ar")
    assert "💡" in format_answer(arabic, lang, library_lang="en").text
    # The library's own language, a mixed library, or an answered question: no hint.
    assert "💡" not in format_answer(arabic, lang, library_lang="ar").text
    assert "💡" not in format_answer(english, lang, library_lang=None).text
    assert "💡" not in format_answer(result([hit()], "price"), lang, library_lang="ar").text
