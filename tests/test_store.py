"""The storage layer (``knowledge.store``): ids, transactions."""

from pathlib import Path

import pytest

from knowledge import Library
from knowledge.store import connection as store_connection

from .conftest import BODY, write_article


def test_a_removed_articles_id_is_never_given_again(library: Library, tmp_path: Path) -> None:
    write_article(tmp_path / "src", "a.md", title="a")
    gone = write_article(tmp_path / "src", "b.md", BODY + " ب", title="b")
    library.ingest([tmp_path / "src"])
    old_id = max(a.id for a in library.latest(5))
    gone.unlink()
    library.ingest([tmp_path / "src"], sync=True)
    write_article(tmp_path / "src", "c.md", BODY + " ج", title="c")
    library.ingest([tmp_path / "src"])
    assert library.article(old_id) is None
    assert max(a.id for a in library.latest(5)) > old_id


def test_a_failed_commit_releases_the_write_lock(library: Library) -> None:
    import sqlite3

    db = library._db()
    with pytest.raises(sqlite3.IntegrityError), store_connection.write_transaction(db):
        # a deferred foreign key makes the COMMIT itself fail, as a full disk would
        db.execute("PRAGMA defer_foreign_keys = ON")
        db.execute(
            'INSERT INTO passages (article_id, position, start, "end", text, terms) '
            "VALUES (999, 0, 0, 1, 'x', x'')"
        )
    assert not db.conn.in_transaction
    other = store_connection.connect(library.path, timeout=0.1)
    other.execute("BEGIN IMMEDIATE")  # the lock is free for the next writer
    other.execute("ROLLBACK")
    other.close()
