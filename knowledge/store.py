"""The SQLite schema (through sqlite-utils) and every read and write the library makes.

Tables: ``articles`` (text, metadata, title terms), ``passages`` (offsets, text and analysed terms),
``terms`` (the vocabulary: each term's id), ``files`` and ``web_sources`` / ``feed_entries`` (what
an ingest need not read or fetch again), ``article_versions`` (the stored version of articles
that come in versions), ``meta`` (analyser version, BM25 parameters, last ingest, generation, the
alerts mark), ``questions`` (the question log), ``follows`` and ``alerts_sent`` (the phrases
chats follow, and the articles sent to them) and ``feedback`` with ``feedback_passages`` (votes
on answers). Terms are stored as int32 term ids in BLOBs, so that rebuilding the index reads
arrays instead of analysing or splitting text again.

An ingest never deletes rows that the serving index may still point at: replaced passages and
removed articles are marked ``retired`` in the ingest's transaction, and purged once the new index
is serving. Everything but the index's passage look-up ignores retired rows.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from .records import ArticleInfo, Follow, PassageVotes, QuestionCount, StoredArticle, Votes

SCHEMA_VERSION = 3
"""Kept in SQLite's ``user_version``; a library made with another schema is refused, not mangled.
Tables added since (every statement below is ``IF NOT EXISTS``) are created on opening, so adding
a table needs no new version; changing an existing one does."""


class SchemaError(Exception):
    """The database was made by another version of articlebot."""


_SCHEMA = """
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
-- A person's chosen reply language (/language), shared by every bot instance on this library.
CREATE TABLE IF NOT EXISTS languages (user_id INTEGER PRIMARY KEY, lang TEXT NOT NULL);
"""

_ARTICLE_INFO = """
    a.id, a.key, a.title, a.published, a.url, a.source, a.lang, a.path,
    (SELECT count(*) FROM passages p WHERE p.article_id = a.id AND p.retired = 0) AS passages,
    a.date_from_mtime
"""


def connect(path: str | Path, *, timeout: float = 30.0) -> sqlite_utils.Database:
    """Open (creating if needed) the library database at ``path`` in WAL mode."""
    conn = sqlite3.connect(str(path), timeout=timeout, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA foreign_keys = ON")
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version not in (0, SCHEMA_VERSION) or (version == 0 and db.table_names()):
        db.close()
        raise SchemaError(
            f"{path} holds a library of another articlebot version (schema {version}, this one "
            f"reads {SCHEMA_VERSION}): ingest your articles into a new file (--db)"
        )
    if db.journal_mode != "wal":
        db.enable_wal()
    # In WAL mode NORMAL cannot corrupt the database; a power cut may only lose the last
    # transactions, which the next ingest of the sources restores. It spares a disk flush per
    # commit (a channel post, a vote), which FULL makes.
    db.execute("PRAGMA synchronous = NORMAL")
    if version == 0:
        db.executescript(
            _SCHEMA
            + f"INSERT OR IGNORE INTO meta VALUES ('library', '{uuid.uuid4().hex}');"
            + f"PRAGMA user_version = {SCHEMA_VERSION};"
        )
    elif _missing_tables(db):
        db.executescript(_SCHEMA)  # a library made before some table was added
    return db


def _missing_tables(db: sqlite_utils.Database) -> bool:
    wanted = re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", _SCHEMA)
    return not set(wanted) <= set(db.table_names())


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """An ingest's transaction, holding the write lock from its start (BEGIN IMMEDIATE).

    A deferred one reads first (the stored ids) and writes once the first chunk is analysed;
    had another connection written in between (a question logged meanwhile), SQLite would
    refuse its first write ("database is locked") and the whole ingest would fail.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        # (a COMMIT that failed too, on a full disk: left open, the transaction would keep the
        # write lock, and every other writer would wait on it until a restart)
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise


def now(precise: bool = False) -> str:
    """The time in UTC, ISO 8601, to the second (or the microsecond: to order writes)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(
        timespec="microseconds" if precise else "seconds"
    )


def library_id(db: sqlite_utils.Database) -> str:
    """The random id given to the library when it was created."""
    return get_meta(db, "library", "")


def get_meta(db: sqlite_utils.Database, key: str, default: str | None = None) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return default if row is None else row[0]


def set_meta(db: sqlite_utils.Database, **values: object) -> None:
    db["meta"].upsert_all([{"key": k, "value": str(v)} for k, v in values.items()], pk="key")


def article_hashes(db: sqlite_utils.Database) -> dict[str, tuple[int, str]]:
    """Every stored article's key -> (id, content hash)."""
    rows = db.execute("SELECT id, key, hash FROM articles WHERE retired = 0")
    return {key: (i, h) for i, key, h in rows}


