"""The administrators' replies: the report of a reload and the library's statistics (questions,
unanswered ones, the helpful rate, the passages most often marked unhelpful, and how much of
the library has vectors).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.bidi import apply_bidi
from bot.blocks import one_line, stamp
from bot.i18n import t, t_plain
from bot.limits import MAX_MESSAGE
from bot.markup import escape
from bot.messages import Reply
from bot.splitting import split_html_blocks
from knowledge.text import shorten

if TYPE_CHECKING:
    from bot.people import PeopleStats
    from knowledge import IngestReport, LibraryStats

__all__ = ["format_reload_report", "format_stats"]


def format_reload_report(report: IngestReport, lang: str) -> list[Reply]:
    """What a reload did, with each file that failed and why, over as many messages as needed."""
    failed_lines = [
        f"• <code>{escape(shorten(f.path, 150))}</code>: {escape(shorten(f.reason, 300))}"
        for f in report.failed
    ]
    text = t(
        lang,
        "reload_done",
        seconds=f"{report.seconds:.1f}",
        added=report.added,
        updated=report.updated,
        unchanged=report.unchanged,
        removed=report.removed,
        passages=report.passages,
        failed=len(report.failed),
    )
    if report.demo_removed:
        text += t(lang, "reload_demo_removed")
    blocks = [apply_bidi(text, lang == "ar")] + [apply_bidi(x, lang == "ar") for x in failed_lines]
    return [Reply(m) for m in split_html_blocks(blocks, MAX_MESSAGE, "\n")]


def format_stats(stats: LibraryStats, usage: PeopleStats, lang: str) -> Reply:
    """/stats: the library, the questions asked and the most frequent unanswered ones, and
    the feedback."""
    share = round(100 * usage.unanswered / usage.questions) if usage.questions else 0
    text = t(
        lang,
        "stats",
        articles=stats.articles,
        passages=stats.passages,
        last=stamp(stats.last_ingest) or t_plain(lang, "never"),
        questions=usage.questions,
        unanswered=usage.unanswered,
        share=share,
    )
    if usage.top_unanswered:
        text += t(lang, "stats_top")
        for q in usage.top_unanswered[:10]:
            text += f"\n• {escape(one_line(q.question, 120))} (×{q.count})"
    text += _format_feedback(usage, lang)
    text += _format_semantic(stats, lang)
    text = apply_bidi(text, lang == "ar")
    return Reply(split_html_blocks(text.split("\n"), MAX_MESSAGE, "\n")[0])


def _format_semantic(stats: LibraryStats, lang: str) -> str:
    """How much of the library has vectors, or that the semantic signal is off."""
    if stats.vector_model is None:
        return t(lang, "stats_semantic_off")
    return t(
        lang,
        "stats_vectors",
        vectors=stats.vectors,
        passages=stats.passages,
        share=round(100 * stats.vectors_share),
        model=stats.vector_model,
    )


def _format_feedback(stats: PeopleStats, lang: str) -> str:
    """The helpful rate and the passages most often marked unhelpful (title: first words)."""
    rate = stats.helpful_rate
    text = t(
        lang,
        "stats_feedback",
        votes=stats.votes,
        helpful=stats.helpful,
        rate="—" if rate is None else f"{round(100 * rate)}%",
    )
    if stats.top_unhelpful:
        text += t(lang, "stats_unhelpful")
        for p in stats.top_unhelpful[:10]:
            title = escape(one_line(p.title, 60))
            start = escape(one_line(p.start, 80))
            text += f"\n• <b>{title}</b>: {start} (×{p.unhelpful})"
    return text
