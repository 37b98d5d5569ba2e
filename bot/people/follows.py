"""Follows and alerts in people's tables: what chats follow, what they were sent, and the mark
up to which new articles were handled."""

from __future__ import annotations

import sqlite_utils

from knowledge.store.articles import highest_article_id
from knowledge.store.connection import now

from .records import Follow
from .schema import ALERTS_MARK

_FOLLOW = "SELECT id, chat_id, phrase, lang, created_at FROM follows"


def follows(db: sqlite_utils.Database, chat_id: int | None = None) -> list[Follow]:
    """The follows of ``chat_id`` (of every chat when None), oldest first."""
    if chat_id is None:
        rows = db.execute(f"{_FOLLOW} ORDER BY id")
    else:
        rows = db.execute(f"{_FOLLOW} WHERE chat_id = ? ORDER BY id", [chat_id])
    return [Follow(*row) for row in rows]


def add_follow(
    db: sqlite_utils.Database, chat_id: int, phrase: str, lang: str | None, limit: int
) -> str:
    """Follow ``phrase`` in ``chat_id``: ``"added"``, ``"exists"`` (compared without case) or
    ``"limit"`` (the chat follows ``limit`` phrases already)."""
    with db.atomic():
        existing = follows(db, chat_id)
        if any(f.phrase.casefold() == phrase.casefold() for f in existing):
            return "exists"
        if len(existing) >= limit:
            return "limit"
        db.execute(
            "INSERT OR IGNORE INTO follows (chat_id, phrase, lang, created_at) VALUES (?, ?, ?, ?)",
            [chat_id, phrase, lang, now()],
        )
    return "added"


def remove_follows(
    db: sqlite_utils.Database,
    chat_id: int,
    phrase: str | None = None,
    follow_id: int | None = None,
) -> list[Follow]:
    """Remove the chat's follow of ``phrase`` or with id ``follow_id``, or all of its follows
    when both are None; returns those removed."""
    with db.atomic():
        removed = [
            f
            for f in follows(db, chat_id)
            if (phrase is None or f.phrase.casefold() == phrase.casefold())
            and (follow_id is None or f.id == follow_id)
        ]
        db.conn.executemany("DELETE FROM follows WHERE id = ?", [(f.id,) for f in removed])
    return removed


def claim_alerts(db: sqlite_utils.Database, alerts: list[tuple[int, int, int | None]]) -> set[int]:
    """Record ``(chat id, article id, follow id)`` alerts as sent; returns the indexes in
    ``alerts`` of those not sent before (only those may be sent now)."""
    claimed = set()
    stamp = now()
    with db.atomic():
        for i, (chat_id, article_id, follow_id) in enumerate(alerts):
            cursor = db.execute(
                "INSERT OR IGNORE INTO alerts_sent (chat_id, article_id, follow_id, sent_at) "
                "VALUES (?, ?, ?, ?)",
                [chat_id, article_id, follow_id, stamp],
            )
            if cursor.rowcount:
                claimed.add(i)
    return claimed


def sent_articles(db: sqlite_utils.Database, chat_id: int, article_ids: list[int]) -> set[int]:
    """Those of ``article_ids`` already sent to ``chat_id``."""
    sent: set[int] = set()
    for start in range(0, len(article_ids), 500):
        batch = article_ids[start : start + 500]
        marks = ",".join("?" * len(batch))
        rows = db.execute(
            f"SELECT article_id FROM alerts_sent WHERE chat_id = ? AND article_id IN ({marks})",
            [chat_id, *batch],
        )
        sent.update(article_id for (article_id,) in rows)
    return sent


def move_chat(db: sqlite_utils.Database, old: int, new: int) -> int:
    """Give chat ``old``'s follows and sent alerts to chat ``new`` (a group that became a
    supergroup); what ``new`` has already stays, and wins over the same from ``old``. Returns
    the number of follows moved."""
    with db.atomic():
        moved = db.execute(
            "UPDATE OR IGNORE follows SET chat_id = ? WHERE chat_id = ?", [new, old]
        ).rowcount
        db.execute("UPDATE OR IGNORE alerts_sent SET chat_id = ? WHERE chat_id = ?", [new, old])
        db.execute("DELETE FROM follows WHERE chat_id = ?", [old])
        db.execute("DELETE FROM alerts_sent WHERE chat_id = ?", [old])
    return moved


def any_follows(db: sqlite_utils.Database) -> bool:
    return db.execute("SELECT 1 FROM follows LIMIT 1").fetchone() is not None


def alerts_mark(db: sqlite_utils.Database) -> int | None:
    """The highest article id whose alerts were handled; None before the mark is set."""
    row = db.execute("SELECT value FROM people_meta WHERE key = ?", [ALERTS_MARK]).fetchone()
    return None if row is None else int(row[0])


def start_alerts_mark(db: sqlite_utils.Database) -> None:
    """Set the alerts mark to the highest article id ever given, unless it is set: the articles
    a library held before it had the mark are not news."""
    if alerts_mark(db) is None:
        with db.atomic():
            db.execute(
                "INSERT OR IGNORE INTO people_meta (key, value) VALUES (?, ?)",
                [ALERTS_MARK, _highest_article_id(db)],
            )


def advance_alerts_mark(db: sqlite_utils.Database, through: int) -> None:
    """Move the alerts mark up to ``through`` (never down: two senders may race)."""
    with db.atomic():
        db.execute(
            "INSERT INTO people_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
            "value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
            [ALERTS_MARK, through],
        )


def skip_stored_articles(db: sqlite_utils.Database) -> None:
    """Move the alerts mark past every article stored so far: called with the first follow,
    since articles stored while nobody followed are not news to a phrase followed later.
    (In the follow's transaction, so an ingest's articles come either before it or after.)"""
    advance_alerts_mark(db, _highest_article_id(db))


def _highest_article_id(db: sqlite_utils.Database) -> int:
    # Through the library's storage layer (people's tables share its file); none on a file
    # no library was opened on yet.
    return highest_article_id(db) if "articles" in db.table_names() else 0


def sent_article_ids(db: sqlite_utils.Database) -> list[int]:
    """The articles that some chat was sent (or had left out by the cap)."""
    return [i for (i,) in db.execute("SELECT DISTINCT article_id FROM alerts_sent")]


def prune_alerts_sent(
    db: sqlite_utils.Database, through: int, before: str, removed: list[int]
) -> int:
    """Forget what was sent about articles that no round can offer again: those at or below
    the alerts mark ``through`` sent before ``before`` (an ISO time), and the ``removed`` ones
    (ids are never reused). Returns the number of rows deleted."""
    with db.atomic():
        old = db.execute(
            "DELETE FROM alerts_sent WHERE article_id <= ? AND sent_at < ?", [through, before]
        ).rowcount
        gone = 0
        for article_id in removed:
            gone += db.execute(
                "DELETE FROM alerts_sent WHERE article_id = ?", [article_id]
            ).rowcount
    return old + gone
