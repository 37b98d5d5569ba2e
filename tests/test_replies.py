"""bot.replies: HTML that Telegram accepts, within limits, bidi-safe and localized."""

from __future__ import annotations

import dataclasses

import pytest

from bot import replies
from bot.people import PeopleStats, QuestionCount
from bot.replies import FSI, PDI, RLM, apply_bidi, format_answer, parse_callback, visible_len
from knowledge import (
    ArticleInfo,
    Coverage,
    FileError,
    Hit,
    IngestReport,
    LibraryStats,
    Origin,
    SearchResult,
    StoredArticle,
)
from tests.telegram_helpers import assert_telegram_html, telegram_html_errors

AR_TEXT = (
    "وقال آية الله قاسم عبر تويتر إن الانتصار في معركة سيف القدس يعلّم الشعوب. "
    "وأضاف أن النصر للأمة كلها."
)


def hit(
    text: str = AR_TEXT,
    *,
    article_id: int = 1,
    passage_id: int = 1,
    title: str = "سيف القدس",
    url: str | None = "https://example.com/a?x=1&y=2",
    matches: tuple[tuple[int, int], ...] | None = None,
    span: tuple[int, int] | None = None,
) -> Hit:
    end = text.find(".") + 1 or len(text)
    span = span or (0, end)
    if matches is None:
        at = text.find("سيف")
        matches = ((at, at + 3),) if at >= 0 else ()
    return Hit(
        article_id=article_id,
        title=title,
        url=url,
        published="2021-05-21",
        source="Example News",
        passage_id=passage_id,
        position=0,
        start=0,
        end=len(text),
        text=text,
        score=1.0,
        best_sentence=text[span[0] : span[1]],
        best_sentence_span=span,
        matches=matches,
    )


def result(hits: list[Hit], query: str = "سيف القدس", answered: bool = True) -> SearchResult:
    return SearchResult(query=query, answered=answered, hits=hits)


def labels(reply: replies.Reply) -> list[str]:
    return [b.data or b.url or "" for row in reply.buttons for b in row]


# --- the validator itself must be able to fail ---------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    ["<b>open", "<div>x</div>", "a & b", "<b><i>x</b></i>", "x" * 4097, '<a href="foo">x</a>', ""],
)
def test_validator_rejects_bad_html(bad: str) -> None:
    assert telegram_html_errors(bad)


def test_validator_accepts_good_html() -> None:
    assert_telegram_html('<b>a</b> &lt;x&gt; &amp; <a href="https://e.com/?a=1&amp;b=2">l</a>')


# --- answers -----------------------------------------------------------------------------------


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
    hits = [hit(passage_id=1), hit(article_id=2, passage_id=2, title="Other"), hit(passage_id=3)]
    reply = format_answer(result(hits), "ar")
    assert reply.text.count("سيف القدس</a>") == 1
    shown = replies.visible_text(reply.text)
    assert shown.index("2. ") < shown.index("Other") < shown.index("3. ")
    assert labels(reply) == ["a|1", "a|2"]


def test_more_button_only_when_there_is_more() -> None:
    hits = [hit(passage_id=i) for i in range(1, 5)]
    first = format_answer(result(hits), "en", page=0)
    assert "m|1" in labels(first)
    second = format_answer(result(hits), "en", page=1)
    assert "m|1" not in labels(second)
    assert "m|0" in labels(second)
    assert "4. " in replies.visible_text(second.text)


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
    plain = replies.visible_text(reply.text)
    assert replies.question_from_answer(plain) == "ما هي <معركة> سيف القدس؟"
    assert replies.question_from_answer("hello") is None


# --- bidi ----------------------------------------------------------------------------------


def test_rlm_before_arabic_line_starting_with_latin_or_digits() -> None:
    out = apply_bidi("BBC قالت إن الهدنة بدأت اليوم\n8 أيار بداية الحرب", rtl_default=True)
    first, second = out.split("\n")
    assert first.startswith(RLM)
    assert second.startswith(RLM)


def test_no_marks_on_plain_arabic_or_english() -> None:
    assert apply_bidi("نص عربي فقط", True) == "نص عربي فقط"
    assert apply_bidi("English only", False) == "English only"


def test_embedded_latin_run_is_isolated_without_breaking_tags() -> None:
    out = apply_bidi("قالت <b>BBC News</b> إن الهدنة بدأت", rtl_default=True)
    assert f"{FSI}BBC News" in out and PDI in out
    assert_telegram_html(out)
    assert out.count(FSI) == out.count(PDI) == 1


