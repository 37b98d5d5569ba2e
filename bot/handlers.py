"""Telegram callbacks: thin wrappers that call the library off the event loop and send replies.

The first half is Telegram-free (library + language in, ``Reply`` out) so that the terminal chat
(``articlebot chat``) goes through exactly the same logic as the bot.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import alerts as alerting
from bot import replies
from bot.messaging import cosmetic, edit, send, send_all
from bot.people import ALERTS_PER_CHAT, MAX_FOLLOWS, MAX_PHRASE_CHARS
from bot.replies import LATEST_MAX, MAX_RESULTS, PAGE_SIZE, Reply, t
from knowledge import LibraryBusy

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.people import People, Votes
    from knowledge import IngestReport, Library

logger = logging.getLogger(__name__)

# bot_data keys
LIBRARY = "library"
PEOPLE = "people"
SETTINGS = "settings"
THROTTLE = "throttle"
INLINE_THROTTLE = "inline_throttle"
RELOAD_LOCK = "reload_lock"
ALERTS_LOCK = "alerts_lock"
ALERT_ROUNDS = "alert_rounds"
"""The ``bot_data`` key of the ``alerts.Rounds`` that ``articles_arrived`` asks for a round."""
REPORTED_FAILURES = "reported_failures"

ADMIN_CHAT_LANG = "en"
"""The language of reports to the admin chat, which has no user language to go by."""


# --- the logic, without Telegram ----------------------------------------------------------------


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
    if not result.answered or len(result.hits) <= page * PAGE_SIZE:
        return None
    votes = people.votes(question_id) if question_id is not None else None
    return replies.format_answer(result, lang, page, question_id=question_id, votes=votes)


def ask(library: Library, people: People, question: str, lang: str) -> Reply:
    """Answer a new question and log it for /stats (an answer gets 👍 / 👎 buttons)."""
    result = library.search(question, k=PAGE_SIZE + 1)
    question_id = None
    if result.reason not in ("empty", "stopwords"):
        question_id = people.record_question(question, result.answered)
    example = example_question(library, lang) if result.reason == "empty" else None
    if not result.answered:
        question_id = None
    return replies.format_answer(result, lang, 0, example, question_id=question_id)


def example_question(library: Library, lang: str) -> str:
    """One question the library answers, for hints; a generic one if it has none."""
    examples = example_questions(library, lang, 1)
    return examples[0] if examples else replies.t_plain(lang, "example_question")


def latest(library: Library, lang: str, n: int = 5, offset: int = 0) -> Reply | None:
    """A page of the newest articles; None for a later page that is empty now (after a reload)."""
    n = max(1, min(n, LATEST_MAX))
    items = library.latest(n + 1, offset)
    if not items and offset > 0:
        return None
    return replies.format_latest(items[:n], lang, offset, n, has_more=len(items) > n)


def show_article(library: Library, article_id: int, lang: str) -> list[Reply]:
    article = library.article(article_id)
    if article is None:
        return [Reply(t(lang, "article_gone"))]
    return replies.format_article(article, lang)


def start(library: Library, lang: str, name: str | None = None) -> Reply:
    """The greeting: what the library holds and two questions it can answer."""
    stats = library.stats()
    articles = replies.count_articles(stats.articles, lang)
    text = t(lang, "start", name=f", {name}" if name else "", articles=articles)
    examples = example_questions(library, lang)
    if examples:
        text += "\n\n" + t(lang, "start_examples")
        text += "".join(f"\n• <code>{replies.escape(q)}</code>" for q in examples)
    text += "\n\n" + t(lang, "help").split("\n\n", 1)[-1]
    return Reply(replies.apply_bidi(text, lang == "ar"))


def example_questions(library: Library, lang: str = "ar", count: int = 2) -> list[str]:
    """Questions about the newest articles that the library does answer, in ``lang`` first,
    one per article before a second from the same one."""
    per_article = [replies.example_questions(info.title) for info in library.latest(10)]
    depth = max(map(len, per_article), default=0)
    ranked = [qs[i] for i in range(depth) for qs in per_article if i < len(qs)]
    # Stable: the user's language first, newest articles first within it.
    ranked.sort(key=lambda q: replies.is_arabic(q) != (lang == "ar"))
    found: list[str] = []
    for question in ranked:
        if question not in found and library.search(question, k=1).answered:
            found.append(question)
            if len(found) == count:
                break
    return found


def help_reply(lang: str, admin: bool) -> Reply:
    text = t(lang, "help") + (t(lang, "help_admin") if admin else "")
    return Reply(replies.apply_bidi(text, lang == "ar"))


def stats(library: Library, people: People, lang: str) -> Reply:
    return replies.format_stats(library.stats(), people.stats(library), lang)


def coverage(library: Library, lang: str) -> Reply:
    """/sources: where the articles come from and when the library last changed."""
    return replies.format_coverage(library.coverage(), lang)


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
        return replies.format_reload_report(self.report, lang)


def reload_sources(library: Library, sources: Sequence[str | Path]) -> ReloadOutcome:
    """Re-ingest ``sources`` with sync; a failure leaves the old library and says why."""
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
    except LibraryBusy:
        return Reply(t(lang, "busy"))
    limit = MAX_FOLLOWS if status == "limit" else MAX_PHRASE_CHARS
    example = replies.t_plain(lang, "follow_example")
    text = replies.follow_status(status, phrase, lang, example, ALERTS_PER_CHAT, limit)
    return Reply(replies.apply_bidi(text, lang == "ar"))


def following(people: People, chat_id: int, lang: str, lead: str = "") -> Reply:
    """``/following``: the chat's phrases, each with a button to stop it."""
    example = replies.t_plain(lang, "follow_example")
    return replies.format_follows(people.follows(chat_id), lang, example, lead)


