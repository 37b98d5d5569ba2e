"""The demo stays a demo (``knowledge.demo``): the bundled article builds a library only when
there is none, and the first ingest of the user's own articles replaces it."""

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from knowledge import BUNDLED_ARTICLES, Library, demo, ingest
from knowledge.store.connection import get_meta

from .conftest import BODY, write_article

FIXTURES = Path(__file__).parent / "fixtures"
SEED_QUESTION = "متى بدأ وقف إطلاق النار في غزة؟"
OWN_QUESTION = "ما هو نص المقال؟"


def _invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _own(folder: Path, count: int = 2) -> Path:
    for n in range(count):
        write_article(folder, f"own{n}.md", f"{BODY} مقال خاص رقم {n}", title=f"own {n}")
    return folder


def _titles(db: Path) -> set[str]:
    with Library.open(db, embedder=None) as library:
        return {a.title for a in library.latest(50)}


def test_a_fresh_machine_answers_from_the_demo(tmp_path: Path) -> None:
    db = tmp_path / "lib.db"
    result = _invoke("ask", "--db", str(db), SEED_QUESTION)
    assert result.exit_code == 0 and "**وقف**" in result.output
    with Library.open(db, embedder=None) as library:
        assert demo.demo_only_ids(library._db()) == [1]
        assert not library.ingest_interrupted()


def test_the_first_ingest_of_own_articles_replaces_the_demo_and_says_so(tmp_path: Path) -> None:
    db = tmp_path / "lib.db"
    assert _invoke("ask", "--db", str(db), SEED_QUESTION).exit_code == 0  # the demo
    result = _invoke("ingest", "--no-embed", "--db", str(db), str(_own(tmp_path / "own")))
    assert result.exit_code == 0
    assert "the bundled demo article was removed" in result.output
    assert _titles(db) == {"own 0", "own 1"}
    again = _invoke("ask", "--db", str(db), SEED_QUESTION)  # never filled with the demo again
    assert again.exit_code == 0 and "2021-05-21" not in again.output
    assert _titles(db) == {"own 0", "own 1"}
    more = _invoke("ingest", "--no-embed", "--json", "--db", str(db), str(_own(tmp_path / "b", 3)))
    assert '"demo_removed": 0' in more.output  # it was removed once, by the first ingest


def test_an_ingest_that_stores_nothing_leaves_the_demo_for_the_next_one(tmp_path: Path) -> None:
    library = Library.open(tmp_path / "lib.db", default_sources=[BUNDLED_ARTICLES], embedder=None)
    (tmp_path / "empty").mkdir()
    assert library.ingest([tmp_path / "empty"]).demo_removed == 0
    assert library.ingest([BUNDLED_ARTICLES]).demo_removed == 0  # the demo itself: not own
    assert library.stats().articles == 1
    report = library.ingest([_own(tmp_path / "own")])
    assert (report.added, report.demo_removed, library.stats().articles) == (2, 1, 2)
    assert library.search(OWN_QUESTION, 3).hits
    library.close()


def test_channel_posts_replace_the_demo_too(tmp_path: Path) -> None:
    from knowledge import Article

    db = tmp_path / "lib.db"
    with Library.open(db, default_sources=[BUNDLED_ARTICLES], embedder=None) as library:
        report = library.add_articles([Article(key="tg:-100:1", title="بيان", text=BODY)])
        assert (report.demo_removed, library.stats().articles) == (1, 1)


def test_an_ingest_killed_before_it_stored_anything_never_lets_the_demo_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "lib.db"

    def killed(*args: object) -> None:
        raise RuntimeError("killed")  # as a kill halfway: the ingest's transaction rolls back

    monkeypatch.setattr(ingest, "_store_changed", killed)
    with pytest.raises(RuntimeError, match="killed"):
        _invoke("ingest", "--no-embed", "--db", str(db), str(_own(tmp_path / "own")))
    monkeypatch.undo()
    result = _invoke("ask", "--db", str(db), SEED_QUESTION)
    assert result.exit_code == 0 and "2021-05-21" not in result.output
    assert "is empty: an ingest into it started but did not finish" in result.stderr
    assert "articlebot ingest" in result.stderr
    with Library.open(db, default_sources=[BUNDLED_ARTICLES], embedder=None) as library:
        assert library.stats().articles == 0 and library.ingest_interrupted()
    # running the ingest again finishes it
    assert _invoke("ingest", "--no-embed", "--db", str(db), str(tmp_path / "own")).exit_code == 0
    assert _titles(db) == {"own 0", "own 1"}
    assert "did not finish" not in _invoke("ask", "--db", str(db), OWN_QUESTION).stderr


