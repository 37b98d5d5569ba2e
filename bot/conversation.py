"""The replies to what people say, without Telegram: library, people and language in,
``Reply`` out. The Telegram handlers and the terminal chat (``articlebot chat``) both go
through these functions, so they answer alike.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from bot import (
    admin_replies,
    answers,
    bidi,
    callbacks,
    examples,
    follow_replies,
    i18n,
    listings,
    messages,
)
from bot.i18n import t
from bot.limits import LATEST_DEFAULT, LATEST_MAX, MAX_QUESTION, MAX_RESULTS, PAGE_SIZE
from bot.messages import Reply
from bot.people import ALERTS_PER_CHAT, MAX_FOLLOWS, MAX_PHRASE_CHARS
from bot.refusals import cannot_save
from knowledge import LibraryBusy
from knowledge.demo import is_demo
from knowledge.text import clean_text

if TYPE_CHECKING:
    from bot.people import People, Votes
    from knowledge import IngestReport, Library

logger = logging.getLogger(__name__)
T = TypeVar("T")

__all__ = [
    "Example",
    "ReloadOutcome",
    "answer",
    "ask",
    "ask_example",
    "coverage",
    "example_asked",
    "example_question",
    "example_questions",
    "extract_question",
    "follow",
    "following",
    "language_arg",
    "latest",
    "reload",
    "reload_sources",
    "set_language",
    "show_article",
    "start",
    "start_examples",
    "stats",
    "unfollow",
    "vote",
]


def answer(
    library: Library,
    people: People,
    question: str,
    lang: str,
    page: int = 0,
    question_id: int | None = None,
) -> Reply | None:
    """Page ``page`` of the answer to ``question`` (one hit more than shown, to know if there
    is a next page); None when the library no longer answers it or has nothing on that page.
    ``question_id``: the logged question, for the 👍 / 👎 buttons."""
    k = min((page + 1) * PAGE_SIZE + 1, MAX_RESULTS + 1)
    result = library.search(question, k=k)
    if not result.answered or len(result.hits) <= answers.page_span(page)[0]:
        return None
    votes = people.votes(question_id) if question_id is not None else None
    reply = answers.format_answer(result, lang, page, question_id=question_id, votes=votes)
    if page == 0 and result.hits[0].url:  # (as ``ask``: the first page previews its top article)
        reply = dataclasses.replace(reply, preview_url=result.hits[0].url)
    return reply


def ask(
    library: Library, people: People, question: str, lang: str, user_id: int | None = None
) -> Reply:
    """Answer a new question and log it for /stats (an answer gets 👍 / 👎 buttons), as
    ``user_id``'s (for /forget). The reply's ``preview_url`` is the top article's page."""
    result = library.search(question, k=PAGE_SIZE + 1)
    question_id = None
    if result.reason not in ("empty", "stopwords"):
        question_id = people.record_question(question, result.answered, user_id)
    example = example_question(library, lang) if result.reason == "empty" else None
    if not result.answered:
        question_id = None
    mix = library.language_mix() if not result.answered else {}
    reply = answers.format_answer(
        result, lang, 0, example, question_id, library_lang=answers.majority_language(mix)
    )
    if result.answered and result.hits and result.hits[0].url:
        reply = dataclasses.replace(reply, preview_url=result.hits[0].url)
    return reply


def ask_example(
    library: Library,
    people: People,
    article_id: int,
    index: int,
    lang: str,
    user_id: int | None = None,
) -> Reply | None:
    """An example button pressed: ask its question (made again from its article's headline);
    None when the article or the question is gone."""
    question = example_asked(library, article_id, index)
    return None if question is None else ask(library, people, question, lang, user_id)


def example_asked(library: Library, article_id: int, index: int) -> str | None:
    """The question example button (``article_id``, ``index``) asks, made again from its
    article's headline; None when the article or the question is gone."""
    article = library.article(article_id)
    found = examples.questions(article.title, max_chars=None) if article else []
    return found[index] if index < len(found) else None


def example_question(library: Library, lang: str) -> str:
    """One question the library answers, for hints; a generic one if it has none."""
    examples = example_questions(library, lang, 1)
    return examples[0] if examples else i18n.t_plain(lang, "example_question")


def latest(library: Library, lang: str, n: int = LATEST_DEFAULT, offset: int = 0) -> Reply | None:
    """A page of the newest articles; None for a later page that is empty now (after a reload)."""
    n = max(1, min(n, LATEST_MAX))
    items = library.latest(n + 1, offset)
    if not items and offset > 0:
        return None
    return listings.format_latest(items[:n], lang, offset, n, has_more=len(items) > n)


