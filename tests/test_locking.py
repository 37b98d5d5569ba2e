"""One ingest at a time (``knowledge.locking``), in this process and across processes."""

from pathlib import Path

import pytest

from knowledge import Article, Library

from .conftest import BODY, write_article


def test_a_second_process_ingesting_the_same_library_is_refused(
    library: Library, tmp_path: Path
) -> None:
    from knowledge import KnowledgeError
    from knowledge.locking import exclusive

    write_article(tmp_path / "src", "a.md", title="a")
    # as another process's ingest would hold it
    with exclusive(library.path), pytest.raises(KnowledgeError, match="another ingest"):
        library.ingest([tmp_path / "src"])
    assert library.ingest([tmp_path / "src"]).added == 1


def test_add_articles_without_waiting_refuses_while_this_process_ingests(
    library: Library, tmp_path: Path
) -> None:
    from knowledge import IngestRunning
    from knowledge.locking import exclusive

    post = Article(key="tg:-100:9", title="بيان", text=BODY)
    with library._lock.local(), pytest.raises(IngestRunning, match="another ingest"):
        library.add_articles([post], wait=False)  # as during a reload in another thread
    with exclusive(library.path), pytest.raises(IngestRunning, match="another ingest"):
        library.add_articles([post])  # as during another process's ingest
    assert library.stats().articles == 0
    assert library.add_articles([post], wait=False).added == 1