def article_paths(db: sqlite_utils.Database) -> Iterator[tuple[int, str, str, str]]:
    """(id, key, path, when last written) of every stored article."""
    yield from db.execute("SELECT id, key, path, updated_at FROM articles WHERE retired = 0")


_INSERT_PASSAGE = (
    'INSERT INTO passages (article_id, position, start, "end", text, terms) '
    "VALUES (?, ?, ?, ?, ?, ?)"
)
PassageRow = tuple[int, int, int, str, bytes]
"""(position, start, end, text, term ids as int32 bytes) of a passage to store."""


class ArticleWriter:
    """Writes articles and their passages, batch after batch, within one ingest's transaction.
    Statements are batched: this is the hot path of a big ingest."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.stamp = now(precise=True)  # (a sync compares it with when its reading began)
        self.ids = dict(db.execute("SELECT key, id FROM articles").fetchall())
        # Never reuse the id of a removed article: an old "show article" button must not open
        # another one. The highest id ever given is kept in meta.
        self.next_id = max(int(get_meta(db, "last_article_id", "0")), *self.ids.values(), 0) + 1
        self.added: list[int] = []
        """Ids of the articles this writer added (not replaced), in order."""

    def write(self, articles: list[tuple[dict, list[PassageRow]]]) -> int:
        """Insert or replace ``articles`` (matched by ``key``) with all their passages; returns
        the number of passages written."""
        new, replaced, passages = [], [], []
        for row, rows in articles:
            article_id = self.ids.get(row["key"])
            if article_id is None:
                article_id = self.ids[row["key"]] = self.next_id
                self.next_id += 1
                self.added.append(article_id)
                new.append(
                    {**row, "id": article_id, "added_at": self.stamp, "updated_at": self.stamp}
                )
            else:
                replaced.append({**row, "id": article_id, "updated_at": self.stamp, "retired": 0})
            passages.extend((article_id, *passage) for passage in rows)
        conn = self.db.conn
        conn.executemany(
            "UPDATE passages SET retired = 1 WHERE article_id = ?", [(r["id"],) for r in replaced]
        )
        if replaced:
            columns = [c for c in replaced[0] if c != "id"]
            assignments = ", ".join(f"{c} = ?" for c in columns)
            conn.executemany(
                f"UPDATE articles SET {assignments} WHERE id = ?",
                [[r[c] for c in columns] + [r["id"]] for r in replaced],
            )
        if new:
            # executemany straight to SQLite, like the passages: sqlite-utils' insert_all
            # inspects every value, which was a tenth of a big ingest's time.
            columns = list(new[0])
            names = ", ".join(f'"{c}"' for c in columns)
            marks = ", ".join("?" for _ in columns)
            conn.executemany(
                f"INSERT INTO articles ({names}) VALUES ({marks})",
                [[r[c] for c in columns] for r in new],
            )
            set_meta(self.db, last_article_id=new[-1]["id"])
        # executemany straight to SQLite: a million passages are too many for row dicts.
        conn.executemany(_INSERT_PASSAGE, passages)
        return len(passages)


def retire_articles(db: sqlite_utils.Database, ids: Iterable[int]) -> None:
    """Mark articles and their passages as removed, for ``purge_retired`` to delete."""
    for article_id in ids:
        _retire_passages(db, article_id)
        db.execute("UPDATE articles SET retired = 1 WHERE id = ?", [article_id])


def _retire_passages(db: sqlite_utils.Database, article_id: int) -> None:
    db.execute("UPDATE passages SET retired = 1 WHERE article_id = ?", [article_id])


def purge_retired(db: sqlite_utils.Database) -> None:
    """Delete the retired rows, once no index points at them."""
    with db.atomic():
        db.execute("DELETE FROM passages WHERE retired = 1")
        db.execute("DELETE FROM articles WHERE retired = 1")


def file_signatures(db: sqlite_utils.Database) -> dict[str, tuple[int, int]]:
    """(modification time in ns, size) of each file read whole by an earlier ingest whose
    articles are still in the library (a file whose articles were removed is read again)."""
    rows = db.execute(
        "SELECT path, mtime_ns, size FROM files f WHERE EXISTS "
        "(SELECT 1 FROM articles a WHERE a.path = f.path AND a.retired = 0)"
    )
    return {path: (mtime, size) for path, mtime, size in rows}


def record_files(db: sqlite_utils.Database, files: dict[str, tuple[int, int]]) -> None:
    db.conn.executemany(
        "INSERT OR REPLACE INTO files (path, mtime_ns, size) VALUES (?, ?, ?)",
        [(path, mtime, size) for path, (mtime, size) in files.items()],
    )


def web_validators(db: sqlite_utils.Database) -> dict[str, tuple[str | None, str | None]]:
    """(ETag, Last-Modified) of each web source stored whole by an earlier ingest whose articles
    are still in the library (a 304 from a source without any would leave nothing to serve)."""
    rows = db.execute(
        "SELECT url, etag, last_modified FROM web_sources w WHERE EXISTS "
        "(SELECT 1 FROM articles a WHERE a.path = w.url AND a.retired = 0)"
    )
    return {url: (etag, modified) for url, etag, modified in rows}


def entry_fingerprints(db: sqlite_utils.Database) -> dict[str, str]:
    """Key -> fingerprint of the feed entry of each stored feed article."""
    rows = db.execute(
        "SELECT e.key, e.fingerprint FROM feed_entries e "
        "JOIN articles a ON a.key = e.key AND a.retired = 0"
    )
    return dict(rows.fetchall())


def web_listings(db: sqlite_utils.Database) -> dict[str, list[str]]:
    """URL -> the keys the feed or page listed when last stored whole; for a source stored
    before listings were kept, the keys of its stored articles."""
    rows = db.execute(
        "SELECT url, key FROM web_listings UNION ALL "
        "SELECT w.url, a.key FROM web_sources w JOIN articles a ON a.path = w.url "
        "AND a.retired = 0 WHERE NOT EXISTS (SELECT 1 FROM web_listings l WHERE l.url = w.url)"
    )
    listings: dict[str, list[str]] = {}
    for url, key in rows:
        listings.setdefault(url, []).append(key)
    return listings


def record_web(
    db: sqlite_utils.Database,
    validators: dict[str, tuple[str | None, str | None]],
    entries: dict[str, str],
    listings: dict[str, list[str]],
) -> None:
    db.conn.executemany(
        "INSERT OR REPLACE INTO web_sources (url, etag, last_modified) VALUES (?, ?, ?)",
        [(url, etag, modified) for url, (etag, modified) in validators.items()],
    )
    db.conn.executemany("DELETE FROM web_listings WHERE url = ?", [(url,) for url in listings])
    db.conn.executemany(
        "INSERT OR IGNORE INTO web_listings (url, key) VALUES (?, ?)",
        [(url, key) for url, keys in listings.items() for key in keys],
    )
    db.conn.executemany(
        "INSERT OR REPLACE INTO feed_entries (key, fingerprint) VALUES (?, ?)", entries.items()
    )


def article_versions(db: sqlite_utils.Database, keys: list[str]) -> dict[str, int]:
    """The stored version of those of ``keys`` that have one."""
    versions: dict[str, int] = {}
    for start in range(0, len(keys), 500):
        batch = keys[start : start + 500]
        marks = ",".join("?" * len(batch))
        sql = f"SELECT key, version FROM article_versions WHERE key IN ({marks})"
        versions.update(db.execute(sql, batch).fetchall())
    return versions


def record_versions(db: sqlite_utils.Database, versions: dict[str, int]) -> None:
    # max(): a version never goes back, whatever the caller checked before.
    db.conn.executemany(
        "INSERT INTO article_versions (key, version) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET version = max(version, excluded.version)",
        versions.items(),
    )


def keys_from_files(db: sqlite_utils.Database, paths: list[str]) -> set[str]:
    """The keys of the stored articles that came from ``paths`` (files, or web sources)."""
    keys: set[str] = set()
    for start in range(0, len(paths), 500):
        batch = paths[start : start + 500]
        marks = ",".join("?" * len(batch))
        sql = f"SELECT key FROM articles WHERE retired = 0 AND path IN ({marks})"
        keys.update(key for (key,) in db.execute(sql, batch))
    return keys


def vocabulary(db: sqlite_utils.Database) -> list[str]:
    """The stored terms, in id order (ids are 0, 1, 2, ...)."""
    return [term for (term,) in db.execute("SELECT term FROM terms ORDER BY id")]


def add_terms(db: sqlite_utils.Database, terms: list[tuple[int, str]]) -> None:
    db.conn.executemany("INSERT INTO terms (id, term) VALUES (?, ?)", terms)


def corpus(db: sqlite_utils.Database) -> Iterator[tuple[int, bytes, bytes]]:
    """(passage id, title term ids, passage term ids) of every passage, in id order."""
    yield from db.execute(
        "SELECT p.id, a.title_terms, p.terms FROM passages p "
        "JOIN articles a ON a.id = p.article_id WHERE p.retired = 0 ORDER BY p.id"
    )


def stored_articles(db: sqlite_utils.Database) -> list[tuple[int, str, str]]:
    """(id, title, text) of every article, to analyse again."""
    return db.execute(
        "SELECT id, title, text FROM articles WHERE retired = 0 ORDER BY id"
    ).fetchall()


def replace_vocabulary(db: sqlite_utils.Database, terms: list[tuple[int, str]]) -> None:
    db.execute("DELETE FROM terms")
    add_terms(db, terms)


def replace_passages(
    db: sqlite_utils.Database, article_id: int, title_terms: bytes, passages: list[PassageRow]
) -> None:
    """Give an article new title terms and passages (the old ones retired)."""
    _retire_passages(db, article_id)
    db.execute("UPDATE articles SET title_terms = ? WHERE id = ?", [title_terms, article_id])
    db.conn.executemany(_INSERT_PASSAGE, [(article_id, *passage) for passage in passages])


def passages_by_id(
    db: sqlite_utils.Database, ids: list[int], *, retired: bool = False
) -> dict[int, dict]:
    """Passages with their article's metadata, by passage id; missing ids are left out.

    ``retired`` includes the passages that a reload replaced but the serving index still uses.
    """
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = db.execute(
        'SELECT p.id, p.article_id, p.position, p.start, p."end", p.text, '
        "a.title, a.url, a.published, a.source FROM passages p "
        f"JOIN articles a ON a.id = p.article_id WHERE p.id IN ({marks})"
        + ("" if retired else " AND p.retired = 0"),
        ids,
    )
    names = [
        "id",
        "article_id",
        "position",
        "start",
        "end",
        "text",
        "title",
        "url",
        "published",
        "source",
    ]
    return {row[0]: dict(zip(names, row, strict=True)) for row in rows}


def latest(db: sqlite_utils.Database, n: int, offset: int = 0) -> list[ArticleInfo]:
    """The newest articles by publish date (undated last), then by most recently added."""
    rows = db.execute(
        f"SELECT {_ARTICLE_INFO} FROM articles a WHERE a.retired = 0 "
        "ORDER BY a.published IS NULL, a.published DESC, a.id DESC LIMIT ? OFFSET ?",
        [n, offset],
    )
    return [_article_info(row) for row in rows]


def article(db: sqlite_utils.Database, article_id: int) -> StoredArticle | None:
    row = db.execute(
        f"SELECT {_ARTICLE_INFO}, a.text FROM articles a WHERE a.id = ? AND a.retired = 0",
        [article_id],
    ).fetchone()
    if row is None:
        return None
    info = _article_info(row[:-1])
    return StoredArticle(**vars(info), text=row[-1])


def counts(db: sqlite_utils.Database) -> tuple[int, int, int]:
    """(articles, passages, articles dated by file time)."""
    articles, mtime = db.execute(
        "SELECT count(*), coalesce(sum(date_from_mtime), 0) FROM articles WHERE retired = 0"
    ).fetchone()
    passages = db.execute("SELECT count(*) FROM passages WHERE retired = 0").fetchone()[0]
    return articles, passages, mtime


def origins(db: sqlite_utils.Database) -> list[tuple[str, int, str | None, str | None]]:
    """(origin, articles, newest publish date, newest title) per origin, most articles first.
    The origin is an article's ``source``, or else the name of the folder its file is in."""
    db.register_function(_folder_name, deterministic=True)
    # SQLite takes the bare column (title) from the row that max() chose.
    return db.execute(
        "SELECT coalesce(nullif(trim(source), ''), _folder_name(path)) AS origin, count(*) AS n, "
        "max(published), CASE WHEN max(published) IS NULL THEN NULL ELSE title END "
        "FROM articles WHERE retired = 0 GROUP BY origin ORDER BY n DESC, origin"
    ).fetchall()


