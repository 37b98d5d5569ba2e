"""The library facade: opening, reading articles and passages, stats and coverage."""

import json
from pathlib import Path

import pytest

from knowledge import BUNDLED_ARTICLES, Library
from knowledge.store.connection import set_meta

from .conftest import BODY, write, write_article


def test_new_library_is_filled_from_default_sources_once(tmp_path: Path) -> None:
    lib = Library.open(tmp_path / "x.db", default_sources=[BUNDLED_ARTICLES])
    assert lib.stats().articles == 1
    lib.close()
    with Library.open(tmp_path / "x.db", default_sources=[tmp_path / "nothing"]) as again:
        assert again.stats().articles == 1


def test_latest_article_passage_and_stats(library: Library, tmp_path: Path) -> None:
    src = tmp_path / "src"
    write_article(src, "old.md", title="old", date="2020-01-01")
    write_article(src, "new.md", BODY + " ب", title="new", date="2022-01-01", url="https://e.x/n")
    write(src / "undated.md", "بلا تاريخ " * 3)
    library.ingest([src])
    titles = [a.title for a in library.latest(3)]
    assert titles[:2] == ["new", "old"]  # the undated one (never dated by its file) last
    assert library.latest(1, offset=2)[0].published is None
    newest = library.latest(1)[0]
    article = library.article(newest.id)
    assert article is not None and article.url == "https://e.x/n" and article.text.startswith("نص")
    assert library.article(9999) is None
    hit = library.search("غزة", 1).hits[0]
    assert library.passage(hit.passage_id).text == hit.text
    assert library.passage(10**9) is None
    stats = library.stats()
    assert (stats.articles, stats.passages, stats.undated) == (3, 3, 1)
    assert json.dumps(stats.as_json(), ensure_ascii=False)


def test_unreadable_library_path_is_a_clear_error(tmp_path: Path) -> None:
    from knowledge import KnowledgeError

    not_a_db = write(tmp_path / "x.db", b"this is not sqlite" * 100)
    with pytest.raises(KnowledgeError, match="cannot open the library"):
        Library.open(not_a_db)


def test_coverage_counts_articles_by_source_else_folder(library: Library, tmp_path: Path) -> None:
    from knowledge.records import Article

    assert library.coverage().origins == [] and library.coverage().last_refresh is None
    news, notes = tmp_path / "news", tmp_path / "notes"
    write_article(news, "a.md", title="a", date="2021-05-01", source="Example News")
    write_article(news, "b.md", BODY + " ب", title="b", date="2021-06-02", source="Example News")
    write_article(notes, "c.md", BODY + " ج", title="c", date="2020-01-01")
    write_article(notes, "d.md", BODY + " د", title="d", date="2022-03-04", source=" ")
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
    write_article(tmp_path / "news", "a.md", title="a", source="Example News")
    library.ingest([tmp_path / "news"])
    first = library.coverage()
    assert library.coverage() is first  # nothing changed: not counted again
    with Library.open(library.path) as other:  # another process's ingest counts too
        write_article(tmp_path / "news", "b.md", BODY + " ب", title="b", source="Example News")
        other.ingest([tmp_path / "news"])
    assert library.coverage().origins[0].articles == 2


def test_language_mix_and_last_change(library: Library, tmp_path: Path) -> None:
    assert library.language_mix() == {"ar": 0, "en": 0} and library.last_change() is None
    src = tmp_path / "mix"
    write_article(src, "a.md", title="خبر عربي", date="2020-01-01")
    write_article(src, "b.md", BODY + " ب", title="خبر آخر", date="2020-01-02")
    write(src / "c.md", "---\ntitle: An English story\n---\nThe council met on Monday.\n")
    library.ingest([src])
    assert library.language_mix() == {"ar": 2, "en": 1}
    assert (library.last_change() or "").startswith("20")


def test_an_ingest_that_finds_nothing_new_is_not_a_change(library: Library, tmp_path: Path) -> None:
    src = tmp_path / "same"
    write_article(src, "a.md", title="خبر عربي", date="2020-01-01")
    library.ingest([src])
    changed = library.last_change()
    assert changed is not None
    set_meta(library._db(), changed_at="2000-01-01T00:00:00+00:00")
    library.ingest([src])  # nothing new: a reload that only checked
    assert library.last_change() == "2000-01-01T00:00:00+00:00"
    write_article(src, "b.md", BODY + " ب", title="خبر آخر", date="2020-01-02")
    library.ingest([src])
    assert library.last_change() != "2000-01-01T00:00:00+00:00"
