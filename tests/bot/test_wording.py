"""The wording review of issues 11 and 12: names escaped once, /help naming the buttons there
are, every string used and in both languages, Arabic counts and times as people say them,
short buttons, one order of source and date, dates that keep their order in bidi text, the
empty library's greeting."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from bot import answers, blocks, conversation, i18n, listings
from bot.bidi import FSI, PDI, apply_bidi
from bot.markup import visible_text
from knowledge import Library
from knowledge.records import Coverage, Origin
from tests.reply_helpers import hit, result
from tests.telegram_helpers import assert_telegram_html

BOT = Path(__file__).resolve().parents[2] / "bot"
NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.timezone.utc)
# Keys the code builds from a pattern, with where: each pattern must still be in that file.
DYNAMIC = {
    "follow_": ("follow_replies.py", 'f"follow_{status}"'),
    "ask_in_": ("answers.py", 'f"ask_in_{library_lang}"'),
}


def _yaml(lang: str) -> dict:
    return yaml.safe_load((BOT / "strings" / f"{lang}.yaml").read_text(encoding="utf-8"))


def test_every_string_is_used_and_in_both_languages() -> None:
    en, ar = _yaml("en"), _yaml("ar")
    assert set(en) == set(ar)
    for key in en:
        if isinstance(en[key], str):
            assert set(re.findall(r"{(\w+)}", en[key])) == set(re.findall(r"{(\w+)}", ar[key]))
    for prefix, (file, pattern) in DYNAMIC.items():
        assert pattern in (BOT / file).read_text(encoding="utf-8"), prefix
    code = "\n".join(p.read_text(encoding="utf-8") for p in BOT.rglob("*.py"))
    unused = [
        key
        for key in en
        if not re.search(f"[\"']{re.escape(key)}[\"']", code) and not key.startswith(tuple(DYNAMIC))
    ]
    assert unused == []


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_help_names_the_buttons_there_are(lang: str) -> None:
    help_text = i18n.t(lang, "help")
    assert f"<b>{i18n.t_plain(lang, 'article_button')}</b>" in help_text
    assert f"<b>{i18n.t_plain(lang, 'more')}</b>" in help_text
    assert "Show article" not in help_text and "عرض المقال" not in help_text


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_start_escapes_the_name_once(library: Library, lang: str) -> None:
    text = conversation.start(library, lang, name="Tom & <Jerry>").text
    assert_telegram_html(text)
    assert "Tom &amp; &lt;Jerry&gt;" in text and "&amp;amp;" not in text


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_an_empty_library_says_how_to_fill_it(tmp_path: Path, lang: str) -> None:
    with Library.open(tmp_path / "empty.db") as library:
        reply = conversation.start(library, lang, name="Tom")
    assert_telegram_html(reply.text)
    shown = visible_text(reply.text)
    assert " 0 " not in shown and "/reload" in shown and "articlebot ingest" in shown
    assert not reply.buttons


def test_arabic_relative_times_as_people_say_them() -> None:
    def ago(**delta: float) -> str:
        return i18n.format_moment((NOW - dt.timedelta(**delta)).isoformat(), "ar", NOW)

    assert ago(minutes=1) == "قبل دقيقة"
    assert ago(minutes=2) == "قبل دقيقتين"
    assert ago(hours=1) == "قبل ساعة"
    assert ago(hours=2) == "قبل ساعتين"
    assert ago(hours=3) == "قبل 3 ساعات"
    assert i18n.format_date("2026-11-29", "ar", NOW) == "أمس"
    assert i18n.format_date("2026-11-30", "en", NOW) == "today"


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, "مقال إخباري واحد"), (2, "مقالان إخباريان"), (3, "3 مقالات إخبارية")],
)
def test_sources_lists_counts_in_the_nominative(count: int, expected: str) -> None:
    coverage = Coverage(count, [Origin("Example News", count, None)], None)
    shown = visible_text(listings.format_coverage(coverage, "ar").text)
    assert f"Example News: {expected}" in shown.replace("\u2068", "").replace("\u2069", "")


def test_the_first_answers_buttons_fit_a_phone() -> None:
    hits = [hit(passage_id=i, article_id=i) for i in (1, 2)]
    for lang in ("en", "ar"):
        row = answers.format_answer(result(hits), lang, question_id=1).buttons[0]
        labels = [b.label for b in row]
        assert len(labels) == 4 and sum(map(len, labels)) <= 20, labels


def test_source_and_date_come_in_one_order_everywhere() -> None:
    lead = hit(url=None)
    first = answers.format_answer(result([lead, hit(passage_id=2, article_id=2)]), "en")
    page = answers.format_answer(
        result([lead, hit(passage_id=2, article_id=2), hit(passage_id=3, article_id=3)]), "en", 1
    )
    header = blocks.article_header("T", None, "2021-05-21", "Example News", "en")
    for text in (first.text, page.text, header):
        assert "Example News · 21 May 2021" in visible_text(text).replace("\u2068", "").replace(
            "\u2069", ""
        ), text


def test_a_date_keeps_its_day_in_an_arabic_line_of_an_english_reply() -> None:
    line = apply_bidi("<i>21 May 2021 · وكالة الأنباء</i>", rtl_default=False)
    assert f"{FSI}21 May 2021{PDI}" in line


def test_an_arabic_date_keeps_its_order_in_a_latin_line_of_an_arabic_reply() -> None:
    line = apply_bidi("<i>Example News · 21 مايو 2021</i>", rtl_default=True)
    assert f"{FSI}21 مايو 2021" in line and line.count(PDI) == 1