def _folder_name(path: str) -> str:
    """``/data/news/a.md`` -> ``news``; a path without a folder (``telegram:-100123``) stays
    as it is."""
    return os.path.basename(os.path.dirname(path)) or path


def record_question(db: sqlite_utils.Database, question: str, answered: bool) -> int:
    """Log a question; returns its id."""
    with db.atomic():
        row = {"asked_at": now(), "question": question, "answered": answered}
        return db["questions"].insert(row).last_pk


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


# -- follows and alerts ---------------------------------------------------------------------------

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


_ALERTS_MARK = "alerts_through"
"""Meta key: the highest article id whose alerts were handled (article ids are never reused)."""


def alerts_mark(db: sqlite_utils.Database) -> int:
    return int(get_meta(db, _ALERTS_MARK, "0"))


def start_alerts_mark(db: sqlite_utils.Database) -> None:
    """Set the alerts mark to the highest article id ever given, unless it is set: the articles
    a library held before it had the mark are not news."""
    if get_meta(db, _ALERTS_MARK) is not None:
        return
    with db.atomic():
        db.execute(
            "INSERT OR IGNORE INTO meta (key, value) SELECT ?, max("
            "coalesce((SELECT max(id) FROM articles), 0), "
            "coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'last_article_id'), 0))",
            [_ALERTS_MARK],
        )