def unfollow(people: People, chat_id: int, phrase: str, lang: str) -> Reply:
    """``/unfollow phrase`` or ``/unfollow all``; without words, the list to pick from."""
    if not phrase:
        return following(people, chat_id, lang)
    everything = phrase.lower() in ("all", "الكل", "كل")
    try:
        removed = people.unfollow(chat_id, None if everything else phrase)
    except LibraryBusy:
        return Reply(t(lang, "busy"))
    if not removed and not everything:
        return following(people, chat_id, lang, t(lang, "unfollow_not_found", phrase=phrase))
    if everything:
        text = t(lang, "unfollow_all_done", count=len(removed))
    else:
        text = t(lang, "unfollow_done", phrase=removed[0].phrase)
    return Reply(replies.apply_bidi(text, lang == "ar"))


def vote(people: People, args: Sequence[int | str], user_id: int) -> Votes | None:
    """A 👍 / 👎 press (``f`` callback arguments): store it; the answer's votes, or None if the
    question is unknown. Raises ``LibraryBusy``."""
    question_id, helpful, *passage_ids = (int(a) for a in args)
    return people.record_feedback(question_id, user_id, bool(helpful), passage_ids)


def on_button(
    library: Library,
    people: People,
    data: str | None,
    lang: str,
    question: str | None,
    question_id: int | None = None,
) -> list[Reply]:
    """What pressing a button shows (the terminal chat's view of a callback query; the local
    user votes as user 0)."""
    kind, args = replies.parse_callback(data)
    reply: Reply | None = None
    if kind == "m" and question:
        reply = answer(library, people, question, lang, int(args[0]), question_id)
    elif kind == "f":
        try:
            votes = vote(people, args, 0)
        except LibraryBusy:
            return [Reply(t(lang, "busy"))]
        reply = Reply(t(lang, "feedback_thanks")) if votes is not None else None
    elif kind == "a":
        return show_article(library, int(args[0]), lang)
    elif kind == "l":
        reply = latest(library, lang, int(args[1]), int(args[0]))
    return [reply or Reply(t(lang, "expired"))]


def extract_question(text: str, bot_username: str | None) -> str:
    """The question in a message: without a leading /command and without mentions of the bot."""
    text = re.sub(r"^/\w+(@\w+)?", "", text.strip())
    if bot_username:
        text = re.sub(rf"@{re.escape(bot_username)}\b", " ", text, flags=re.IGNORECASE)
    return replies.clean_question(text)