def test_embedded_arabic_in_english_line_is_isolated() -> None:
    out = apply_bidi("The battle called سيف القدس ended in May", rtl_default=False)
    assert f"{FSI}سيف القدس{PDI}" in out


def test_commands_and_single_words_are_not_isolated() -> None:
    # Marks inside "/latest" would stop Telegram from making it a tappable command.
    out = apply_bidi("اطّلع على أحدث المقالات عبر /latest أو Twitter.", rtl_default=True)
    assert FSI not in out and "/latest" in out


def test_bidi_controls_in_articles_are_dropped() -> None:
    h = hit("نص \u202eمقلوب\u202c هنا.", matches=())
    reply = format_answer(result([h]), "ar")
    assert "\u202e" not in reply.text


@pytest.mark.parametrize(
    ("override", "code", "question", "expected"),
    [
        (None, "ar-EG", None, "ar"),
        (None, "en", None, "en"),
        (None, None, None, "en"),
        (None, "en", "ما هي سيف القدس", "ar"),
        (None, "ar", "what happened", "ar"),  # an Arabic client keeps its Arabic UI
        (None, "en-US", "what happened", "en"),
        ("en", "ar", "ما هي", "en"),
        (None, "ar", "😀😀", "ar"),
    ],
)
def test_choose_lang(override, code, question, expected) -> None:
    assert replies.choose_lang(override, code, question) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "آية الله قاسم: انتصار «سيف القدس» يعلّم الشعوب أن طريقها إلى النصر",
            ["ماذا قال آية الله قاسم؟", "ما «سيف القدس»؟"],
        ),
        ("وقف إطلاق النار في غزة بعد أحد عشر يوما", ["وقف إطلاق النار في غزة"]),
        ("عاجل: انفجار في مرفأ بيروت", ["انفجار في مرفأ بيروت"]),
        ("«سيف القدس»: معركة غيرت المعادلة", ["ما «سيف القدس»؟", "معركة غيرت المعادلة"]),
        ("Biden: we will rebuild after the war", ["What did Biden say?"]),
        ("Rockets hit Tel Aviv as the talks fail", ["Rockets hit Tel Aviv"]),
        ("وأضاف", []),
    ],
)
def test_example_questions_read_like_questions_or_topics(title: str, expected: list) -> None:
    assert replies.example_questions(title) == expected


@pytest.mark.parametrize(
    ("n", "ar", "en"),
    [
        (1, "مقالًا إخباريًا واحدًا", "1 news article"),
        (2, "مقالين إخباريين", "2 news articles"),
        (3, "3 مقالات إخبارية", "3 news articles"),
        (11, "11 مقالًا إخباريًا", "11 news articles"),
        (100, "100 مقال إخباري", "100 news articles"),
        (1203, "1,203 مقالات إخبارية", "1,203 news articles"),
    ],
)
def test_article_counts_are_grammatical(n: int, ar: str, en: str) -> None:
    assert replies.count_articles(n, "ar") == ar
    assert replies.count_articles(n, "en") == en


def test_clean_question_strips_controls_and_caps() -> None:
    assert replies.clean_question("\u200f  سيف\u2068 القدس \u2069\n") == "سيف القدس"
    assert len(replies.clean_question("a" * 5000)) == 1000


# --- articles, latest, admin -----------------------------------------------------------------


def article(text: str, url: str | None = "https://example.com/x") -> StoredArticle:
    return StoredArticle(
        id=7,
        key="k",
        title="عنوان <المقال>",
        published="2021-05-21",
        url=url,
        source="مصدر",
        lang="ar",
        path="/x.md",
        passages=3,
        text=text,
    )


def test_long_article_is_split_between_paragraphs_into_valid_messages() -> None:
    paragraphs = [f"الفقرة رقم {i}: " + "جملة قصيرة في النص. " * 30 for i in range(40)]
    messages = replies.format_article(article("\n\n".join(paragraphs)), "ar")
    assert 1 < len(messages) <= replies.MAX_ARTICLE_MESSAGES
    for m in messages:
        assert_telegram_html(m.text)
    # No paragraph is cut in two when paragraphs are small enough to fit.
    joined = "\n\n".join(replies.visible_text(m.text) for m in messages)
    assert joined.count("الفقرة رقم 3:") == 1
    assert messages[-1].buttons[0][0].url == "https://example.com/x"


