"""bot.admin_replies: the reload report and /stats."""

from __future__ import annotations

import dataclasses

from bot import admin_replies
from bot.people import PeopleStats, QuestionCount
from knowledge import (
    FileError,
    IngestReport,
    LibraryStats,
)
from tests.telegram_helpers import assert_telegram_html


def test_reload_report_lists_failures_escaped() -> None:
    report = IngestReport(added=2, failed=[FileError("/a/<b>.md", "not UTF-8 & not 1256")])
    messages = admin_replies.format_reload_report(report, "en")
    for m in messages:
        assert_telegram_html(m.text)
    text = "".join(m.text for m in messages)
    assert "Added: 2" in text and "&lt;b&gt;.md" in text and "Failed: 1" in text


def test_stats_show_share_and_top_unanswered() -> None:
    stats = LibraryStats(
        path="x",
        articles=3,
        passages=40,
        last_ingest="2026-01-02T03:04:05+00:00",
        undated=0,
        analyser_version="v",
        bm25={},
    )
    usage = PeopleStats(questions=8, unanswered=2, top_unanswered=[QuestionCount("ما <هو>؟", 2)])
    reply = admin_replies.format_stats(stats, usage, "ar")
    assert_telegram_html(reply.text)
    assert (
        "25%" in reply.text and "&lt;هو&gt;" in reply.text and "2026-01-02 03:04 UTC" in reply.text
    )


def test_stats_show_the_helpful_rate_and_unhelpful_passages() -> None:
    from bot.people import PassageVotes

    stats = LibraryStats(
        path="x",
        articles=1,
        passages=2,
        last_ingest=None,
        undated=0,
        analyser_version="v",
        bm25={},
    )
    usage = PeopleStats(
        votes=4, helpful=3, top_unhelpful=[PassageVotes(7, 1, "<عنوان>", "بداية المقطع " * 20, 2)]
    )
    for lang in ("ar", "en"):
        text = admin_replies.format_stats(stats, usage, lang).text
        assert_telegram_html(text)
        assert "75%" in text and "&lt;عنوان&gt;" in text and "(×2)" in text
    no_votes = admin_replies.format_stats(
        stats, dataclasses.replace(usage, votes=0, helpful=0), "en"
    ).text
    assert "Votes: 0 · Helpful: 0 (—)" in no_votes