# --- throttling ---------------------------------------------------------------------------------


@dataclass
class _Bucket:
    tokens: float
    updated: float
    warned: bool = False


@dataclass
class Throttle:
    """A token bucket per user: a burst of ``capacity`` updates, then ``rate`` per second.

    A user over the limit is told once to slow down; further updates are dropped until tokens
    come back. Other users are not affected.
    """

    capacity: float = 8
    rate: float = 0.5
    clock: Callable[[], float] = time.monotonic
    buckets: dict[int, _Bucket] = field(default_factory=dict)

    def check(self, user_id: int) -> str:
        """``"ok"``, ``"warn"`` (first update over the limit) or ``"drop"``."""
        now = self.clock()
        bucket = self.buckets.get(user_id)
        if bucket is None:
            if len(self.buckets) > 10_000:
                self._forget_idle(now)
            bucket = self.buckets[user_id] = _Bucket(self.capacity, now)
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.warned = False
            return "ok"
        if bucket.warned:
            return "drop"
        bucket.warned = True
        return "warn"

    def _forget_idle(self, now: float) -> None:
        full = (self.capacity - 1) / self.rate
        for uid in [u for u, b in self.buckets.items() if now - b.updated > full]:
            del self.buckets[uid]


# --- Telegram plumbing ---------------------------------------------------------------------------


def _library(context: ContextTypes.DEFAULT_TYPE) -> Library:
    return context.bot_data[LIBRARY]


def _people(context: ContextTypes.DEFAULT_TYPE) -> People:
    return context.bot_data[PEOPLE]


def _settings(context: ContextTypes.DEFAULT_TYPE) -> Settings:
    return context.bot_data[SETTINGS]


def user_lang(
    update: Update, context: ContextTypes.DEFAULT_TYPE, question: str | None = None
) -> str:
    user = update.effective_user
    # One indexed read: the choice lives in the library, so every bot instance on it agrees.
    override = _people(context).language(user.id) if user else None
    return replies.choose_lang(override, user.language_code if user else None, question)