def advance_alerts_mark(db: sqlite_utils.Database, through: int) -> None:
    """Move the alerts mark up to ``through`` (never down: two senders may race)."""
    with db.atomic():
        db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
            "value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
            [_ALERTS_MARK, through],
        )


def prune_alerts_sent(db: sqlite_utils.Database, through: int, before: str) -> int:
    """Forget what was sent about articles that no round can offer again: those at or below
    the alerts mark ``through`` sent before ``before`` (an ISO time), and the removed ones (ids
    are never reused). Returns the number of rows deleted."""
    with db.atomic():
        old = db.execute(
            "DELETE FROM alerts_sent WHERE article_id <= ? AND sent_at < ?", [through, before]
        ).rowcount
        gone = db.execute(
            "DELETE FROM alerts_sent WHERE article_id NOT IN (SELECT id FROM articles)"
        ).rowcount
    return old + gone


def articles_after(db: sqlite_utils.Database, article_id: int) -> list[int]:
    """The ids of the current articles added after ``article_id``, in order."""
    rows = db.execute(
        "SELECT id FROM articles WHERE id > ? AND retired = 0 ORDER BY id", [article_id]
    )
    return [i for (i,) in rows]


def article_passages(db: sqlite_utils.Database, article_ids: list[int]) -> list[tuple[int, int]]:
    """(passage id, article id) of the current passages of ``article_ids``, by passage id."""
    found: list[tuple[int, int]] = []
    for start in range(0, len(article_ids), 500):
        batch = article_ids[start : start + 500]
        marks = ",".join("?" * len(batch))
        found += db.execute(
            f"SELECT id, article_id FROM passages WHERE retired = 0 AND article_id IN ({marks})",
            batch,
        ).fetchall()
    return sorted(found)


