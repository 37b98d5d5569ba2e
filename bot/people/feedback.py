"""The question log, votes on answers and language choices in people's tables."""

from __future__ import annotations

import sqlite_utils

from knowledge.store.connection import now

from .records import QuestionCount, Votes


def record_question(
    db: sqlite_utils.Database, question: str, answered: bool, user_id: int | None = None
) -> int:
    """Log a question, as ``user_id``'s (for /forget); returns its id. One INSERT: a question
    is never logged without the owner it has (a second write could fail on a lock)."""
    with db.atomic():
        cursor = db.execute(
            "INSERT INTO questions (asked_at, question, answered, user_id) VALUES (?, ?, ?, ?)",
            [now(), question, answered, user_id],
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid


def question_counts(db: sqlite_utils.Database, top: int) -> tuple[int, int, list[QuestionCount]]:
    """(questions asked, unanswered, the most frequent unanswered questions)."""
    asked, unanswered = db.execute(
        "SELECT count(*), coalesce(sum(answered = 0), 0) FROM questions"
    ).fetchone()
    rows = db.execute(
        "SELECT question, count(*) AS n FROM questions WHERE answered = 0 "
        "GROUP BY question ORDER BY n DESC, max(asked_at) DESC LIMIT ?",
        [top],
    )
    return asked, unanswered, [QuestionCount(q, n) for q, n in rows]


def record_feedback(
    db: sqlite_utils.Database,
    question_id: int,
    user_id: int,
    helpful: bool,
    passage_ids: list[int],
) -> bool:
    """Store (or change) a user's vote on an answer and the passages it showed; False when
    there is no such question."""
    with db.atomic():
        if not db.execute("SELECT 1 FROM questions WHERE id = ?", [question_id]).fetchone():
            return False
        db.execute(
            "INSERT INTO feedback (question_id, user_id, helpful, at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (question_id, user_id) DO UPDATE SET helpful = excluded.helpful, "
            "at = excluded.at",
            [question_id, user_id, int(helpful), now()],
        )
        key = [question_id, user_id]
        db.execute("DELETE FROM feedback_passages WHERE question_id = ? AND user_id = ?", key)
        db.conn.executemany(
            "INSERT OR IGNORE INTO feedback_passages (question_id, user_id, passage_id) "
            "VALUES (?, ?, ?)",
            [(*key, passage_id) for passage_id in passage_ids],
        )
    return True


def votes(db: sqlite_utils.Database, question_id: int | None = None) -> Votes:
    """The votes on one answer, or on all of them."""
    where, args = ("WHERE question_id = ?", [question_id]) if question_id is not None else ("", [])
    helpful, total = db.execute(
        f"SELECT coalesce(sum(helpful), 0), count(*) FROM feedback {where}", args
    ).fetchone()
    return Votes(helpful=helpful, unhelpful=total - helpful)


def most_unhelpful(db: sqlite_utils.Database) -> list[tuple[int, int]]:
    """(passage id, unhelpful votes) of the passages voted down, most votes first."""
    return db.execute(
        "SELECT fp.passage_id, count(*) AS n FROM feedback f JOIN feedback_passages fp "
        "ON fp.question_id = f.question_id AND fp.user_id = f.user_id "
        "WHERE f.helpful = 0 GROUP BY fp.passage_id ORDER BY n DESC, fp.passage_id"
    ).fetchall()


def language(db: sqlite_utils.Database, user_id: int) -> str | None:
    row = db.execute("SELECT lang FROM languages WHERE user_id = ?", [user_id]).fetchone()
    return row[0] if row else None


def set_language(db: sqlite_utils.Database, user_id: int, lang: str) -> None:
    db.execute(
        "INSERT INTO languages (user_id, lang) VALUES (?, ?) "
        "ON CONFLICT (user_id) DO UPDATE SET lang = excluded.lang",
        [user_id, lang],
    )