async def _typing(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
    await cosmetic(context.bot.send_chat_action(chat_id, ChatAction.TYPING), "sendChatAction")


# --- callbacks -----------------------------------------------------------------------------------


async def guard(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Throttle floods from one user before any other handler runs.

    Only updates the bot acts on count: in a group (with privacy mode off) people's talk among
    themselves must not use up their allowance. Inline queries, which come as the user types,
    have a bucket of their own.
    """
    user = update.effective_user
    throttle = context.bot_data.get(INLINE_THROTTLE if update.inline_query else THROTTLE)
    if user is None or throttle is None:
        return
    message, chat = update.message, update.effective_chat
    if message is not None and chat is not None and chat.type != ChatType.PRIVATE:
        command = (message.text or "").startswith("/")
        if not command and not _addresses_bot(message, context.bot.id, context.bot.username):
            return
    verdict = throttle.check(user.id)
    if verdict == "ok":
        return
    logger.info("throttling user %s (%s)", user.id, verdict)
    lang = user_lang(update, context)
    if update.inline_query is not None:
        # No results, for this user only and not cached: the next query is answered again.
        await cosmetic(update.inline_query.answer([], cache_time=0, is_personal=True), "inline")
    elif update.callback_query is not None:
        await answer_query(update.callback_query, t(lang, "slow_down"))
    elif verdict == "warn" and message is not None and chat is not None:
        notice = send(context, chat.id, Reply(t(lang, "slow_down")), reply_to=message.message_id)
        await cosmetic(notice, "slow-down notice")
    raise ApplicationHandlerStop


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet, say what the library holds, and give two example questions."""
    lang = user_lang(update, context)
    user = update.effective_user
    name = user.first_name if user else None
    reply = await asyncio.to_thread(start, _library(context), lang, name)
    await send(context, update.effective_chat.id, reply)


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """How to use the bot (admin commands for admins only)."""
    user = update.effective_user
    admin = _settings(context).is_admin(user.id if user else None)
    await send(context, update.effective_chat.id, help_reply(user_lang(update, context), admin))


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An unknown command in a private chat: show the help."""
    await on_help(update, context)


async def on_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A text message in a private chat is a question."""
    message = update.effective_message
    await _answer(update, context, extract_question(message.text or "", context.bot.username))


async def on_caption(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A photo or file with a caption in a private chat: the caption is the question."""
    message = update.effective_message
    await _answer(update, context, extract_question(message.caption or "", context.bot.username))


async def on_group_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In groups, answer only when addressed: a mention of the bot or a reply to it."""
    message = update.effective_message
    if _addresses_bot(message, context.bot.id, context.bot.username):
        await _answer(update, context, extract_question(message.text or "", context.bot.username))


def _addresses_bot(message: Message, bot_id: int, username: str | None) -> bool:
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return True
    mentions = message.parse_entities(["mention", "text_mention"])
    for entity, text in mentions.items():
        if entity.user is not None and entity.user.id == bot_id:
            return True
        if username and text.lower() == f"@{username.lower()}":
            return True
    return False


async def on_ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask question: how questions are asked in groups (works in private chats too)."""
    message = update.effective_message
    question = extract_question(message.text or "", context.bot.username)
    if not question:
        lang = user_lang(update, context)
        example = await asyncio.to_thread(example_question, _library(context), lang)
        await send(context, message.chat_id, Reply(t(lang, "ask_usage", example=example)))
        return
    await _answer(update, context, question)


async def _answer(update: Update, context: ContextTypes.DEFAULT_TYPE, question: str) -> None:
    message = update.effective_message
    lang = user_lang(update, context, question)
    await _typing(context, message.chat_id)
    reply = await asyncio.to_thread(ask, _library(context), _people(context), question, lang)
    # A reply to the question: the paging buttons find the question there again, even after a
    # restart, so their callback data stays tiny.
    await send(context, message.chat_id, reply, reply_to=message.message_id)


async def on_not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice notes, files: say that only text is read."""
    lang = user_lang(update, context)
    await send(context, update.effective_chat.id, Reply(t(lang, "not_text")))


async def on_latest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/latest [n]: the newest articles."""
    n = 5
    if context.args and context.args[0].isdigit():
        n = max(1, min(int(context.args[0]), LATEST_MAX))
    lang = user_lang(update, context)
    reply = await asyncio.to_thread(latest, _library(context), lang, n, 0)
    await send(context, update.effective_chat.id, reply)


async def on_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/language [ar|en]: choose the reply language."""
    choice = language_arg(context.args)
    if choice:
        reply = await asyncio.to_thread(set_language, _people(context), update, choice)
        await send(context, update.effective_chat.id, reply)
        return
    lang = user_lang(update, context)
    buttons = ((replies.Button("العربية", "g|ar"), replies.Button("English", "g|en")),)
    await send(context, update.effective_chat.id, Reply(t(lang, "language_choose"), buttons))


def set_language(people: People, update: Update, choice: str) -> Reply:
    """Remember the user's reply language; the confirmation, in that language."""
    try:
        people.set_language(update.effective_user.id, choice)
    except LibraryBusy:
        return Reply(t(choice, "busy"))
    return Reply(t(choice, "language_set"))


def language_arg(args: Sequence[str] | None) -> str | None:
    word = (args[0] if args else "").lower()
    if word in ("ar", "arabic", "عربي", "العربية"):
        return "ar"
    if word in ("en", "english", "انجليزي", "الإنجليزية"):
        return "en"
    return None


async def on_reload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reload (admins): re-ingest the sources off the event loop, then report."""
    user, chat = update.effective_user, update.effective_chat
    lang = user_lang(update, context)
    settings = _settings(context)
    # The user, not the chat: an admin of some group is not an admin of the bot.
    if not settings.is_admin(user.id if user else None):
        logger.info("refused /reload from user %s", user.id if user else None)
        await send(context, chat.id, Reply(t(lang, "not_admin")))
        return
    if await run_reload(context, chat.id, lang) is None:
        await send(context, chat.id, Reply(t(lang, "reload_busy")))


async def scheduled_reload(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The job that ``ARTICLEBOT_RELOAD_EVERY`` repeats."""
    if await run_reload(context) is None:
        logger.info("scheduled reload skipped: a reload is already running")


async def run_reload(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int | None = None, lang: str = ADMIN_CHAT_LANG
) -> ReloadOutcome | None:
    """Re-ingest the configured sources, one reload at a time, for /reload and the schedule.

    With ``chat_id`` (an admin's /reload) the start and the report go to that chat; without it
    (the schedule) only a report with failures is sent, to the admin chat. None when another
    reload is running.
    """
    lock: asyncio.Lock = context.bot_data[RELOAD_LOCK]
    if lock.locked():
        return None
    async with lock:
        if chat_id is not None:
            await send(context, chat_id, Reply(t(lang, "reload_started")))
        outcome = await asyncio.to_thread(
            reload_sources, _library(context), _settings(context).sources
        )
    try:
        await _report_reload(context, outcome, chat_id, lang)
    finally:
        # The followers' alerts must not hang on the report reaching the admin (who may have
        # blocked the bot, or be out of reach).
        if outcome.report is not None:
            await articles_arrived(context, outcome.report)
    return outcome


async def _report_reload(
    context: ContextTypes.DEFAULT_TYPE, outcome: ReloadOutcome, chat_id: int | None, lang: str
) -> None:
    """Report a reload to the admin who asked for it, or (a scheduled one) to the admin chat
    when it has new failures."""
    if chat_id is not None:
        await send_all(context, chat_id, outcome.replies(lang))
    elif _new_failures(context, outcome):
        await tell_admin_chat(context, outcome.replies(ADMIN_CHAT_LANG))


def _new_failures(context: ContextTypes.DEFAULT_TYPE, outcome: ReloadOutcome) -> bool:
    """Whether a scheduled reload failed in a way not reported by the previous one: a source
    that stays broken is reported once, not at every run."""
    failures = outcome.failures()
    if failures:
        logger.warning("scheduled reload: %d failures", len(failures))
    previous = context.bot_data.get(REPORTED_FAILURES, frozenset())
    context.bot_data[REPORTED_FAILURES] = failures
    return bool(failures - previous)


async def articles_arrived(context: ContextTypes.DEFAULT_TYPE, report: IngestReport) -> None:
    """The one place where the bot reacts to what an ingest stored: called after every reload
    (/reload or scheduled) and every channel post, with its report, once the new articles
    (``report.added_ids``) are searchable. Reactions to new articles belong here. The alerts go
    out in a task of their own: a reload or the channel post queue never waits for a round."""
    if report.added_ids:
        logger.info("%d new articles: ids %s", len(report.added_ids), report.added_ids[:20])
    context.bot_data[ALERT_ROUNDS].request()


async def send_due_alerts(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the followers' alerts that are due, one round at a time (a round that waits for
    another then sends what that one left). Also the job that runs at start-up and then every
    minute: it finds what another process (a command-line ingest) added, and the alerts that
    had to wait."""
    async with context.bot_data[ALERTS_LOCK]:
        await alerting.send_alerts(context, _library(context), _people(context))


async def on_chat_migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup, with a new id: its follows go along. Telegram says so in
    both chats (``migrate_to_chat_id`` in the old one, ``migrate_from_chat_id`` in the new)."""
    message = update.effective_message
    if message.migrate_to_chat_id:
        old, new = message.chat_id, message.migrate_to_chat_id
    else:
        old, new = message.migrate_from_chat_id, message.chat_id
    await alerting.move_chat(_people(context), old, new)


async def tell_admin_chat(context: ContextTypes.DEFAULT_TYPE, items: Iterable[Reply]) -> None:
    """Send ``items`` to ``ARTICLEBOT_ADMIN_CHAT_ID``; without one, they are only logged."""
    settings: Settings | None = context.bot_data.get(SETTINGS)
    if settings is None or settings.admin_chat_id is None:
        logger.info("no ARTICLEBOT_ADMIN_CHAT_ID: the report stays in this log")
        return
    for reply in items:
        await cosmetic(send(context, settings.admin_chat_id, reply), "admin chat report")


async def on_sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/sources: what the library covers, for everyone."""
    lang = user_lang(update, context)
    reply = await asyncio.to_thread(coverage, _library(context), lang)
    await send(context, update.effective_chat.id, reply)


async def on_follow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/follow phrase: new articles that contain it are sent to this chat after each reload."""
    await _on_phrase_command(update, context, follow)


async def on_following(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/following: what this chat follows, with buttons to stop."""
    chat_id, lang = update.effective_chat.id, user_lang(update, context)
    await send(
        context, chat_id, await asyncio.to_thread(following, _people(context), chat_id, lang)
    )


async def on_unfollow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unfollow phrase, /unfollow all, or /unfollow alone to pick from a list."""
    await _on_phrase_command(update, context, unfollow)


async def _on_phrase_command(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    action: Callable[[People, int, str, str], Reply],
) -> None:
    """Run ``action(people, chat id, phrase, lang)`` off the event loop and send its reply."""
    message = update.effective_message
    phrase = extract_question(message.text or "", context.bot.username)
    lang = user_lang(update, context, phrase)
    reply = await asyncio.to_thread(action, _people(context), message.chat_id, phrase, lang)
    await send(context, message.chat_id, reply)


async def on_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats (admins): the library and the questions people ask."""
    user = update.effective_user
    lang = user_lang(update, context)
    if not _settings(context).is_admin(user.id if user else None):
        await send(context, update.effective_chat.id, Reply(t(lang, "not_admin")))
        return
    reply = await asyncio.to_thread(stats, _library(context), _people(context), lang)
    await send(context, update.effective_chat.id, reply)


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Buttons: answer pages, articles, /latest pages and the language choice.

    Every query is answered (the spinner stops), and a page that no longer exists says so in
    the answer instead of replacing the message.
    """
    query = update.callback_query
    kind, args = replies.parse_callback(query.data)
    message = query.message if isinstance(query.message, Message) else None
    if kind == "g":
        reply = await asyncio.to_thread(set_language, _people(context), update, str(args[0]))
        await answer_query(query, reply.text)
        if message is not None:
            await edit(context, message, reply)
        return
    question = _question_of(message, context.bot.username) if message else None
    lang = user_lang(update, context, question)
    if kind == "f":
        await _on_vote(context, query, message, args, lang)
        return
    if kind == "u":
        await _on_unfollow_button(context, query, message, int(args[0]), lang)
        return
    if kind == "a":
        await answer_query(query)
        chat_id = message.chat_id if message else query.from_user.id
        items = await asyncio.to_thread(show_article, _library(context), int(args[0]), lang)
        await send_all(context, chat_id, items)
        return
    reply: Reply | None = None
    if message is not None and kind == "m" and question:
        question_id = replies.feedback_question(_callback_datas(message))
        reply = await asyncio.to_thread(
            answer, _library(context), _people(context), question, lang, int(args[0]), question_id
        )
    elif message is not None and kind == "l":
        reply = await asyncio.to_thread(latest, _library(context), lang, int(args[1]), int(args[0]))
    if reply is None:
        await answer_query(query, t(lang, "expired"), alert=kind != "")
        return
    await answer_query(query)
    await edit(context, message, reply)


async def _on_vote(
    context: ContextTypes.DEFAULT_TYPE,
    query: CallbackQuery,
    message: Message | None,
    args: tuple[int | str, ...],
    lang: str,
) -> None:
    """👍 / 👎: store the vote, thank the voter, and show the counts on the buttons."""
    try:
        votes = await asyncio.to_thread(vote, _people(context), args, query.from_user.id)
    except LibraryBusy:
        await answer_query(query, t(lang, "busy"), alert=True)
        return
    if votes is None:
        await answer_query(query, t(lang, "expired"), alert=True)
        return
    await answer_query(query, t(lang, "feedback_thanks"))
    if message is not None and message.reply_markup is not None:
        markup = _with_votes(message.reply_markup, votes)
        edit_markup = context.bot.edit_message_reply_markup(
            message.chat_id, message.message_id, reply_markup=markup
        )
        await cosmetic(edit_markup, "editMessageReplyMarkup")  # "not modified" is fine too


def _with_votes(markup: InlineKeyboardMarkup, votes: Votes) -> InlineKeyboardMarkup:
    """``markup`` with its 👍 / 👎 buttons relabelled with the vote counts."""
    rows = []
    for row in markup.inline_keyboard:
        new_row = []
        for button in row:
            kind, args = replies.parse_callback(button.callback_data)
            if kind == "f":
                label = replies.feedback_label(args[1] == 1, votes)
                button = InlineKeyboardButton(label, callback_data=button.callback_data)
            new_row.append(button)
        rows.append(new_row)
    return InlineKeyboardMarkup(rows)


def _callback_datas(message: Message) -> list[str | None]:
    markup = message.reply_markup
    if markup is None:
        return []
    return [b.callback_data for row in markup.inline_keyboard for b in row]


async def _on_unfollow_button(
    context: ContextTypes.DEFAULT_TYPE,
    query: CallbackQuery,
    message: Message | None,
    follow_id: int,
    lang: str,
) -> None:
    """🔕 under the list of follows: stop that one and show the list as it is now."""
    people = _people(context)
    chat_id = message.chat_id if message else query.from_user.id
    try:
        removed = await asyncio.to_thread(people.unfollow, chat_id, None, follow_id)
    except LibraryBusy:
        await answer_query(query, t(lang, "busy"), alert=True)
        return
    # Pressed twice, or stopped meanwhile: the list as it is now says enough.
    done = t(lang, "unfollow_done", phrase=removed[0].phrase) if removed else ""
    await answer_query(query, done)
    if message is not None:
        await edit(
            context, message, await asyncio.to_thread(following, people, chat_id, lang, done)
        )


async def answer_query(query: CallbackQuery, html_text: str = "", alert: bool = False) -> None:
    """Answer a callback query; failing (a query too old after a restart) is only logged."""
    text = replies.visible_text(html_text)[:200] or None
    await cosmetic(query.answer(text, show_alert=alert), "answerCallbackQuery")


def _question_of(message: Message, bot_username: str | None) -> str | None:
    """The question an answer message answers: the message it replies to, else its header."""
    original = message.reply_to_message
    if original is not None and original.text:
        return extract_question(original.text, bot_username) or None
    return replies.question_from_answer(message.text)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log every error; tell the user something went wrong and report to the admin chat."""
    logger.error("error while handling an update", exc_info=context.error)
    error = context.error
    if isinstance(error, (RetryAfter, Forbidden)) or (
        isinstance(error, NetworkError) and not isinstance(error, BadRequest)
    ):
        return  # Telegram is unreachable or the user blocked us: nothing more to say
    if isinstance(update, Update) and update.effective_chat is not None:
        if update.callback_query is not None:
            await answer_query(update.callback_query, t(user_lang(update, context), "error"))
        if update.effective_chat.type == ChatType.PRIVATE:
            lang = user_lang(update, context)
            await cosmetic(
                send(context, update.effective_chat.id, Reply(t(lang, "error"))), "error"
            )
    settings: Settings | None = context.bot_data.get(SETTINGS)
    if settings is not None and settings.admin_chat_id is not None:
        detail = str(error)
        if settings.token:  # an HTTP error can quote the request URL, which holds the token
            detail = detail.replace(settings.token, "<token>")
        name, detail = html.escape(type(error).__name__), html.escape(detail[:3000])
        await tell_admin_chat(context, [Reply(f"⚠️ <b>{name}</b>\n<code>{detail}</code>")])


__all__ = [
    "ReloadOutcome",
    "Throttle",
    "answer",
    "articles_arrived",
    "ask",
    "coverage",
    "extract_question",
    "follow",
    "following",
    "help_reply",
    "latest",
    "on_button",
    "on_chat_migrated",
    "reload",
    "reload_sources",
    "run_reload",
    "scheduled_reload",
    "send_due_alerts",
    "show_article",
    "start",
    "stats",
    "tell_admin_chat",
    "unfollow",
    "vote",
]
