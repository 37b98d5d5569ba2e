"""The ingest pipeline (``knowledge.ingest``): what is read, kept, stored and synced away."""

import os
from pathlib import Path

import pytest

from knowledge import Article, Library
from knowledge.store import articles as store_articles

from .conftest import BODY, write_article


def test_ingest_is_idempotent_and_updates_changed_articles(
    library: Library, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    write_article(src, "a.md", title="أ", date="2021-05-21")
    write_article(src, "b.md", BODY.replace("غزة", "القدس"), title="ب", date="2021-05-22")
    first = library.ingest([src])
    assert (first.added, first.updated, first.unchanged, first.removed) == (2, 0, 0, 0)
    assert first.passages == 2 and first.seconds >= 0
    again = library.ingest([src])
    assert (again.added, again.updated, again.unchanged, again.passages) == (0, 0, 2, 0)
    write_article(
        src, "a.md", BODY + " وأضاف المتحدث أن الهدنة صامدة.", title="أ", date="2021-05-21"
    )
    changed = library.ingest([src])
    assert (changed.added, changed.updated, changed.unchanged) == (0, 1, 1)
    assert library.stats().articles == 2
    assert library.search("الهدنة صامدة", 1).hits[0].title == "أ"


def test_sync_removes_only_what_the_sources_no_longer_hold(
    library: Library, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    write_article(src, "a.md", title="a")
    gone = write_article(src, "b.md", BODY + " ب", title="b")
    broken = write_article(src, "c.md", BODY + " ج", title="c")
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
    write_article(tmp_path / "src", "a.md", title="a")
    library.ingest([tmp_path / "src"])
    report = library.ingest([tmp_path / "elsewhere"], sync=True)
    assert report.removed == 0 and report.failed[0].reason == "no such file or folder"
    assert library.stats().articles == 1


def test_a_sync_never_removes_what_another_ingest_wrote_while_it_read(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import knowledge.ingest as ingest_module

    src = tmp_path / "src"
    write_article(src, "a.md", title="a")
    gone = write_article(src, "b.md", BODY + " ب", title="b")
    library.ingest([src])
    gone.unlink()
    real_read = ingest_module.scan_paths

    def read_while_others_write(*args, **kwargs):
        result = real_read(*args, **kwargs)
        # a channel post, and a file this read missed, stored by another ingest meanwhile
        patch.setattr(ingest_module, "scan_paths", real_read)
        library.add_articles([Article(key="post", title="منشور", text=BODY + " منشور")])
        library.ingest([write_article(src, "c.md", BODY + " ج", title="c")])
        return result

    with monkeypatch.context() as patch:
        patch.setattr(ingest_module, "scan_paths", read_while_others_write)
        assert library.ingest([src], sync=True).removed == 1  # b.md only: c.md is kept
    assert sorted(a.title for a in library.latest(10)) == ["a", "c", "منشور"]
    assert library.ingest([src], sync=True).removed == 0


def test_failed_ingest_leaves_the_previous_library(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "src"
    write_article(src, "a.md", title="a")
    library.ingest([src])
    before = library.search("وقف إطلاق النار", 3)
    write_article(src, "b.md", BODY + " جديد", title="b")
    write_article(src, "c.md", BODY + " آخر", title="c")
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


def test_files_unchanged_since_they_were_read_are_not_read_again(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import knowledge.reading as reading

    src = tmp_path / "src"
    a = write_article(src, "a.md", title="a", date="2021-05-21")
    b = write_article(src, "b.md", BODY + " ب", title="b", date="2021-05-22")
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
    write_article(tmp_path / "news", "a.md", title="a")
    write_article(tmp_path / "other", "b.md", BODY + " ب", title="b")
    library.ingest([tmp_path / "news", tmp_path / "other"])
    (tmp_path / "news" / "a.md").unlink()
    report = library.ingest([tmp_path / "news"], sync=True)  # as /reload of ARTICLEBOT_SOURCES
    assert report.removed == 1
    assert [x.title for x in library.latest(5)] == ["b"]


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


def test_a_big_file_is_stored_a_batch_at_a_time_in_one_transaction(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from knowledge.readers import json_records

    monkeypatch.setattr(json_records, "BATCH_RECORDS", 3)
    # (dated records: up to 0.2 an undated one took its file's time, which the rewrites change)
    records = [
        {"id": i, "title": f"t{i}", "text": f"{BODY} {i}", "date": "2021-05-21"} for i in range(10)
    ]
    records.insert(4, {"id": 99, "title": "no text"})
    path = tmp_path / "src" / "big.jsonl"
    path.parent.mkdir()
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records))
    seen: list[tuple[int, int]] = []
    report = library.ingest([path.parent], progress=lambda done, total: seen.append((done, total)))
    assert (report.added, report.passages, library.stats().articles) == (10, 10, 10)
    assert [f.path for f in report.failed] == [f"{path}#5"]
    # (the first call, at 0, before anything is read: a bar shows from the start)
    assert len(seen) == 5 and seen[-1] == (path.stat().st_size, path.stat().st_size)
    assert seen[0] == (0, path.stat().st_size)
    # an error in a later batch leaves the earlier ones unwritten: one transaction
    path.write_text(path.read_text().replace(f"{BODY} 9", f"{BODY} تسعة") + "\n{broken\n")
    path.write_text(path.read_text() + json.dumps(records[0]))
    real_write = store_articles.ArticleWriter.write
    monkeypatch.setattr(store_articles.ArticleWriter, "write", lambda *a: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        library.ingest([path.parent], sync=True)
    monkeypatch.setattr(store_articles.ArticleWriter, "write", real_write)
    synced = library.ingest([path.parent], sync=True)
    assert (synced.updated, synced.unchanged, synced.removed) == (1, 9, 0)
    assert [f.reason for f in synced.failed][-1] == f"duplicate article id '{path}#0'"
    # a line that is no JSON at all may have been any article: a sync removes none of them
    path.write_text(path.read_text().replace('"id": 3,', "broken"))
    synced = library.ingest([path.parent], sync=True)
    assert (synced.unchanged, synced.removed, library.stats().articles) == (9, 0, 10)
