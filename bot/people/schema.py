"""People's tables in the library's SQLite file, and their migrations.

Tables: ``questions`` (the question log), ``feedback`` with ``feedback_passages`` (votes on
answers), ``follows`` and ``alerts_sent`` (the phrases chats follow, and the articles sent to
them), ``languages`` (reply languages people chose) and ``people_meta`` (the alerts mark).
Articlebot 0.1 kept these tables (under the same names) in its library, and the mark in the
library's ``meta``: the migrations keep every row.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

MIGRATIONS = Migrations("articlebot.people")
"""People's migrations, applied once each, in order, when ``People`` opens the file."""

ALERTS_MARK = "alerts_through"
"""``people_meta`` key: the highest article id whose alerts were handled (article ids are never
reused)."""

_TABLES = """
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY,
    asked_at TEXT NOT NULL,
    question TEXT NOT NULL,
    answered INTEGER NOT NULL
);
-- What each chat follows: new articles matching a phrase are sent to it after an ingest.
CREATE TABLE IF NOT EXISTS follows (
    id INTEGER PRIMARY KEY,
    chat_id INTEGER NOT NULL,
    phrase TEXT NOT NULL COLLATE NOCASE,
    lang TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (chat_id, phrase)
);
-- One row per article sent to a chat (or left out of its alerts by the cap), written before
-- it is sent: never the same one twice.
CREATE TABLE IF NOT EXISTS alerts_sent (
    chat_id INTEGER NOT NULL,
    article_id INTEGER NOT NULL,
    follow_id INTEGER,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (chat_id, article_id)
);
-- One vote per user per answered question (changeable), and the passages it was about.
CREATE TABLE IF NOT EXISTS feedback (
    question_id INTEGER NOT NULL REFERENCES questions(id),
    user_id INTEGER NOT NULL,
    helpful INTEGER NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (question_id, user_id)
);
CREATE TABLE IF NOT EXISTS feedback_passages (
    question_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    passage_id INTEGER NOT NULL,
    PRIMARY KEY (question_id, user_id, passage_id)
);
CREATE INDEX IF NOT EXISTS feedback_passages_passage ON feedback_passages (passage_id);
-- A person's chosen reply language (/language), shared by every bot instance on this file.
CREATE TABLE IF NOT EXISTS languages (user_id INTEGER PRIMARY KEY, lang TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS people_meta (key TEXT PRIMARY KEY, value TEXT);
"""


@MIGRATIONS(name="0001_people")
def _people(db: sqlite_utils.Database) -> None:
    """People's tables (0.1 made all but ``people_meta``, perhaps not all: it added tables
    without a new schema version)."""
    for statement in _TABLES.split(";"):
        if statement.strip():
            db.execute(statement)


@MIGRATIONS(name="0002_alerts_mark_of_their_own")
def _alerts_mark(db: sqlite_utils.Database) -> None:
    """The alerts mark moves from the library's ``meta`` (0.1) into ``people_meta``."""
    if "meta" not in db.table_names():
        return
    row = db.execute("SELECT value FROM meta WHERE key = ?", [ALERTS_MARK]).fetchone()
    if row is not None:
        db.execute(
            "INSERT OR REPLACE INTO people_meta (key, value) VALUES (?, ?)", [ALERTS_MARK, row[0]]
        )
        db.execute("DELETE FROM meta WHERE key = ?", [ALERTS_MARK])


@MIGRATIONS(name="0003_welcome_user_settings")
def _user_settings(db: sqlite_utils.Database) -> None:
    """Who asked each question (so that /forget can remove a person's questions; older rows
    stay without a name), and a table of people's settings (link previews) beside their
    language."""
    if "user_id" not in db["questions"].columns_dict:
        db.execute("ALTER TABLE questions ADD COLUMN user_id INTEGER")
    db.execute("CREATE INDEX IF NOT EXISTS questions_user ON questions (user_id)")
    db.execute(
        "CREATE TABLE IF NOT EXISTS user_settings ("
        "user_id INTEGER PRIMARY KEY, previews INTEGER, updated_at TEXT NOT NULL)"
    )


def empty_tables_in_temp(db: sqlite_utils.Database) -> list[str]:
    """Give a connection to a library that lacks people's tables (made by an ingest alone, or
    by an older articlebot) and may only be read here, those it lacks, empty, in its ``temp``
    schema: reads find nothing (no follows, no settings) rather than fail, and the file is not
    written. Returns their names."""
    model = sqlite_utils.Database(memory=True)
    MIGRATIONS.apply(model)
    present = set(db.table_names())
    made = []
    for name, sql in model.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' "
        "ESCAPE '\\' AND name NOT IN ('meta')"
    ).fetchall():
        if name not in present:
            db.execute(sql.replace("CREATE TABLE", "CREATE TEMP TABLE", 1))
            made.append(name)
    model.close()
    return made