# -- feedback ---------------------------------------------------------------------------------


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


def most_unhelpful(db: sqlite_utils.Database, top: int) -> list[PassageVotes]:
    """The passages still in the library that most votes found unhelpful."""
    rows = db.execute(
        "SELECT p.id, p.article_id, a.title, substr(p.text, 1, 200), count(*) AS n "
        "FROM feedback f JOIN feedback_passages fp "
        "ON fp.question_id = f.question_id AND fp.user_id = f.user_id "
        "JOIN passages p ON p.id = fp.passage_id AND p.retired = 0 "
        "JOIN articles a ON a.id = p.article_id "
        "WHERE f.helpful = 0 GROUP BY p.id ORDER BY n DESC, p.id LIMIT ?",
        [top],
    )
    return [PassageVotes(*row) for row in rows]


def _article_info(row: tuple) -> ArticleInfo:
    *fields, from_mtime = row
    return ArticleInfo(*fields, date_from_mtime=bool(from_mtime))


def language(db: sqlite_utils.Database, user_id: int) -> str | None:
    row = db.execute("SELECT lang FROM languages WHERE user_id = ?", [user_id]).fetchone()
    return row[0] if row else None


def set_language(db: sqlite_utils.Database, user_id: int, lang: str) -> None:
    db.execute(
        "INSERT INTO languages (user_id, lang) VALUES (?, ?) "
        "ON CONFLICT (user_id) DO UPDATE SET lang = excluded.lang",
        [user_id, lang],
    )
