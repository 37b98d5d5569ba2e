"""The serving index (``knowledge.serving``): saved, reloaded, swapped in whole, never stale."""

import threading
from pathlib import Path

import pytest

from knowledge import BM25Index, Library

from .conftest import BODY, write_article


def test_search_reads_the_old_index_until_the_new_one_is_swapped_in(
    library: Library, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    for i in range(30):
        write_article(src, f"{i}.md", f"{BODY} رقم {i}", title=f"t{i}")
    library.ingest([src])
    errors: list[BaseException] = []
    stop = threading.Event()

    def ask() -> None:
        while not stop.is_set():
            try:
                result = library.search("وقف إطلاق النار", 5)
                assert result.answered and len(result.hits) == 5
            except BaseException as error:
                errors.append(error)
                return

    readers = [threading.Thread(target=ask) for _ in range(3)]
    for reader in readers:
        reader.start()
    for i in range(30):
        write_article(src, f"{i}.md", f"{BODY} رقم {i} معدل", title=f"t{i}")
    library.ingest([src], sync=True)
    stop.set()
    for reader in readers:
        reader.join()
    assert not errors
    assert library.search("معدل", 1).answered


def test_reopening_uses_the_saved_index_and_rebuilds_a_stale_or_broken_one(
    library: Library, tmp_path: Path
) -> None:
    write_article(tmp_path / "src", "a.md", title="a")
    library.ingest([tmp_path / "src"])
    assert library.index_path.exists()
    expected = library.search("غزة", 1)
    library.index_path.write_bytes(b"broken")
    assert Library.open(library.path).search("غزة", 1) == expected
    # an index from an older generation of the library is stale
    write_article(tmp_path / "src", "b.md", "مقال عن القدس والشيخ جراح", title="b")
    stale = library.index_path.read_bytes()
    library.ingest([tmp_path / "src"])
    library.index_path.write_bytes(stale)
    assert Library.open(library.path).search("الشيخ جراح", 1).hits[0].title == "b"


def test_another_process_ingest_is_seen_by_a_running_library(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_article(tmp_path / "src", "a.md", title="a")
    library.ingest([tmp_path / "src"])
    monkeypatch.setattr(Library, "recheck_seconds", 0.0)
    with Library.open(library.path) as other:  # e.g. `articlebot ingest` while the bot runs
        assert not other.search("الشيخ جراح", 1).hits
        write_article(tmp_path / "src", "b.md", "مقال عن القدس والشيخ جراح", title="b")
        library.ingest([tmp_path / "src"])
        assert other.search("الشيخ جراح", 1).hits[0].title == "b"


def test_a_database_copied_over_another_is_not_served_the_old_index(tmp_path: Path) -> None:
    import shutil

    write_article(tmp_path / "a", "a.md", "مقال عن غزة وصواريخ المقاومة", title="a")
    write_article(tmp_path / "b", "b.md", "مقال عن القدس والشيخ جراح", title="b")
    for name in ("a", "b"):
        with Library.open(tmp_path / f"{name}.db") as lib:
            lib.ingest([tmp_path / name])
    shutil.copy(tmp_path / "b.db", tmp_path / "a.db")  # a.db.bm25 is a's index, same generation
    with Library.open(tmp_path / "a.db") as lib:
        assert lib.search("الشيخ جراح", 1).hits[0].title == "b"
        assert not lib.search("صواريخ المقاومة", 1).answered


def test_a_running_library_never_rebuilds_inside_a_search(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_article(tmp_path / "src", "a.md", title="a")
    library.ingest([tmp_path / "src"])
    monkeypatch.setattr(Library, "recheck_seconds", 0.0)
    with Library.open(library.path) as other:
        builds = []
        monkeypatch.setattr(other._serving, "build", lambda db: builds.append(1))
        library.index_path.unlink()  # as if the other process had not saved its index yet
        write_article(tmp_path / "src", "b.md", "مقال عن القدس والشيخ جراح", title="b")
        monkeypatch.setattr(BM25Index, "save", lambda self, path: None)
        library.ingest([tmp_path / "src"])
        assert other.search("وقف إطلاق النار", 1).answered  # the old index, still serving
        assert builds == []


@pytest.mark.parametrize("measured", [None, (0, 0), (1, 4)])
def test_the_index_arrays_hold_every_passage_even_if_the_library_grew_since_measured(
    library: Library,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    measured: tuple[int, int] | None,
) -> None:
    import numpy as np

    from knowledge.serving import corpus_arrays, term_ids
    from knowledge.store import articles

    for i in range(5):
        write_article(tmp_path / "src", f"{i}.md", f"{BODY} رقم {i}", title=f"t{i}")
    library.ingest([tmp_path / "src"])
    db = library._db()
    if measured is not None:  # as if rows came in between the count and the read
        monkeypatch.setattr(articles, "corpus_size", lambda db: measured)
    ids, lengths, terms = corpus_arrays(db)
    rows = list(term_ids(db))
    assert ids.tolist() == [passage_id for passage_id, _ in rows]
    assert lengths.tolist() == [len(blob) // 4 for _, blob in rows]
    assert terms.tolist() == np.frombuffer(b"".join(b for _, b in rows), np.int32).tolist()
