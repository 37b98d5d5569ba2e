"""The bundled demo article: when it fills a library, and when it leaves it.

The demo builds a library only when there is none: a library anything was ever ingested into
(even an ingest killed halfway, even one that stored nothing yet) is never filled with it. The
mark is ``INGEST_STARTED`` in the library's meta, committed before an ingest writes anything.
A library that holds nothing but the demo (made now, or by an older articlebot, which had no
mark) has it replaced by the first ingest that stores articles of the user's own.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import sqlite_utils

from .store.connection import get_meta, now, set_meta, write_transaction

__all__ = [
    "BUNDLED_ARTICLES",
    "INGEST_STARTED",
    "demo_only_ids",
    "interrupted",
    "is_demo",
    "mark_ingest_finished",
    "mark_ingest_started",
    "never_ingested",
    "should_fill",
]

BUNDLED_ARTICLES = Path(__file__).parent / "articles"
"""The articles that ship with the package: the default library."""

INGEST_STARTED = "ingest_started"
"""Meta key: when an ingest of the user's own first started on this library."""
INGEST_FINISHED = "ingest_finished"
"""Meta key: when an ingest of the user's own first ran to its end."""


def is_demo(sources: Iterable[str | Path]) -> bool:
    """Whether ``sources`` are the bundled articles (all of them, or some)."""
    bundled = BUNDLED_ARTICLES.resolve()
    paths = [Path(s).expanduser().resolve() for s in sources if "://" not in str(s)]
    return bool(paths) and all(p == bundled or bundled in p.parents for p in paths)


def should_fill(db: sqlite_utils.Database, sources: Iterable[str | Path]) -> bool:
    """Whether a library is filled from ``sources`` as it opens: only one never filled, and
    with the demo only one nothing was ever ingested into either."""
    if get_meta(db, "generation") is not None:
        return False
    return not (is_demo(sources) and get_meta(db, INGEST_STARTED) is not None)


def mark_ingest_started(db: sqlite_utils.Database) -> None:
    """Mark the library as the user's, in a transaction of its own (committed before the ingest
    writes: an ingest killed halfway rolls back everything but this)."""
    if get_meta(db, INGEST_STARTED) is None:
        with write_transaction(db):
            set_meta(db, **{INGEST_STARTED: now()})


def never_ingested(db: sqlite_utils.Database) -> bool:
    """Whether no ingest of the user's ever began on this library."""
    return get_meta(db, INGEST_STARTED) is None


def mark_ingest_finished(db: sqlite_utils.Database) -> None:
    """Mark that an ingest of the user's ran to its end (even one that stored nothing: every
    source failed, or a folder held no article), so that an empty library is not taken for one
    whose first ingest was stopped."""
    if get_meta(db, INGEST_FINISHED) is None:
        with write_transaction(db):
            set_meta(db, **{INGEST_FINISHED: now()})


def interrupted(db: sqlite_utils.Database) -> bool:
    """Whether the library is empty because its first ingest never finished."""
    if get_meta(db, INGEST_STARTED) is None or get_meta(db, INGEST_FINISHED) is not None:
        return False
    if get_meta(db, "generation") is not None:  # (one that stored articles, then removed them)
        return False
    return db.execute("SELECT 1 FROM articles WHERE retired = 0 LIMIT 1").fetchone() is None


def demo_only_ids(db: sqlite_utils.Database) -> list[int]:
    """The ids of the stored articles when they are all bundled ones (the library is the demo),
    else none. Told by their file names, the same wherever the package was installed (0.1 and
    0.2 libraries were filled from another folder than this one)."""
    names = {p.name for p in BUNDLED_ARTICLES.iterdir()}
    ids = []
    for article_id, path in db.execute("SELECT id, path FROM articles WHERE retired = 0"):
        stored = Path(path)
        if stored.name not in names or stored.parent.name != BUNDLED_ARTICLES.name:
            return []
        ids.append(article_id)
    return ids