def test_a_first_ingest_that_finished_without_articles_is_not_called_interrupted(
    tmp_path: Path,
) -> None:
    db = tmp_path / "lib.db"
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "README.md").write_text("# My articles\n\nThey go here.\n", encoding="utf-8")
    _invoke("ingest", "--no-embed", "--db", str(db), str(empty))
    result = _invoke("ask", "--db", str(db), SEED_QUESTION)
    assert "did not finish" not in result.stderr and "2021-05-21" not in result.output
    with Library.open(db, embedder=None) as library:
        assert not library.ingest_interrupted()


def test_the_mark_is_committed_before_the_ingest_writes(tmp_path: Path) -> None:
    with Library.open(tmp_path / "lib.db", embedder=None) as library:
        demo.mark_ingest_started(library._db())  # as a killed ingest leaves it
        assert get_meta(library._db(), demo.INGEST_STARTED) is not None
    with Library.open(tmp_path / "lib.db", default_sources=[BUNDLED_ARTICLES]) as library:
        assert library.stats().articles == 0
    # configured sources of the user's own still fill it (they are no demo)
    with Library.open(tmp_path / "lib.db", default_sources=[_own(tmp_path / "own")]) as library:
        assert library.stats().articles == 2


def test_a_library_of_an_older_version_with_only_the_demo_counts_as_the_demo(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "old.db"
    with Library.open(db_path, default_sources=[BUNDLED_ARTICLES], embedder=None) as library:
        db = library._db()  # as 0.1 and 0.2 left it: no mark, filled from another install
        db.execute(
            "UPDATE articles SET path = '/usr/lib/python3/site-packages/knowledge/articles/' || ?",
            [next(BUNDLED_ARTICLES.iterdir()).name],
        )
        db.conn.commit()
        assert get_meta(db, demo.INGEST_STARTED) is None
        assert demo.demo_only_ids(db) == [1]
        report = library.ingest([_own(tmp_path / "own")])
        assert (report.demo_removed, library.stats().articles) == (1, 2)


def test_a_library_with_more_than_the_demo_keeps_it(tmp_path: Path) -> None:
    db_path = tmp_path / "old.db"
    shutil.copy(FIXTURES / "library-v0.1.db", db_path)  # the demo and two more articles
    with Library.open(db_path, default_sources=[BUNDLED_ARTICLES], embedder=None) as library:
        assert demo.demo_only_ids(library._db()) == []
        assert library.ingest([_own(tmp_path / "own")]).demo_removed == 0
        assert library.stats().articles == 5
    with Library.open(tmp_path / "lib.db", default_sources=[BUNDLED_ARTICLES]) as library:
        shutil.copytree(BUNDLED_ARTICLES, tmp_path / "again" / "articles")
        # the demo's own file copied into the user's folder: it is read again, and stays
        report = library.ingest([tmp_path / "again"])
        assert (report.updated, report.demo_removed, library.stats().articles) == (1, 0, 1)


def test_demo_sources_are_told_by_their_folder(tmp_path: Path) -> None:
    assert demo.is_demo([BUNDLED_ARTICLES]) and demo.is_demo([str(BUNDLED_ARTICLES)])
    assert demo.is_demo([next(BUNDLED_ARTICLES.iterdir())])
    assert not demo.is_demo([tmp_path]) and not demo.is_demo([])
    assert not demo.is_demo([BUNDLED_ARTICLES, tmp_path])
    assert not demo.is_demo(["https://example.com/feed.xml"])


@pytest.mark.parametrize(("lang", "said"), [("en", "demo article was removed"), ("ar", "التجريبي")])
def test_a_reload_that_replaced_the_demo_says_so(lang: str, said: str) -> None:
    from bot import admin_replies
    from knowledge import IngestReport
    from tests.telegram_helpers import assert_telegram_html

    replaced = admin_replies.format_reload_report(IngestReport(added=2, demo_removed=1), lang)
    plain = admin_replies.format_reload_report(IngestReport(added=2), lang)
    for reply in replaced:
        assert_telegram_html(reply.text)
    assert said in replaced[0].text and said not in plain[0].text


def test_a_reload_without_sources_never_adds_the_demo_to_the_users_library(
    tmp_path: Path,
) -> None:
    from bot.conversation import reload_sources

    with Library.open(tmp_path / "lib.db", default_sources=[BUNDLED_ARTICLES]) as library:
        assert library.is_demo()
        assert reload_sources(library, [BUNDLED_ARTICLES]).error is None  # the demo reloads
        library.ingest([_own(tmp_path / "own")])
        assert not library.is_demo()
        # no ARTICLEBOT_SOURCES: the settings' default is the bundled folder
        outcome = reload_sources(library, [BUNDLED_ARTICLES])
        assert outcome.error is not None and "ARTICLEBOT_SOURCES" in outcome.error
        assert _titles(tmp_path / "lib.db") == {"own 0", "own 1"}