def show_article(library: Library, article_id: int, lang: str) -> list[Reply]:
    article = library.article(article_id)
    if article is None:
        return [Reply(t(lang, "article_gone"))]
    return listings.format_article(article, lang)


def start(
    library: Library,
    lang: str,
    name: str | None = None,
    guide: str = "",
    hint: str = "start_examples",
) -> Reply:
    """The greeting: what the library holds, then ``guide`` (the list of commands), with a
    button for each of up to three questions it can answer, introduced by the string
    ``hint``."""
    articles = library.stats().articles
    # The inner string stays plain: t() escapes the values it fills in, once.
    hello = i18n.t_plain(lang, "start_name", name=name) if name else ""
    if not articles:  # "a library of 0 news articles" would say nothing of how to fill it
        text = t(lang, "start_empty", name=hello)
    else:
        text = t(lang, "start", name=hello, articles=i18n.count_articles(articles, lang))
    if guide:
        text += "\n\n" + guide
    found = start_examples(library, lang)
    if found:
        text += "\n\n" + t(lang, hint)
    buttons = tuple(
        (messages.Button(e.question, callbacks.example(e.article_id, e.index)),) for e in found
    )
    return Reply(bidi.apply_bidi(text, lang == "ar"), buttons)


@dataclass(frozen=True)
class Example:
    """An example question: the ``index``-th that ``examples.questions`` makes from the
    headline of article ``article_id`` (the button carries only the two numbers)."""

    article_id: int
    index: int
    question: str


START_EXAMPLES = 3
"""Example questions /start offers, at most."""
EXAMPLE_ARTICLES = 20
"""The newest articles examples are made from."""


def start_examples(
    library: Library, lang: str = "ar", count: int = START_EXAMPLES
) -> list[Example]:
    """Questions about the newest articles in ``lang`` that the library does answer, one per
    article before a second from the same one: those short enough for a phone's button
    first, then longer ones in ``lang`` (a long question in the reader's language beats a
    short one in another), and short ones in the other language only when ``lang`` gives
    none."""
    ranked = _by_depth(
        [
            Example(info.id, i, q)
            for i, q in enumerate(examples.questions(info.title, max_chars=None))
        ]
        for info in library.latest(EXAMPLE_ARTICLES)
    )
    short = [e for e in ranked if len(e.question) <= examples.MAX_BUTTON_QUESTION]
    mine = [e for e in ranked if i18n.is_arabic(e.question) == (lang == "ar")]
    found: list[Example] = []
    for tier in (
        [e for e in short if e in mine],
        [e for e in mine if e not in short],
        [e for e in short if e not in mine],
    ):
        if found and tier[:1] and tier[0] not in mine:
            break  # the other language only when the reader's gives none
        found += _answered(library, tier, count - len(found), found)
        if len(found) == count:
            break
    return found


def _by_depth(per_article: Iterable[list[T]]) -> list[T]:
    """Each article's first question (newest article first), then each one's second, and so
    on: one per article before a second from the same one."""
    lists = list(per_article)
    depth = max(map(len, lists), default=0)
    return [qs[i] for i in range(depth) for qs in lists if i < len(qs)]


def _answered(
    library: Library, candidates: list[Example], count: int, taken: Sequence[Example] = ()
) -> list[Example]:
    """The first ``count`` of ``candidates`` that the library answers, no question twice (nor
    one of ``taken``)."""
    found: list[Example] = []
    if count <= 0:
        return found
    for example in candidates:
        if example.question in (e.question for e in (*taken, *found)):
            continue
        if library.search(example.question, k=1).answered:
            found.append(example)
            if len(found) == count:
                break
    return found


def example_questions(library: Library, lang: str = "ar", count: int = 2) -> list[str]:
    """What to type about the newest articles (questions or topics) that the library does
    answer, for hints; in ``lang`` first, one per article before a second from the same one."""
    ranked = _by_depth(examples.example_questions(info.title) for info in library.latest(10))
    # Stable: the user's language first, newest articles first within it.
    ranked.sort(key=lambda q: i18n.is_arabic(q) != (lang == "ar"))
    found: list[str] = []
    for question in ranked:
        if question not in found and library.search(question, k=1).answered:
            found.append(question)
            if len(found) == count:
                break
    return found


def stats(library: Library, people: People, lang: str) -> Reply:
    return admin_replies.format_stats(library.stats(), people.stats(library), lang)


def coverage(library: Library, lang: str) -> Reply:
    """/sources: where the articles come from and when the library last changed."""
    return listings.format_coverage(library.coverage(), lang)


