"""The library's tables, and the migrations that bring any library made since 0.1 up to them.

Tables: ``articles`` (text, metadata, title terms), ``passages`` (offsets, text and analysed
terms), ``terms`` (the vocabulary), ``files``, ``web_sources``, ``web_listings`` and
``feed_entries`` (what an ingest need not read or fetch again), ``article_versions`` (the stored
version of articles that come in versions) and ``meta`` (analyser version, BM25 parameters, last
ingest, generation). A schema change is a new migration in ``MIGRATIONS``, never a refusal.
"""

from __future__ import annotations

import uuid

import sqlite_utils
from sqlite_utils.migrations import Migrations

MIGRATIONS = Migrations("articlebot.knowledge")
"""The library's migrations, applied once each, in order, when it is opened."""

SCHEMA_0_1 = 3
"""The ``user_version`` of the libraries articlebot 0.1 made (before migrations were recorded);
their tables are those of the first migration."""

_TABLES = """
CREATE TABLE IF NOT EXISTS articles (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    published TEXT,
    url TEXT,
    source TEXT,
    lang TEXT,
    path TEXT NOT NULL,
    date_from_mtime INTEGER NOT NULL DEFAULT 0,
    hash TEXT NOT NULL,
    text TEXT NOT NULL,
    title_terms BLOB NOT NULL,
    added_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    retired INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS articles_published ON articles (published);
CREATE INDEX IF NOT EXISTS articles_path ON articles (path);
-- AUTOINCREMENT: a passage id is never reused, so an old id (in a chat button) never points
-- at a different passage after a reload.
CREATE TABLE IF NOT EXISTS passages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    text TEXT NOT NULL,
    terms BLOB NOT NULL,
    retired INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS passages_article ON passages (article_id, position);
CREATE INDEX IF NOT EXISTS passages_retired ON passages (retired) WHERE retired = 1;
CREATE INDEX IF NOT EXISTS articles_retired ON articles (retired) WHERE retired = 1;
CREATE TABLE IF NOT EXISTS terms (id INTEGER PRIMARY KEY, term TEXT NOT NULL UNIQUE);
-- The files an ingest read whole: one whose time and size are unchanged is not read again.
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, mtime_ns INTEGER, size INTEGER);
-- The validators of each feed or page an ingest stored whole, sent back so it can answer 304.
CREATE TABLE IF NOT EXISTS web_sources (url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT);
-- The keys each feed or page listed when last stored whole: the articles a 304 counts unchanged.
CREATE TABLE IF NOT EXISTS web_listings (
    url TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (url, key)
);
-- The fingerprint of the feed entry each feed article came from: while the entry stays the
-- same, its page is not fetched again.
CREATE TABLE IF NOT EXISTS feed_entries (key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL);
-- The version of each stored article that comes in versions (a channel post and its edits): an
-- older version that arrives late (a retry, a redelivery after a restart) is ignored.
CREATE TABLE IF NOT EXISTS article_versions (key TEXT PRIMARY KEY, version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""


@MIGRATIONS(name="0001_articles")
def _articles(db: sqlite_utils.Database) -> None:
    """The tables of 0.1 (a library 0.1 made has them already, perhaps not all: 0.1 added
    tables without a new schema version), and the library's random id."""
    for statement in _TABLES.split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute("INSERT OR IGNORE INTO meta VALUES ('library', ?)", [uuid.uuid4().hex])


def is_library(db: sqlite_utils.Database) -> bool:
    """Whether ``db`` is empty or holds what some articlebot made (with recorded migrations,
    or 0.1's schema version); not, say, another program's database."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_0_1:
        return True
    if MIGRATIONS.migrations_table in db.table_names():
        # (the bot's migrations too: it keeps its tables in the library's file, and may have
        # made them first)
        sql = f"SELECT 1 FROM {MIGRATIONS.migrations_table} WHERE migration_set LIKE ? LIMIT 1"
        return db.execute(sql, ["articlebot.%"]).fetchone() is not None
    return version == 0 and not db.table_names()


def unknown_migrations(db: sqlite_utils.Database) -> list[str]:
    """The migrations recorded in ``db`` that this code does not know: a newer articlebot's."""
    # (all of them are pending in an empty database)
    known = {m.name for m in MIGRATIONS.pending(sqlite_utils.Database(memory=True))}
    return [m.name for m in MIGRATIONS.applied(db) if m.name not in known]


@MIGRATIONS(name="0002_passage_spans")
def _passage_spans(db: sqlite_utils.Database) -> None:
    """Where each passage's terms are in its text, stored at ingest so that a search analyses
    no text. Passages stored before stay without (NULL): a search analyses those, as before,
    until the analyser changes and every passage is analysed again."""
    db.execute("ALTER TABLE passages ADD COLUMN spans BLOB")


@MIGRATIONS(name="0003_passage_vectors")
def _passage_vectors(db: sqlite_utils.Database) -> None:
    """Passage vectors (the semantic signal), float16, one per passage, with the model that
    made it. A vector goes with its passage (ON DELETE CASCADE: purging retired passages
    purges their vectors); ``batch`` is the embedding batch that stored it, so a loaded
    snapshot reads only the batches stored since."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS vector_models (id INTEGER PRIMARY KEY, name TEXT NOT NULL "
        "UNIQUE)"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS passage_vectors ("
        "passage_id INTEGER PRIMARY KEY REFERENCES passages(id) ON DELETE CASCADE, "
        "model INTEGER NOT NULL REFERENCES vector_models(id), "
        "batch INTEGER NOT NULL, "
        "vector BLOB NOT NULL)"
    )
    db.execute("CREATE INDEX IF NOT EXISTS passage_vectors_batch ON passage_vectors (model, batch)")


@MIGRATIONS(name="0004_no_file_dates")
def _no_file_dates(db: sqlite_utils.Database) -> None:
    """Undated articles are undated: articlebot up to 0.2 gave an article without a date its
    file's modification time, which then passed for its publish date. That time moves to
    ``file_time`` (kept, shown nowhere), the publish date becomes NULL (listed after the dated
    articles, shown without a date), and the content hash becomes the one an ingest now
    computes, so that the unchanged files still count as unchanged."""
    from ..records import Article  # (the hash is the records' own)

    db.execute("ALTER TABLE articles ADD COLUMN file_time TEXT")
    rows = db.execute(
        "SELECT id, key, title, text, url, source, lang, path FROM articles "
        "WHERE date_from_mtime = 1"
    ).fetchall()
    hashes = [
        (Article(key, title, text, None, url, source, lang, path).digest(), article_id)
        for article_id, key, title, text, url, source, lang, path in rows
    ]
    db.execute(
        "UPDATE articles SET file_time = published, published = NULL, date_from_mtime = 0 "
        "WHERE date_from_mtime = 1"
    )
    db.conn.executemany("UPDATE articles SET hash = ? WHERE id = ?", hashes)
