"""What an ingest need not read or fetch again: file signatures, web validators, feed entries'
fingerprints and listings, and the stored version of articles that come in versions."""

from __future__ import annotations

import sqlite_utils


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
