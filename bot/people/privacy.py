"""What a person may see and remove of what the bot keeps about them: their settings (link
previews, beside the language in ``languages``), which logged questions are theirs, and /forget.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from knowledge.store.connection import now

__all__ = ["Forgotten", "forget", "previews", "set_previews"]


@dataclass(frozen=True)
class Forgotten:
    """What /forget removed, by kind."""

    questions: int = 0
    votes: int = 0
    follows: int = 0
    settings: int = 0
    """The language choice and the settings row (0, 1 or 2)."""


def previews(db: sqlite_utils.Database, user_id: int) -> bool | None:
    """Whether ``user_id`` wants link previews; None when they never said."""
    row = db.execute("SELECT previews FROM user_settings WHERE user_id = ?", [user_id]).fetchone()
    return None if row is None or row[0] is None else bool(row[0])


def set_previews(db: sqlite_utils.Database, user_id: int, on: bool) -> None:
    with db.atomic():
        db.execute(
            "INSERT INTO user_settings (user_id, previews, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET previews = excluded.previews, "
            "updated_at = excluded.updated_at",
            [user_id, int(on), now()],
        )


def forget(db: sqlite_utils.Database, user_id: int, chat_id: int) -> Forgotten:
    """Remove what the bot keeps about ``user_id``: their logged questions (and the votes on
    them), their votes, the follows of their private chat ``chat_id`` (and what it was sent),
    their language and settings. Follows of groups belong to the group and stay."""
    with db.atomic():
        mine = "SELECT id FROM questions WHERE user_id = ?"
        votes = _delete(db, "DELETE FROM feedback WHERE user_id = ?", user_id)
        db.execute("DELETE FROM feedback_passages WHERE user_id = ?", [user_id])
        # Votes of others on this person's questions go with the questions (foreign key).
        db.execute(f"DELETE FROM feedback_passages WHERE question_id IN ({mine})", [user_id])
        db.execute(f"DELETE FROM feedback WHERE question_id IN ({mine})", [user_id])
        questions = _delete(db, "DELETE FROM questions WHERE user_id = ?", user_id)
        follows = _delete(db, "DELETE FROM follows WHERE chat_id = ?", chat_id)
        db.execute("DELETE FROM alerts_sent WHERE chat_id = ?", [chat_id])
        settings = _delete(db, "DELETE FROM languages WHERE user_id = ?", user_id)
        settings += _delete(db, "DELETE FROM user_settings WHERE user_id = ?", user_id)
    return Forgotten(questions, votes, follows, settings)


def _delete(db: sqlite_utils.Database, sql: str, key: int) -> int:
    return db.execute(sql, [key]).rowcount
