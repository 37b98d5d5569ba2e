"""The command line's side of the passage vectors: ingest embeds after storing (or not),
``articlebot embed`` embeds what is missing, ``stats`` says how much has vectors; the
library's semantic signal says when it is off."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from knowledge import Library
from knowledge import library as library_module
from knowledge.embed import embedding_lock

from .conftest import write_article

FIXTURE = Path(__file__).parent / "fixtures" / "library-v0.1.db"


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    write_article(folder, "a.md", "The ceasefire began on Sunday.", title="Ceasefire")
    write_article(folder, "b.md", "فاز المنتخب المغربي في ربع النهائي.", title="كرة القدم")
    return folder


def test_ingest_embeds_after_storing_unless_told_not_to(tmp_path: Path, articles: Path) -> None:
    db = str(tmp_path / "lib.db")
    code, out = _run("ingest", "--db", db, "--no-embed", str(articles))
    assert code == 0 and "embedded" not in out
    code, out = _run("stats", "--db", db)
    assert "vectors:     0 of 2 passages (0%), model multilingual-e5-small" in out
    write_article(articles, "c.md", "Rain fell in Amman.", title="Weather")
    code, out = _run("ingest", "--db", db, str(articles))  # embeds the new and the missing
    assert code == 0 and "3 passages embedded; vectors: 3 of 3 passages (100%)" in out
    code, out = _run("embed", "--db", db)
    assert code == 0 and out.startswith("0 passages embedded")
    code, out = _run("stats", "--db", db, "--json")
    figures = json.loads(out)
    assert (figures["vectors"], figures["passages"], figures["semantic"]) == (3, 3, True)


def test_an_ingest_while_another_process_embeds_stores_and_says_so(
    tmp_path: Path, articles: Path
) -> None:
    """Embedding holds no ingest lock: an ingest meanwhile stores and indexes, and leaves its
    passages to the run under way."""
    db = tmp_path / "lib.db"
    with embedding_lock(db):
        result = CliRunner().invoke(cli, ["ingest", "--db", str(db), str(articles)])
    assert result.exit_code == 0 and "added 2" in result.output
    assert "another process is embedding" in result.output
    with Library.open(db) as library:
        assert library.search("ceasefire").answered and library.stats().vectors == 0


def test_without_a_model_stats_say_semantic_is_off(
    tmp_path: Path, articles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(library_module, "default_embedder", lambda: None)
    db = str(tmp_path / "lib.db")
    code, out = _run("ingest", "--db", db, str(articles))
    assert code == 0 and "embedded" not in out
    code, out = _run("stats", "--db", db)
    assert "semantic:    off (BM25 only: no model for this platform)" in out
    result = CliRunner().invoke(cli, ["embed", "--db", db])
    assert result.exit_code == 1 and "no model for this platform" in result.output


def test_a_library_of_0_1_gets_vectors(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    shutil.copy(FIXTURE, old)
    code, out = _run("embed", "--db", str(old))
    assert code == 0 and "11 passages embedded; vectors: 11 of 11 passages (100%)" in out
    with Library.open(old) as library:
        assert library.search("desalination plant Gaza").hits[0].title == (
            "Gaza water plant reopens"
        )
        vectors = library.vectors()
        assert vectors is not None and len(vectors) == 11
