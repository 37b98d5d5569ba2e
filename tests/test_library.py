import json
import os
import threading
from pathlib import Path

import pytest

from knowledge import BUNDLED_ARTICLES, Article, BM25Index, Library
from knowledge.store import articles as store_articles
from knowledge.store import connection as store_connection

from .conftest import write

BODY = "نص المقال الأول عن وقف إطلاق النار في غزة بعد أحد عشر يوما من القتال والقصف."


def _article(folder: Path, name: str, text: str = BODY, **meta: str) -> Path:
    front = "".join(f"{k}: {v}\n" for k, v in meta.items())
    return write(folder / name, f"---\n{front}---\n{text}\n")


def test_ingest_is_idempotent_and_updates_changed_articles(
    library: Library, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    _article(src, "a.md", title="أ", date="2021-05-21")
    _article(src, "b.md", BODY.replace("غزة", "القدس"), title="ب", date="2021-05-22")
    first = library.ingest([src])
    assert (first.added, first.updated, first.unchanged, first.removed) == (2, 0, 0, 0)
    assert first.passages == 2 and first.seconds >= 0
    again = library.ingest([src])
    assert (again.added, again.updated, again.unchanged, again.passages) == (0, 0, 2, 0)
    _article(src, "a.md", BODY + " وأضاف المتحدث أن الهدنة صامدة.", title="أ", date="2021-05-21")
    changed = library.ingest([src])
    assert (changed.added, changed.updated, changed.unchanged) == (0, 1, 1)
    assert library.stats().articles == 2
    assert library.search("الهدنة صامدة", 1).hits[0].title == "أ"


def test_sync_removes_only_what_the_sources_no_longer_hold(
    library: Library, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    _article(src, "a.md", title="a")
    gone = _article(src, "b.md", BODY + " ب", title="b")
    broken = _article(src, "c.md", BODY + " ج", title="c")
    library.ingest([src])
    gone.unlink()
    broken.write_bytes(b"\x00\x01binary now")
    plain = library.ingest([src])
    assert plain.removed == 0 and library.stats().articles == 3
    synced = library.ingest([src], sync=True)
    assert synced.removed == 1  # b.md; c.md failed to read, so its article is kept
    assert [f.path for f in synced.failed] == [str(broken)]
    assert sorted(a.title for a in library.latest(10)) == ["a", "c"]


def test_sync_keeps_articles_of_a_missing_source_folder(library: Library, tmp_path: Path) -> None:
    _article(tmp_path / "src", "a.md", title="a")
    library.ingest([tmp_path / "src"])
    report = library.ingest([tmp_path / "elsewhere"], sync=True)
    assert report.removed == 0 and report.failed[0].reason == "no such file or folder"
    assert library.stats().articles == 1


def test_a_sync_never_removes_what_another_ingest_wrote_while_it_read(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import knowledge.ingest as ingest_module

    src = tmp_path / "src"
    _article(src, "a.md", title="a")
    gone = _article(src, "b.md", BODY + " ب", title="b")
    library.ingest([src])
    gone.unlink()
    real_read = ingest_module.read_paths

    def read_while_others_write(*args, **kwargs):
        result = real_read(*args, **kwargs)
        # a channel post, and a file this read missed, stored by another ingest meanwhile
        patch.setattr(ingest_module, "read_paths", real_read)
        library.add_articles([Article(key="post", title="منشور", text=BODY + " منشور")])
        library.ingest([_article(src, "c.md", BODY + " ج", title="c")])
        return result

    with monkeypatch.context() as patch:
        patch.setattr(ingest_module, "read_paths", read_while_others_write)
        assert library.ingest([src], sync=True).removed == 1  # b.md only: c.md is kept
    assert sorted(a.title for a in library.latest(10)) == ["a", "c", "منشور"]
    assert library.ingest([src], sync=True).removed == 0


def test_failed_ingest_leaves_the_previous_library(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "src"
    _article(src, "a.md", title="a")
    library.ingest([src])
    before = library.search("وقف إطلاق النار", 3)
    _article(src, "b.md", BODY + " جديد", title="b")
    _article(src, "c.md", BODY + " آخر", title="c")
    real_write = store_articles.ArticleWriter.write

    def write_then_crash(self, articles):
        real_write(self, articles)  # the new articles and passages are written...
        raise RuntimeError("disk on fire")  # ...and the ingest dies before it commits

    monkeypatch.setattr(store_articles.ArticleWriter, "write", write_then_crash)
    with pytest.raises(RuntimeError):
        library.ingest([src], sync=True)
    assert library.stats().articles == 1
    assert library.search("وقف إطلاق النار", 3) == before
    reopened = Library.open(library.path)
    assert reopened.stats().articles == 1
    assert reopened.search("وقف إطلاق النار", 3).hits == before.hits


def test_search_reads_the_old_index_until_the_new_one_is_swapped_in(
    library: Library, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    for i in range(30):
        _article(src, f"{i}.md", f"{BODY} رقم {i}", title=f"t{i}")
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
        _article(src, f"{i}.md", f"{BODY} رقم {i} معدل", title=f"t{i}")
    library.ingest([src], sync=True)
    stop.set()
    for reader in readers:
        reader.join()
    assert not errors
    assert library.search("معدل", 1).answered


def test_reopening_uses_the_saved_index_and_rebuilds_a_stale_or_broken_one(
    library: Library, tmp_path: Path
) -> None:
    _article(tmp_path / "src", "a.md", title="a")
    library.ingest([tmp_path / "src"])
    assert library.index_path.exists()
    expected = library.search("غزة", 1)
    library.index_path.write_bytes(b"broken")
    assert Library.open(library.path).search("غزة", 1) == expected
    # an index from an older generation of the library is stale
    _article(tmp_path / "src", "b.md", "مقال عن القدس والشيخ جراح", title="b")
    stale = library.index_path.read_bytes()
    library.ingest([tmp_path / "src"])
    library.index_path.write_bytes(stale)
    assert Library.open(library.path).search("الشيخ جراح", 1).hits[0].title == "b"


def test_new_library_is_filled_from_default_sources_once(tmp_path: Path) -> None:
    lib = Library.open(tmp_path / "x.db", default_sources=[BUNDLED_ARTICLES])
    assert lib.stats().articles == 1
    lib.close()
    with Library.open(tmp_path / "x.db", default_sources=[tmp_path / "nothing"]) as again:
        assert again.stats().articles == 1


def test_latest_article_passage_and_stats(library: Library, tmp_path: Path) -> None:
    src = tmp_path / "src"
    _article(src, "old.md", title="old", date="2020-01-01")
    _article(src, "new.md", BODY + " ب", title="new", date="2022-01-01", url="https://e.x/n")
    write(src / "undated.md", "بلا تاريخ " * 3)
    library.ingest([src])
    titles = [a.title for a in library.latest(3)]
    assert titles[1:] == ["new", "old"]  # the undated one is dated by its file: today
    newest = library.latest(1, offset=1)[0]
    article = library.article(newest.id)
    assert article is not None and article.url == "https://e.x/n" and article.text.startswith("نص")
    assert library.article(9999) is None
    hit = library.search("غزة", 1).hits[0]
    assert library.passage(hit.passage_id).text == hit.text
    assert library.passage(10**9) is None
    stats = library.stats()
    assert (stats.articles, stats.passages, stats.dates_from_mtime) == (3, 3, 1)
    assert json.dumps(stats.as_json(), ensure_ascii=False)


def test_unreadable_library_path_is_a_clear_error(tmp_path: Path) -> None:
    from knowledge import KnowledgeError

    not_a_db = write(tmp_path / "x.db", b"this is not sqlite" * 100)
    with pytest.raises(KnowledgeError, match="cannot open the library"):
        Library.open(not_a_db)


def test_another_process_ingest_is_seen_by_a_running_library(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _article(tmp_path / "src", "a.md", title="a")
    library.ingest([tmp_path / "src"])
    monkeypatch.setattr(Library, "recheck_seconds", 0.0)
    with Library.open(library.path) as other:  # e.g. `articlebot ingest` while the bot runs
        assert not other.search("الشيخ جراح", 1).hits
        _article(tmp_path / "src", "b.md", "مقال عن القدس والشيخ جراح", title="b")
        library.ingest([tmp_path / "src"])
        assert other.search("الشيخ جراح", 1).hits[0].title == "b"


def test_a_new_analyser_version_analyses_the_stored_articles_again(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import knowledge.analysis as module

    _article(tmp_path / "src", "a.md", title="a")
    library.ingest([tmp_path / "src"])
    before = library.search("وقف إطلاق النار", 1)
    library.close()
    monkeypatch.setattr(module, "ANALYSER_VERSION", "a-newer-one")
    with Library.open(library.path) as reopened:
        (after,) = reopened.search("وقف إطلاق النار", 1).hits
        assert (after.text, after.score) == (before.hits[0].text, before.hits[0].score)
        assert reopened.index.meta["analyser_version"] == "a-newer-one"
        assert reopened.stats().passages == 1  # replaced, not added
        ((_, terms),) = reopened.documents()
        assert {"وقف", "اطلاق", "نار"} <= set(terms)


def test_a_library_of_another_schema_is_refused_clearly(tmp_path: Path) -> None:
    import sqlite3

    from knowledge import KnowledgeError

    old = sqlite3.connect(tmp_path / "old.db")
    old.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY, tokens TEXT)")
    old.commit()
    old.close()
    with pytest.raises(KnowledgeError, match="another articlebot version"):
        Library.open(tmp_path / "old.db")


def test_files_unchanged_since_they_were_read_are_not_read_again(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import knowledge.reading as reading

    src = tmp_path / "src"
    a = _article(src, "a.md", title="a", date="2021-05-21")
    b = _article(src, "b.md", BODY + " ب", title="b", date="2021-05-22")
    for path in (a, b):  # written a while ago: a file written just now is always read again
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns - 10**10))
    library.ingest([src])
    reads: list[str] = []
    real = reading.read_file_reporting
    monkeypatch.setattr(
        reading, "read_file_reporting", lambda path: reads.append(path.name) or real(path)
    )
    report = library.ingest([src], sync=True)
    assert (reads, report.unchanged, report.removed) == ([], 2, 0)
    os.utime(a, ns=(a.stat().st_atime_ns, a.stat().st_mtime_ns + 10**9))  # touched, same text
    report = library.ingest([src], sync=True)
    assert (reads, report.unchanged, report.updated) == (["a.md"], 2, 0)
    # a file whose articles a sync removed is read again when it is back
    a.rename(tmp_path / "a.md")  # a rename keeps its time and size
    assert library.ingest([src], sync=True).removed == 1
    (tmp_path / "a.md").rename(a)
    reads.clear()
    report = library.ingest([src])
    assert (reads, report.added, report.unchanged) == (["a.md"], 1, 1)


def test_sync_leaves_articles_from_other_sources(library: Library, tmp_path: Path) -> None:
    _article(tmp_path / "news", "a.md", title="a")
    _article(tmp_path / "other", "b.md", BODY + " ب", title="b")
    library.ingest([tmp_path / "news", tmp_path / "other"])
    (tmp_path / "news" / "a.md").unlink()
    report = library.ingest([tmp_path / "news"], sync=True)  # as /reload of ARTICLEBOT_SOURCES
    assert report.removed == 1
    assert [x.title for x in library.latest(5)] == ["b"]


def test_a_second_process_ingesting_the_same_library_is_refused(
    library: Library, tmp_path: Path
) -> None:
    from knowledge import KnowledgeError
    from knowledge.locking import exclusive

    _article(tmp_path / "src", "a.md", title="a")
    # as another process's ingest would hold it
    with exclusive(library.path), pytest.raises(KnowledgeError, match="another ingest"):
        library.ingest([tmp_path / "src"])
    assert library.ingest([tmp_path / "src"]).added == 1


def test_a_database_copied_over_another_is_not_served_the_old_index(tmp_path: Path) -> None:
    import shutil

    _article(tmp_path / "a", "a.md", "مقال عن غزة وصواريخ المقاومة", title="a")
    _article(tmp_path / "b", "b.md", "مقال عن القدس والشيخ جراح", title="b")
    for name in ("a", "b"):
        with Library.open(tmp_path / f"{name}.db") as lib:
            lib.ingest([tmp_path / name])
    shutil.copy(tmp_path / "b.db", tmp_path / "a.db")  # a.db.bm25 is a's index, same generation
    with Library.open(tmp_path / "a.db") as lib:
        assert lib.search("الشيخ جراح", 1).hits[0].title == "b"
        assert not lib.search("صواريخ المقاومة", 1).answered


def test_a_removed_articles_id_is_never_given_again(library: Library, tmp_path: Path) -> None:
    _article(tmp_path / "src", "a.md", title="a")
    gone = _article(tmp_path / "src", "b.md", BODY + " ب", title="b")
    library.ingest([tmp_path / "src"])
    old_id = max(a.id for a in library.latest(5))
    gone.unlink()
    library.ingest([tmp_path / "src"], sync=True)
    _article(tmp_path / "src", "c.md", BODY + " ج", title="c")
    library.ingest([tmp_path / "src"])
    assert library.article(old_id) is None
    assert max(a.id for a in library.latest(5)) > old_id


def test_a_running_library_never_rebuilds_inside_a_search(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _article(tmp_path / "src", "a.md", title="a")
    library.ingest([tmp_path / "src"])
    monkeypatch.setattr(Library, "recheck_seconds", 0.0)
    with Library.open(library.path) as other:
        builds = []
        monkeypatch.setattr(other._serving, "build", lambda db: builds.append(1))
        library.index_path.unlink()  # as if the other process had not saved its index yet
        _article(tmp_path / "src", "b.md", "مقال عن القدس والشيخ جراح", title="b")
        monkeypatch.setattr(BM25Index, "save", lambda self, path: None)
        library.ingest([tmp_path / "src"])
        assert other.search("وقف إطلاق النار", 1).answered  # the old index, still serving
        assert builds == []


def test_add_articles_stores_records_and_reports_the_new_ids(library: Library) -> None:
    from knowledge.records import Article

    post = Article(key="tg:-100:7", title="بيان", text=BODY, url="https://t.me/c/100/7")
    first = library.add_articles([post])
    assert first.added == 1 and len(first.added_ids) == 1
    assert library.article(first.added_ids[0]).title == "بيان"
    assert library.search("وقف إطلاق النار", 1).hits[0].url == "https://t.me/c/100/7"
    edited = library.add_articles([Article(key="tg:-100:7", title="بيان", text=BODY + " تعديل")])
    assert (edited.added, edited.updated, edited.added_ids) == (0, 1, [])
    assert library.add_articles([post]).updated == 1  # the edit is undone, not ignored


def test_an_older_version_of_an_article_never_replaces_a_newer_one(
    library: Library, tmp_path: Path
) -> None:
    def post(text: str, version: int | None) -> Article:
        return Article(key="tg:-100:8", title="بيان", text=text, version=version)

    library.add_articles([post(BODY, 100)])
    edit = library.add_articles([post(BODY + " تعديل", 160)])
    assert (edit.updated, edit.outdated) == (1, 0)
    late = library.add_articles([post(BODY, 100)])  # the original, delivered again
    assert (late.added, late.updated, late.unchanged, late.outdated) == (0, 0, 0, 1)
    assert library.article(edit_id(library)).text.endswith("تعديل")
    # The version is kept even when the text is the same, and survives reopening.
    assert library.add_articles([post(BODY + " تعديل", 200)]).unchanged == 1
    with Library.open(library.path) as reopened:
        assert reopened.add_articles([post(BODY + " ثان", 180)]).outdated == 1
        assert reopened.add_articles([post(BODY + " ثان", 200)]).updated == 1  # same: applied
        assert reopened.add_articles([post(BODY, None)]).updated == 1  # unversioned: applied
    assert library.article(edit_id(library)).text == BODY


def edit_id(library: Library) -> int:
    return next(a.id for a in library.latest(10) if a.key == "tg:-100:8")


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


def test_coverage_counts_articles_by_source_else_folder(library: Library, tmp_path: Path) -> None:
    from knowledge.records import Article

    assert library.coverage().origins == [] and library.coverage().last_refresh is None
    news, notes = tmp_path / "news", tmp_path / "notes"
    _article(news, "a.md", title="a", date="2021-05-01", source="Example News")
    _article(news, "b.md", BODY + " ب", title="b", date="2021-06-02", source="Example News")
    _article(notes, "c.md", BODY + " ج", title="c", date="2020-01-01")
    _article(notes, "d.md", BODY + " د", title="d", date="2022-03-04", source=" ")
    library.ingest([news, notes])
    post = Article(key="telegram:-100:7", title="t", text=BODY + " هـ", source="Channel", path="")
    library.add_articles([post])
    coverage = library.coverage()
    assert [(o.name, o.articles, o.newest) for o in coverage.origins] == [
        ("Example News", 2, "2021-06-02"),
        ("notes", 2, "2022-03-04"),  # no source (or a blank one): the folder
        ("Channel", 1, None),
    ]
    assert coverage.articles == 5
    assert [o.newest_title for o in coverage.origins] == ["b", "d", None]  # of the newest
    assert coverage.last_refresh == library.stats().last_ingest is not None
    (news / "b.md").unlink()
    library.ingest([news], sync=True)  # removed articles no longer count
    assert [(o.name, o.articles, o.newest) for o in library.coverage().origins] == [
        ("notes", 2, "2022-03-04"),
        ("Channel", 1, None),
        ("Example News", 1, "2021-05-01"),
    ]


def test_coverage_is_counted_again_only_when_the_library_changed(
    library: Library, tmp_path: Path
) -> None:
    _article(tmp_path / "news", "a.md", title="a", source="Example News")
    library.ingest([tmp_path / "news"])
    first = library.coverage()
    assert library.coverage() is first  # nothing changed: not counted again
    with Library.open(library.path) as other:  # another process's ingest counts too
        _article(tmp_path / "news", "b.md", BODY + " ب", title="b", source="Example News")
        other.ingest([tmp_path / "news"])
    assert library.coverage().origins[0].articles == 2


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