def test_one_giant_paragraph_is_split_on_sentences() -> None:
    text = "هذه جملة تامة في المقال. " * 600
    messages = replies.format_article(article(text, url=None), "ar")
    for m in messages:
        assert_telegram_html(m.text)
        body = replies.visible_text(m.text).rstrip()
        assert body.endswith((".", ")", "…", "المقال"))
    assert messages[-1].buttons == ()


def test_word_without_spaces_is_still_split() -> None:
    messages = replies.format_article(article("x" * 20000), "en")
    for m in messages:
        assert_telegram_html(m.text)


def test_latest_lists_articles_with_buttons_and_paging() -> None:
    infos = [
        ArticleInfo(i, f"k{i}", f"Title {i} & co", "2024-01-0" + str(i), None, "src", "en", "", 1)
        for i in range(1, 4)
    ]
    reply = replies.format_latest(infos, "en", offset=3, n=3, has_more=True)
    assert_telegram_html(reply.text)
    assert "Title 1 &amp; co" in reply.text
    assert labels(reply) == ["a|1", "a|2", "a|3", "l|0|3", "l|6|3"]
    assert "4." in replies.visible_text(reply.text)


def test_reload_report_lists_failures_escaped() -> None:
    report = IngestReport(added=2, failed=[FileError("/a/<b>.md", "not UTF-8 & not 1256")])
    messages = replies.format_reload_report(report, "en")
    for m in messages:
        assert_telegram_html(m.text)
    text = "".join(m.text for m in messages)
    assert "Added: 2" in text and "&lt;b&gt;.md" in text and "Failed: 1" in text


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_coverage_lists_origins_escaped_and_within_the_limit(lang: str) -> None:
    origins = [
        Origin(
            "قناة <الأخبار> & co " + "طويل " * 40, 12, "2024-03-05T10:00:00+00:00", "A <b> title"
        )
    ]
    origins += [Origin("", 1, None)] + [Origin(f"S{i}", 1, None) for i in range(100)]
    coverage = Coverage(113, origins, "2026-01-02T03:04:05+00:00")
    text = replies.format_coverage(coverage, lang).text
    assert_telegram_html(text)
    assert "&lt;الأخبار&gt; &amp; co" in text and "…</b>" in text  # shortened at a word
    assert "\n   «A &lt;b&gt; title»\n" in text  # the newest title, on a line of its own
    assert "2026-01-02 03:04 UTC" in text and "5 " in text and ("March" in text) == (lang == "en")
    assert text.count("• ") == replies.SOURCES_SHOWN and "82" in text.rsplit("\n", 1)[-1]
    assert f"<b>{replies.t_plain(lang, 'unnamed')}</b>" in text
    assert replies.format_coverage(Coverage(0, [], None), lang).text == replies.t(
        lang, "latest_empty"
    )


def test_stats_show_share_and_top_unanswered() -> None:
    stats = LibraryStats(
        path="x",
        articles=3,
        passages=40,
        last_ingest="2026-01-02T03:04:05+00:00",
        dates_from_mtime=0,
        analyser_version="v",
        bm25={},
    )
    usage = PeopleStats(questions=8, unanswered=2, top_unanswered=[QuestionCount("ما <هو>؟", 2)])
    reply = replies.format_stats(stats, usage, "ar")
    assert_telegram_html(reply.text)
    assert (
        "25%" in reply.text and "&lt;هو&gt;" in reply.text and "2026-01-02 03:04 UTC" in reply.text
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("m|2", ("m", (2,))),
        ("a|123", ("a", (123,))),
        ("l|5|10", ("l", (5, 10))),
        ("g|ar", ("g", ("ar",))),
        ("g|fr", ("", ())),
        ("a|-1", ("", ())),
        ("a|1|2", ("", ())),
        ("x", ("", ())),
        (None, ("", ())),
    ],
)
def test_parse_callback(data: str | None, expected: tuple) -> None:
    assert parse_callback(data) == expected


def test_callback_data_fits_64_bytes() -> None:
    hits = [hit(article_id=10**9 - i, passage_id=i) for i in range(4)]
    for b in (b for row in format_answer(result(hits), "ar").buttons for b in row):
        assert len(b.data.encode()) <= 64