@dataclass(frozen=True)
class ReloadOutcome:
    """What a reload did: its report, or why it failed (the old library then serves on)."""

    report: IngestReport | None = None
    error: str | None = None

    def failures(self) -> frozenset[tuple[str, str]]:
        """(path, reason) of each source that failed; ("", reason) for a failed reload."""
        if self.report is None:
            return frozenset({("", self.error or "?")})
        return frozenset((f.path, f.reason) for f in self.report.failed)

    def replies(self, lang: str) -> list[Reply]:
        if self.report is None:
            return [Reply(t(lang, "reload_failed", reason=self.error or "?"))]
        return admin_replies.format_reload_report(self.report, lang)


NO_SOURCES = (
    "no ARTICLEBOT_SOURCES set: /reload re-reads the folders, files and feeds it names "
    "(the bundled demo article is never added to a library of your own)"
)


def reload_sources(library: Library, sources: Sequence[str | Path]) -> ReloadOutcome:
    """Re-ingest ``sources`` with sync; a failure leaves the old library and says why. With
    no sources configured (the bundled demo) a library of the user's is left alone: reloading
    would add the demo to it."""
    if is_demo(sources) and not library.is_demo():
        return ReloadOutcome(error=NO_SOURCES)
    try:
        return ReloadOutcome(library.ingest(sources, sync=True))
    except Exception as error:  # any failure must reach the admin as a message, not a crash
        logger.exception("reload failed")
        return ReloadOutcome(error=str(error) or type(error).__name__)


def reload(library: Library, sources: Sequence[str | Path], lang: str) -> list[Reply]:
    """Re-ingest ``sources`` and say what happened (the terminal chat's /reload)."""
    return reload_sources(library, sources).replies(lang)


def follow(people: People, chat_id: int, phrase: str, lang: str) -> Reply:
    """``/follow phrase``: follow it in this chat, or say why not (no phrase: how to)."""
    status = "empty"
    try:
        if phrase:
            status = people.follow(chat_id, phrase, lang)
    except LibraryBusy as error:
        return Reply(cannot_save(lang, error))
    limit = MAX_FOLLOWS if status == "limit" else MAX_PHRASE_CHARS
    example = i18n.t_plain(lang, "follow_example")
    text = follow_replies.follow_status(status, phrase, lang, example, ALERTS_PER_CHAT, limit)
    return Reply(bidi.apply_bidi(text, lang == "ar"))


def following(people: People, chat_id: int, lang: str, lead: str = "") -> Reply:
    """``/following``: the chat's phrases, each with a button to stop it."""
    example = i18n.t_plain(lang, "follow_example")
    return follow_replies.format_follows(people.follows(chat_id), lang, example, lead)


def unfollow(people: People, chat_id: int, phrase: str, lang: str) -> Reply:
    """``/unfollow phrase`` or ``/unfollow all``; without words, the list to pick from."""
    if not phrase:
        return following(people, chat_id, lang)
    everything = phrase.lower() in ("all", "الكل", "كل")
    try:
        removed = people.unfollow(chat_id, None if everything else phrase)
    except LibraryBusy as error:
        return Reply(cannot_save(lang, error))
    if not removed and not everything:
        return following(people, chat_id, lang, t(lang, "unfollow_not_found", phrase=phrase))
    if everything:
        text = t(lang, "unfollow_all_done", count=len(removed))
    else:
        text = t(lang, "unfollow_done", phrase=removed[0].phrase)
    return Reply(bidi.apply_bidi(text, lang == "ar"))


def vote(
    people: People, question_id: int, helpful: bool, passage_ids: Sequence[int], user_id: int
) -> Votes | None:
    """A 👍 / 👎 press: store it; the answer's votes, or None if the question is unknown.
    Raises ``LibraryBusy``."""
    return people.record_feedback(question_id, user_id, helpful, list(passage_ids))


def set_language(people: People, user_id: int, choice: str) -> Reply:
    """Remember the user's reply language; the confirmation, in that language."""
    try:
        people.set_language(user_id, choice)
    except LibraryBusy as error:
        return Reply(cannot_save(choice, error))
    return Reply(t(choice, "language_set"))


def language_arg(args: Sequence[str] | None) -> str | None:
    """The language a /language argument names, if any."""
    word = (args[0] if args else "").lower()
    if word in ("ar", "arabic", "عربي", "العربية"):
        return "ar"
    if word in ("en", "english", "انجليزي", "الإنجليزية"):
        return "en"
    return None


def extract_question(text: str, bot_username: str | None) -> str:
    """The question in a message: without a leading /command and without mentions of the bot."""
    text = re.sub(r"^/\w+(@\w+)?", "", text.strip())
    if bot_username:
        text = re.sub(rf"@{re.escape(bot_username)}\b", " ", text, flags=re.IGNORECASE)
    return clean_text(text, MAX_QUESTION, typed=True)
