"""``People``: what the bot keeps about people, in the library's file, beside the articles.

Follows and the alerts they bring, the question log, votes on answers and language choices.
The article library knows nothing of chats; alerts ask it which new passages match the
followed phrases (``Library.new_matches``). A library this process may only read (a folder
baked into an image) is read as it is: nothing is migrated or written, and every write raises
``PeopleReadOnly``.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from knowledge import Library, LibraryBusy
from knowledge.analysis import analyse_query
from knowledge.errors import DISK_FULL, READ_ONLY, DiskFull, ReadOnlyLibrary
from knowledge.store.connection import apply_migrations, connect, is_read_only
from knowledge.store.health import explain as explain_storage_error
from knowledge.text import clean_text

from . import feedback, follows, plans, privacy, schema
from .records import ChatAlerts, DueAlerts, Follow, PassageVotes, PeopleStats, Votes

logger = logging.getLogger(__name__)

MAX_FOLLOWS = 20
"""Phrases one chat may follow."""
MAX_PHRASE_CHARS = 100
ALERTS_PER_CHAT = 3
"""New articles sent to one chat in one message, at most."""
SENT_KEPT_DAYS = 30
"""How long the record of an alert outlives the round that handled its article: a round made
from an older mark (another bot instance's, slower) must still find it, and none lasts days."""
USER_WRITE_SECONDS = 5.0
"""How long a follow or a vote waits for an ingest's transaction before giving up."""


def clean_phrase(phrase: str) -> str:
    """A followed phrase as stored: no bidi controls, single spaces, no surrounding quotes."""
    return clean_text(phrase).strip(" \"'«»“”")


class PeopleReadOnly(ReadOnlyLibrary, LibraryBusy):
    """A write refused because the library may only be read here. A ``LibraryBusy`` too, so
    that every handler that refuses a write politely when the library is busy refuses this one
    as well, instead of failing; those that can tell say why (``ReadOnlyLibrary``)."""


class PeopleDiskFull(DiskFull, LibraryBusy):
    """A write refused because the disk is full: a ``LibraryBusy`` too (see ``PeopleReadOnly``),
    and a ``DiskFull`` for those that can say why."""


class People:
    """People's state, kept in the SQLite file at ``path`` (the library's). ``read_only``
    (by default: when the file or its folder cannot be written, as ``Library.open`` decides):
    read it as it is, and refuse every write with ``PeopleReadOnly``."""

    def __init__(self, path: str | Path, read_only: bool | None = None) -> None:
        self.path = Path(path).expanduser()
        self.read_only = is_read_only(self.path) if read_only is None else read_only
        self._local = threading.local()
        db = self._db()
        if self.read_only:
            return
        apply_migrations(db, schema.MIGRATIONS)
        follows.start_alerts_mark(db)

    def close(self) -> None:
        for name in ("db", "users", "log"):
            db = getattr(self._local, name, None)
            if db is not None:
                db.close()
                setattr(self._local, name, None)

    def __enter__(self) -> People:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- follows --------------------------------------------------------------------------------

    def follow(self, chat_id: int, phrase: str, lang: str | None = None) -> str:
        """Follow ``phrase`` in ``chat_id``: its new articles are then offered by ``due_alerts``.

        Returns ``"added"``, ``"exists"``, ``"limit"`` (the chat follows ``MAX_FOLLOWS``
        phrases), ``"too_long"`` (over ``MAX_PHRASE_CHARS``), ``"empty"`` (no words) or
        ``"stopwords"`` (only words too common to search). Raises ``LibraryBusy``.
        """
        phrase = clean_phrase(phrase)
        if not any(ch.isalnum() for ch in phrase):
            return "empty"
        if len(phrase) > MAX_PHRASE_CHARS:
            return "too_long"
        if not analyse_query(phrase, ()):
            return "stopwords"
        with self._user_writes() as db, db.atomic():
            if not follows.any_follows(db):
                follows.skip_stored_articles(db)
            return follows.add_follow(db, chat_id, phrase, lang, MAX_FOLLOWS)

    def follows(self, chat_id: int) -> list[Follow]:
        """The phrases ``chat_id`` follows, oldest first."""
        return follows.follows(self._db(), chat_id)

    def unfollow(
        self, chat_id: int, phrase: str | None = None, follow_id: int | None = None
    ) -> list[Follow]:
        """Stop following ``phrase`` (any case) or the follow ``follow_id`` in ``chat_id``; all
        of the chat's follows when neither is given. Returns those removed."""
        phrase = None if phrase is None else clean_phrase(phrase)
        with self._user_writes() as db:
            return follows.remove_follows(db, chat_id, phrase, follow_id)

    def move_chat(self, old: int, new: int) -> int:
        """Move chat ``old``'s follows and the record of what it was sent to chat ``new`` (a
        group that became a supergroup gets a new id); returns the number of follows moved.
        Raises ``LibraryBusy``."""
        with self._user_writes() as db:
            return follows.move_chat(db, old, new)

    # -- alerts ---------------------------------------------------------------------------------

    def due_alerts(self, library: Library, per_chat: int = ALERTS_PER_CHAT) -> DueAlerts:
        """What to send to whom for the articles added since those handled last (see
        ``alerts_done``), whoever added them: this process, or another one (a command-line
        ingest). For each chat: the new articles that match one of its follows, best first, at
        most ``per_chat``, none that was sent to it before.

        An article matches a phrase when one of its passages (with the article's title, as
        indexed for search) holds every term of the phrase analysed as a query; it ranks by
        that passage's BM25 score for the phrase, and that passage is the one to quote. Only
        articles that the library's serving index holds are ready (``Library.new_matches``)."""
        return plans.due_alerts(self._db(), library, per_chat)

    def mark_sent(self, plan: ChatAlerts) -> ChatAlerts:
        """Record ``plan``'s alerts, and the articles it leaves out, as sent to its chat, before
        sending it; returns the plan with only what was not sent before, the only part to send
        (so that two senders never send one article twice, and a plan made again after a
        failure does not send what the cap left out). Raises ``LibraryBusy``."""
        rows: list[tuple[int, int, int | None]] = [
            (plan.chat_id, a.hit.article_id, a.follow_id) for a in plan.alerts
        ]
        rows += [(plan.chat_id, article_id, None) for article_id in plan.left_out]
        with self._user_writes() as db:
            claimed = follows.claim_alerts(db, rows)
        count = len(plan.alerts)
        alerts = [alert for i, alert in enumerate(plan.alerts) if i in claimed]
        left_out = tuple(a for i, a in enumerate(plan.left_out, count) if i in claimed)
        return ChatAlerts(plan.chat_id, plan.lang, alerts, left_out)

    def alerts_done(self, library: Library, through: int) -> None:
        """Record that the alerts for the articles up to id ``through`` were handled: the next
        ``due_alerts`` starts after it; what was sent about handled articles more than
        ``SENT_KEPT_DAYS`` ago, or about articles ``library`` no longer holds, is forgotten.
        Raises ``LibraryBusy``."""
        kept_from = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=SENT_KEPT_DAYS)
        sent = follows.sent_article_ids(self._db())
        removed = sorted(set(sent) - library.current_articles(sent))
        with self._user_writes() as db:
            follows.advance_alerts_mark(db, through)
            mark = follows.alerts_mark(db) or through
            pruned = follows.prune_alerts_sent(
                db, mark, kept_from.isoformat(timespec="seconds"), removed
            )
        if pruned:
            logger.info("forgot %d alerts sent about old or removed articles", pruned)

    # -- questions, votes and languages ---------------------------------------------------------

    def record_question(
        self, question: str, answered: bool, user_id: int | None = None
    ) -> int | None:
        """Log a question, so that stats can tell what the library lacks; returns its id (for
        feedback on the answer). ``user_id``: who asked, so that /forget can remove it. Never
        raises, and never waits long: while an ingest writes, the question goes unlogged (None)
        rather than holding up its answer; on a read-only library, never (None)."""
        if self.read_only:
            return None
        try:
            question = " ".join(question.split())[:500]
            return feedback.record_question(self._log_db(), question, answered, user_id)
        except sqlite3.Error as error:
            logger.warning("could not log a question: %s", error)
            return None

    def record_feedback(
        self, question_id: int, user_id: int, helpful: bool, passage_ids: Iterable[int]
    ) -> Votes | None:
        """Store a user's vote on the answer to a logged question, and the passages it showed
        (a second vote by the same user replaces the first); returns the answer's votes, or
        None if there is no such question. Raises ``LibraryBusy`` if an ingest holds the
        file too long."""
        with self._user_writes() as db:
            if not feedback.record_feedback(db, question_id, user_id, helpful, list(passage_ids)):
                return None
            return feedback.votes(db, question_id)

    def votes(self, question_id: int) -> Votes:
        """The votes on the answer to one question."""
        return feedback.votes(self._db(), question_id)

    def language(self, user_id: int) -> str | None:
        """The reply language ``user_id`` chose (``set_language``), if any. Read for every
        message, so it never raises and never waits long: None when the database cannot say."""
        try:
            return feedback.language(self._log_db(), user_id)
        except sqlite3.Error as error:
            logger.warning("could not read a language choice: %s", error)
            return None

    def set_language(self, user_id: int, lang: str) -> None:
        """Remember ``user_id``'s reply language, for every bot instance on this file.
        Raises ``LibraryBusy``."""
        with self._user_writes() as db:
            feedback.set_language(db, user_id, lang)

    def previews(self, user_id: int) -> bool | None:
        """Whether ``user_id`` wants link previews under answers; None when they never said
        (the bot's default applies). Never raises: None when the database cannot say."""
        try:
            return privacy.previews(self._log_db(), user_id)
        except sqlite3.Error as error:
            logger.warning("could not read a setting: %s", error)
            return None

    def set_previews(self, user_id: int, on: bool) -> None:
        """Remember whether ``user_id`` wants link previews. Raises ``LibraryBusy``."""
        with self._user_writes() as db:
            privacy.set_previews(db, user_id, on)

    def forget(self, user_id: int, chat_id: int) -> privacy.Forgotten:
        """Remove what the bot keeps about ``user_id`` (``privacy.forget``); ``chat_id``: their
        private chat, whose follows go too. Raises ``LibraryBusy``."""
        with self._user_writes() as db:
            return privacy.forget(db, user_id, chat_id)

    def stats(
        self, library: Library, top_unanswered: int = 10, top_unhelpful: int = 5
    ) -> PeopleStats:
        """Questions asked and votes: the most frequent unanswered questions, and the passages
        still in ``library`` that most votes found unhelpful."""
        db = self._db()
        asked, unanswered, top = feedback.question_counts(db, top_unanswered)
        votes = feedback.votes(db)
        return PeopleStats(
            questions=asked,
            unanswered=unanswered,
            top_unanswered=top,
            votes=votes.helpful + votes.unhelpful,
            helpful=votes.helpful,
            top_unhelpful=_unhelpful(db, library, top_unhelpful),
        )

    # -- connections ----------------------------------------------------------------------------

    @contextmanager
    def _user_writes(self) -> Iterator[sqlite_utils.Database]:
        """This thread's connection for the small writes people make (follows, alerts sent,
        votes): it waits a few seconds for an ingest's transaction, then gives up. Raises
        ``PeopleReadOnly`` on a read-only library (``LibraryBusy`` when the lock stays held)."""
        if self.read_only:
            raise PeopleReadOnly(READ_ONLY.format(path=self.path))
        db = getattr(self._local, "users", None)
        if db is None:
            db = self._local.users = self._connect(USER_WRITE_SECONDS)
        try:
            yield db
        except sqlite3.OperationalError as error:
            logger.warning("a write for a user failed: %s", error)
            if isinstance(explain_storage_error(error), DiskFull):
                raise PeopleDiskFull(DISK_FULL) from error
            raise LibraryBusy(LibraryBusy.__doc__) from error

    def _log_db(self) -> sqlite_utils.Database:
        """This thread's connection for what must never hold up an answer: it waits 0.2 s at
        most for a lock."""
        db = getattr(self._local, "log", None)
        if db is None:
            db = self._local.log = self._connect(0.2)
        return db

    def _db(self) -> sqlite_utils.Database:
        """This thread's connection: SQLite connections must not be shared between threads."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._connect(30.0)
        return db

    def _connect(self, timeout: float) -> sqlite_utils.Database:
        if self.read_only:  # as the library opens it: read-only (immutable if need be)
            db = connect(self.path, timeout=timeout, read_only=True)
            if schema.MIGRATIONS.pending(db):  # (a library baked by an ingest alone)
                schema.empty_tables_in_temp(db)
            return db
        # (not ``connect``: people's tables may come before the library's, in a new file)
        conn = sqlite3.connect(str(self.path), timeout=timeout, check_same_thread=False)
        db = sqlite_utils.Database(conn)
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA synchronous = NORMAL")  # (as the library: WAL, see its store)
        return db


def _unhelpful(db: sqlite_utils.Database, library: Library, top: int) -> list[PassageVotes]:
    """The passages still in ``library`` that most votes found unhelpful, at most ``top``."""
    found: list[PassageVotes] = []
    for passage_id, count in feedback.most_unhelpful(db):
        if len(found) >= top:
            break
        hit = library.passage(passage_id)
        if hit is not None:
            found.append(PassageVotes(passage_id, hit.article_id, hit.title, hit.text[:200], count))
    return found