def test_html_to_text_is_readable() -> None:
    text = replies.html_to_text(
        '<b>x</b> <a href="https://e.com/?a&amp;b">t</a>\n<blockquote>q</blockquote>'
    )
    assert text == "*x* t (https://e.com/?a&b)\n  │ q"


def test_plain_fallback_is_split_within_the_limit_in_utf16_units() -> None:
    # Emoji count twice in UTF-16: 3,000 of them are over the limit in 3,000 characters.
    text = "<b>" + "😀 " * 1500 + "</b>\n\n" + "نص قصير. " * 600
    pieces = replies.plain_pieces(text)
    assert len(pieces) >= 2
    assert all(0 < replies.utf16_len(p) <= 4096 for p in pieces)
    assert "<b>" not in "".join(pieces)
    assert replies.plain_pieces("<b>short</b>") == ["short"]


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


# --- feedback, follows and alerts --------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("f|12|1|3|4|5", ("f", (12, 1, 3, 4, 5))),
        ("f|12|0|3", ("f", (12, 0, 3))),
        ("f|12|2|3", ("", ())),  # a vote is 1 or 0
        ("f|12|1", ("", ())),  # no passage
        ("f|12|1|3|4|5|6", ("", ())),  # more than a page
        ("u|7", ("u", (7,))),
        ("u|x", ("", ())),
    ],
)
def test_parse_feedback_and_unfollow_callbacks(data: str, expected: tuple) -> None:
    assert parse_callback(data) == expected


def test_feedback_buttons_fit_64_bytes_or_are_left_out() -> None:
    biggest = 10**9 - 1
    hits = [hit(article_id=biggest - i, passage_id=biggest - i) for i in range(4)]
    reply = format_answer(result(hits), "ar", question_id=biggest)
    votes = [b for row in reply.buttons for b in row if b.data.startswith("f|")]
    assert [b.label for b in votes] == ["👍", "👎"]
    assert all(len(b.data.encode()) <= 64 and parse_callback(b.data)[0] == "f" for b in votes)
    assert replies.feedback_question(b.data for row in reply.buttons for b in row) == biggest
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


def test_alerts_are_valid_html_within_the_limit() -> None:
    from bot.people import Alert, ChatAlerts

    long_text = ("كلمة " * 2000).strip() + "."
    alerts = [
        Alert(1, 1, "سيف <القدس> & " + "x" * 200, hit(long_text, article_id=i, title="ع" * 500))
        for i in range(3)
    ]
    for lang in ("ar", "en"):
        reply = replies.format_alerts(ChatAlerts(1, lang, alerts, left_out=(4, 5, 6, 7)), lang)
        assert_telegram_html(reply.text)
        assert "سيف <القدس> &" in replies.html_to_text(reply.text)
        assert "4" in reply.text.rsplit("\n", 1)[-1]  # the articles left out
        assert [b.data for row in reply.buttons for b in row] == ["a|0", "a|1", "a|2"]


def test_follow_list_has_a_button_per_phrase() -> None:
    from bot.people import Follow

    follows = [Follow(3, 1, "غزة", "ar", "t"), Follow(9, 1, "<Lunar> & mission", "en", "t")]
    reply = replies.format_follows(follows, "en", "Gaza")
    assert_telegram_html(reply.text)
    assert labels(reply) == ["u|3", "u|9"] and "&lt;Lunar&gt; &amp; mission" in reply.text
    empty = replies.format_follows([], "ar", "غزة")
    assert_telegram_html(empty.text)
    assert "/follow غزة" in empty.text and empty.buttons == ()


def test_stats_show_the_helpful_rate_and_unhelpful_passages() -> None:
    from bot.people import PassageVotes

    stats = LibraryStats(
        path="x",
        articles=1,
        passages=2,
        last_ingest=None,
        dates_from_mtime=0,
        analyser_version="v",
        bm25={},
    )
    usage = PeopleStats(
        votes=4, helpful=3, top_unhelpful=[PassageVotes(7, 1, "<عنوان>", "بداية المقطع " * 20, 2)]
    )
    for lang in ("ar", "en"):
        text = replies.format_stats(stats, usage, lang).text
        assert_telegram_html(text)
        assert "75%" in text and "&lt;عنوان&gt;" in text and "(×2)" in text
    no_votes = replies.format_stats(
        stats, dataclasses.replace(usage, votes=0, helpful=0), "en"
    ).text
    assert "Votes: 0 · Helpful: 0 (—)" in no_votes
