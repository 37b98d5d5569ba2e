"""Reading never waits on, nor needs, writing: a read-only library answers (only writes are
refused, with a message), and a question is answered while another process holds the write
lock."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from knowledge import KnowledgeError, Library
from knowledge.errors import ReadOnlyLibrary
from knowledge.store import connection

from .conftest import BODY, write_article

QUESTION = "وقف إطلاق النار"


def _library(folder: Path) -> Path:
    path = folder / "lib.db"
    for i in range(5):
        write_article(folder.parent / "src", f"{i}.md", f"{BODY} رقم {i} مدينة{i}", title=f"t{i}")
    with Library.open(path, embedder=None) as library:
        library.ingest([folder.parent / "src"])
    return path


def _snapshot(folder: Path, sqlite_files: bool = True) -> dict[str, tuple[int, int]]:
    """Each file of ``folder``: size and modification time (what a write would change); not
    SQLite's WAL and its index unless ``sqlite_files`` (in a writable folder, SQLite makes
    them to read a WAL database, even read-only)."""
    return {
        p.name: (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.iterdir()
        if sqlite_files or not p.name.endswith(("-wal", "-shm"))
    }


@pytest.fixture(params=["file", "folder"])
def read_only(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A library whose file, or folder, is made read-only (chmod). Root may write anyway (as
    CI does): there, what os.access would say to anyone else is what the library is told,
    and SQLite opens it read-only (any write to it fails); the files are compared after."""
    folder = tmp_path / "image"
    folder.mkdir()
    path = _library(folder)
    target = path if request.param == "file" else folder
    mode = target.stat().st_mode
    target.chmod(stat.S_IMODE(mode) & ~0o222)
    if os.geteuid() == 0:
        monkeypatch.setattr(connection, "writable", lambda p: bool(Path(p).stat().st_mode & 0o222))
    before = _snapshot(folder, request.param == "folder")
    yield path
    assert _snapshot(folder, request.param == "folder") == before, "a read-only library was written"
    target.chmod(stat.S_IMODE(mode))


def test_a_read_only_library_answers_and_refuses_only_writes(read_only: Path) -> None:
    with Library.open(read_only, embedder=None) as library:
        assert library.read_only
        assert library.search(QUESTION, 1).answered
        assert library.search("مدينة3", 1).hits[0].title == "t3"
        assert len(library.latest(10)) == 5 and library.stats().articles == 5
        with pytest.raises(ReadOnlyLibrary, match="read-only"):
            library.ingest([read_only.parent.parent / "src"])
        with pytest.raises(ReadOnlyLibrary, match="read-only"):
            library.add_articles([])


def test_a_read_only_library_without_its_saved_index_builds_it_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "image"
    folder.mkdir()
    path = _library(folder)
    path.with_name("lib.db.bm25").unlink()
    folder.chmod(0o555)
    monkeypatch.setattr(connection, "writable", lambda p: Path(p) != folder)
    try:
        with Library.open(path, embedder=None) as library:
            assert library.search("مدينة3", 1).hits[0].title == "t3"
        assert not path.with_name("lib.db.bm25").exists()
    finally:
        folder.chmod(0o755)


def test_the_commands_answer_from_a_read_only_library(read_only: Path) -> None:
    runner = CliRunner()
    for command in (["ask", QUESTION], ["latest"], ["stats"], ["sources"], ["ask", "--json", "x"]):
        result = runner.invoke(cli, [*command, "--db", str(read_only)])
        assert result.exit_code == 0, (command, result.output)
        assert "Traceback" not in result.output
    assert "read-only" in runner.invoke(cli, ["stats", "--db", str(read_only)]).output
    refused = runner.invoke(
        cli, ["ingest", "--no-embed", "--db", str(read_only), str(read_only.parent.parent / "src")]
    )
    assert refused.exit_code == 1 and "read-only" in refused.output
    assert "Traceback" not in refused.output
    embedding = runner.invoke(cli, ["embed", "--db", str(read_only)])
    assert embedding.exit_code == 1 and "read-only" in embedding.output


def test_a_read_only_library_that_needs_upgrading_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = tmp_path / "old.db"
    shutil.copy(Path(__file__).parent / "fixtures" / "library-v0.1.db", old)
    monkeypatch.setattr(connection, "writable", lambda p: Path(p) != old)
    result = CliRunner().invoke(cli, ["ask", "--db", str(old), QUESTION])
    assert result.exit_code == 1 and "older articlebot" in result.output
    assert "Traceback" not in result.output
    with pytest.raises(KnowledgeError, match="upgrade it"):
        Library.open(old, embedder=None)


HOLD = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")  # an ingest's transaction: the write lock, for minutes
conn.execute("UPDATE passages SET retired = 1 WHERE id = (SELECT min(id) FROM passages)")
conn.execute("INSERT OR REPLACE INTO meta VALUES ('generation', '99')")
print("holding", flush=True)
sys.stdin.readline()
"""


def test_a_question_is_answered_while_another_process_holds_the_write_lock(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "lib"
    folder.mkdir()
    path = _library(folder)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        result = CliRunner().invoke(cli, ["ask", "--db", str(path), "مدينة3"])
        assert result.exit_code == 0, result.output
        assert "t3" in result.output  # the last committed state
        with Library.open(path, embedder=None) as library:
            assert library.search("مدينة0", 1).hits[0].title == "t0"
            assert len(library.latest(10)) == 5
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
