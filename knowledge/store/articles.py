"""Articles and their passages: writing an ingest's batches, retiring and purging, and reading
them back (by id, newest first, per origin, as the index's corpus)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

import sqlite_utils

from ..records import ArticleInfo, StoredArticle
from .connection import get_meta, now, set_meta

_ARTICLE_INFO = """
    a.id, a.key, a.title, a.published, a.url, a.source, a.lang, a.path,
    (SELECT count(*) FROM passages p WHERE p.article_id = a.id AND p.retired = 0) AS passages,
    a.date_from_mtime
"""


def article_hashes(db: sqlite_utils.Database) -> dict[str, tuple[int, str]]:
    """Every stored article's key -> (id, content hash)."""
    rows = db.execute("SELECT id, key, hash FROM articles WHERE retired = 0")
    return {key: (i, h) for i, key, h in rows}


def article_paths(db: sqlite_utils.Database) -> Iterator[tuple[int, str, str, str]]:
    """(id, key, path, when last written) of every stored article."""
    yield from db.execute("SELECT id, key, path, updated_at FROM articles WHERE retired = 0")


_INSERT_PASSAGE = (
    'INSERT INTO passages (article_id, position, start, "end", text, terms, spans) '
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


PassageRow = tuple[int, int, int, str, bytes, bytes]
"""(position, start, end, text, term ids as int32 bytes, their words' offsets as
``prepare.encode_spans`` stores them) of a passage to store."""


class ArticleWriter:
    """Writes articles and their passages, batch after batch, within one ingest's transaction.
    Statements are batched: this is the hot path of a big ingest."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.stamp = now(precise=True)  # (a sync compares it with when its reading began)
        self.ids = dict(db.execute("SELECT key, id FROM articles").fetchall())
        # Never reuse the id of a removed article: an old "show article" button must not open
        # another one. The highest id ever given is kept in meta.
        self.next_id = max(int(get_meta(db, "last_article_id") or 0), *self.ids.values(), 0) + 1
        self.added: list[int] = []
        """Ids of the articles this writer added (not replaced), in order."""

    def write(self, articles: list[tuple[dict, list[PassageRow]]]) -> int:
        """Insert or replace ``articles`` (matched by ``key``) with all their passages; returns
        the number of passages written."""
        new: list[dict] = []
        replaced: list[dict] = []
        passages: list[tuple] = []
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


def keys_from_files(db: sqlite_utils.Database, paths: list[str]) -> set[str]:
    """The keys of the stored articles that came from ``paths`` (files, or web sources)."""
    keys: set[str] = set()
    for start in range(0, len(paths), 500):
        batch = paths[start : start + 500]
        marks = ",".join("?" * len(batch))
        sql = f"SELECT key FROM articles WHERE retired = 0 AND path IN ({marks})"
        keys.update(key for (key,) in db.execute(sql, batch))
    return keys


def corpus(db: sqlite_utils.Database) -> Iterator[tuple[int, bytes, bytes]]:
    """(passage id, title term ids, passage term ids) of every passage, in id order."""
    yield from db.execute(
        "SELECT p.id, a.title_terms, p.terms FROM passages p "
        "JOIN articles a ON a.id = p.article_id WHERE p.retired = 0 ORDER BY p.id"
    )


def corpus_size(db: sqlite_utils.Database) -> tuple[int, int]:
    """(passages, bytes of title and passage term ids) of what ``corpus`` yields: to size the
    index's arrays once, not grow them."""
    count, size = db.execute(
        "SELECT count(*), total(length(a.title_terms) + length(p.terms)) FROM passages p "
        "JOIN articles a ON a.id = p.article_id WHERE p.retired = 0"
    ).fetchone()
    return int(count), int(size)


def stored_articles(db: sqlite_utils.Database) -> list[tuple[int, str, str]]:
    """(id, title, text) of every article, to analyse again."""
    return db.execute(
        "SELECT id, title, text FROM articles WHERE retired = 0 ORDER BY id"
    ).fetchall()


def replace_passages(
    db: sqlite_utils.Database, article_id: int, title_terms: bytes, passages: list[PassageRow]
) -> None:
    """Give an article new title terms and passages (its text unchanged: after the analyser
    or the splitter changed). A passage at the offsets of a stored one keeps its id, so that
    votes and chat buttons naming it stay valid; the stored ones not kept are retired."""
    stored = db.execute(
        'SELECT start, "end", id FROM passages WHERE article_id = ? AND retired = 0', [article_id]
    ).fetchall()
    ids = {(start, end): passage_id for start, end, passage_id in stored}
    kept, new = [], []
    for position, start, end, text, terms, spans in passages:
        passage_id = ids.pop((start, end), None)
        if passage_id is None:
            new.append((article_id, position, start, end, text, terms, spans))
        else:
            kept.append((position, terms, spans, passage_id))
    db.conn.executemany("UPDATE passages SET position = ?, terms = ?, spans = ? WHERE id = ?", kept)
    db.conn.executemany(
        "UPDATE passages SET retired = 1 WHERE id = ?", [(i,) for i in ids.values()]
    )
    db.execute("UPDATE articles SET title_terms = ? WHERE id = ?", [title_terms, article_id])
    db.conn.executemany(_INSERT_PASSAGE, new)


def passages_by_id(
    db: sqlite_utils.Database, ids: list[int], *, retired: bool = False
) -> dict[int, dict]:
    """Passages with their article's metadata, by passage id; missing ids are left out. A row
    holds the passage's term ids, its words' offsets (``spans``: None for a passage stored
    before they were) and its title's term ids, as stored.

    ``retired`` includes the passages that a reload replaced but the serving index still uses.
    """
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = db.execute(
        'SELECT p.id, p.article_id, p.position, p.start, p."end", p.text, '
        "a.title, a.url, a.published, a.source, p.terms, p.spans, a.title_terms "
        "FROM passages p "
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
        "terms",
        "spans",
        "title_terms",
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


def _article_info(row: tuple) -> ArticleInfo:
    article_id, key, title, published, url, source, lang, path, passages, from_mtime = row
    return ArticleInfo(
        article_id, key, title, published, url, source, lang, path, passages, bool(from_mtime)
    )


def counts(db: sqlite_utils.Database) -> tuple[int, int, int]:
    """(articles, passages, undated articles)."""
    articles, mtime = db.execute(
        "SELECT count(*), count(*) - count(published) FROM articles WHERE retired = 0"
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


def highest_article_id(db: sqlite_utils.Database) -> int:
    """The highest article id ever given (the removed articles' included: ids are never
    reused)."""
    return int(
        db.execute(
            "SELECT max(coalesce((SELECT max(id) FROM articles), 0), "
            "coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'last_article_id'), 0))"
        ).fetchone()[0]
    )


def current_articles(db: sqlite_utils.Database, article_ids: list[int]) -> set[int]:
    """Those of ``article_ids`` that are stored and not retired."""
    found: set[int] = set()
    for start in range(0, len(article_ids), 500):
        batch = article_ids[start : start + 500]
        marks = ",".join("?" * len(batch))
        rows = db.execute(f"SELECT id FROM articles WHERE retired = 0 AND id IN ({marks})", batch)
        found.update(i for (i,) in rows)
    return found


def language_mix(db: sqlite_utils.Database) -> dict[str, int]:
    """How many current articles are mostly in Arabic script (``"ar"``) and how many are not
    (``"en"``), judged on their title and opening."""
    db.register_function(_mostly_arabic, deterministic=True)
    rows = db.execute(
        "SELECT _mostly_arabic(title || ' ' || substr(text, 1, 300)), count(*) "
        "FROM articles WHERE retired = 0 GROUP BY 1"
    ).fetchall()
    found = {bool(arabic): n for arabic, n in rows}
    return {"ar": found.get(True, 0), "en": found.get(False, 0)}


def _mostly_arabic(text: str | None) -> int:
    """1 when most letters of ``text`` are Arabic, else 0 (for SQLite)."""
    arabic = sum(1 for ch in text or "" if "\u0600" <= ch <= "\u06ff" and ch.isalpha())
    latin = sum(1 for ch in text or "" if ch.isascii() and ch.isalpha())
    return int(arabic > 0 and arabic >= latin)
