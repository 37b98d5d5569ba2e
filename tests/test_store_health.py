"""A damaged database is said, with how to recover, never served (``knowledge.store.health``);
a full disk during an ingest is said, and the library kept as it was."""

from __future__ import annotations

import errno
import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from knowledge import KnowledgeError, Library

from .conftest import BODY, write_article

QUESTION = "وقف إطلاق النار"


def _library(tmp_path: Path, articles: int = 60) -> Path:
    """A library of ``articles`` articles, closed cleanly."""
    path = tmp_path / "lib.db"
    for i in range(articles):
        text = f"{BODY} رقم {i} مدينة{i} " + "كلام طويل عن الأحداث " * 30
        write_article(tmp_path / "src", f"{i}.md", text, title=f"t{i}")
    with Library.open(path, embedder=None) as library:
        library.ingest([tmp_path / "src"])
    assert not path.with_name("lib.db-wal").exists()  # a clean close leaves no WAL
    return path


def _damage_a_passage_page(path: Path) -> None:
    """Garbage over a page of the passages table, as a bad sector leaves (its header too: SQLite
    sees that whenever it reads the page)."""
    with sqlite3.connect(path) as conn:
        pages = [
            page
            for (page,) in conn.execute(
                "SELECT pageno FROM dbstat WHERE name = 'passages' AND pagetype = 'leaf'"
            )
        ]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with open(path, "r+b") as f:
        f.seek((pages[len(pages) // 2] - 1) * size)
        f.write(b"\xff" + random.Random(1).randbytes(size - 1))


DIE_WRITING = """
import os, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("INSERT OR REPLACE INTO meta VALUES ('touched', 'yes')")  # a commit, in the WAL
os._exit(0)  # killed: nothing closed, the WAL left behind
"""


def _die_while_using(path: Path) -> None:
    subprocess.run([sys.executable, "-c", DIE_WRITING, str(path)], check=True)
    assert path.with_name("lib.db-wal").stat().st_size > 0


def test_after_an_unclean_shutdown_a_damaged_database_is_said_not_served(tmp_path: Path) -> None:
    path = _library(tmp_path)
    _damage_a_passage_page(path)
    _die_while_using(path)
    result = CliRunner().invoke(cli, ["ask", "--db", str(path), QUESTION])
    assert result.exit_code == 1, result.output
    assert (
        "is damaged" in result.output and "ingest" in result.output and "new file" in result.output
    )
    assert "Traceback" not in result.output


def test_after_an_unclean_shutdown_a_sound_database_opens_after_its_check(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _library(tmp_path)
    _die_while_using(path)
    with Library.open(path, embedder=None) as library:
        assert library.search(QUESTION, 1).answered
    assert "not closed cleanly" in caplog.text


def test_a_library_in_use_by_another_process_is_not_checked_again(tmp_path: Path) -> None:
    """A WAL with content is normal while another process uses the library: no check then."""
    from knowledge.store import health

    path = _library(tmp_path)
    with Library.open(path, embedder=None) as running:
        running.add_articles([])  # (nothing: the WAL is the other process's matter)
        users, unclean = health.join(path)
        health.leave(users)
        assert not unclean


def test_stats_check_says_a_damaged_database_is_damaged_and_how_to_recover(
    tmp_path: Path,
) -> None:
    path = _library(tmp_path)
    runner = CliRunner()
    sound = runner.invoke(cli, ["stats", "--check", "--db", str(path)])
    assert sound.exit_code == 0 and "no damage found" in sound.output
    _damage_a_passage_page(path)
    damaged = runner.invoke(cli, ["stats", "--check", "--db", str(path)])
    assert damaged.exit_code == 1
    assert "is damaged" in damaged.output and "articlebot ingest" in damaged.output
    assert "Traceback" not in damaged.output


def test_a_damaged_page_met_by_a_command_is_said_not_a_traceback(tmp_path: Path) -> None:
    path = _library(tmp_path)
    _damage_a_passage_page(path)
    questions = "\n".join(f'{{"question": "مدينة{i}"}}' for i in range(60))  # every passage
    result = CliRunner().invoke(cli, ["ask", "--batch", "-", "--db", str(path)], input=questions)
    assert result.exit_code == 1, result.output
    assert "is damaged" in result.output and "Traceback" not in result.output
    assert str(path) in " ".join(result.output.split())  # which library, not "this path"


@pytest.mark.parametrize(
    "error",
    [
        sqlite3.OperationalError("database or disk is full"),
        OSError(errno.ENOSPC, "No space left on device"),
    ],
    ids=["sqlite", "os"],
)
def test_a_full_disk_during_an_ingest_is_said_and_the_library_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    import knowledge.ingest

    path = _library(tmp_path, articles=3)
    write_article(tmp_path / "more", "new.md", "مقال جديد عن القدس والشيخ جراح", title="new")

    def full(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(knowledge.ingest, "finish_write", full)  # inside the transaction
    runner = CliRunner()
    result = runner.invoke(cli, ["ingest", "--no-embed", "--db", str(path), str(tmp_path / "more")])
    assert result.exit_code == 1
    assert "disk full" in result.output and "keeps everything it held before" in result.output
    assert "Traceback" not in result.output
    monkeypatch.undo()
    with Library.open(path, embedder=None) as library:
        assert library.stats().articles == 3
        assert library.search(QUESTION, 1).answered
        assert not library.search("الشيخ جراح", 1).answered


def test_the_storage_errors_are_told_apart() -> None:
    from knowledge.errors import DamagedLibrary, DiskFull
    from knowledge.store.health import explain

    assert isinstance(explain(sqlite3.OperationalError("database or disk is full")), DiskFull)
    assert isinstance(explain(OSError(errno.ENOSPC, "full")), DiskFull)
    assert isinstance(
        explain(sqlite3.DatabaseError("database disk image is malformed")), DamagedLibrary
    )
    assert explain(sqlite3.OperationalError("database is locked")) is None
    assert explain(OSError(errno.EACCES, "denied")) is None
    assert issubclass(DiskFull, KnowledgeError) and issubclass(DamagedLibrary, KnowledgeError)


GATE_HOLDER = """
import fcntl, pathlib, sys, time
with open(sys.argv[1], "ab") as users:
    fcntl.lockf(users, fcntl.LOCK_EX)
    print("holding", flush=True)
    time.sleep(1.0)
    pathlib.Path(sys.argv[2]).touch()  # (before it lets the other in)
    fcntl.lockf(users, fcntl.LOCK_UN)
"""


def test_processes_join_a_library_one_at_a_time(tmp_path: Path) -> None:
    # Another process between its probe and its shared lock (the gate held): joining waits, so
    # that it never finds itself alone with the other's live WAL and checks a library in use.
    from knowledge.store import health

    db = tmp_path / "lib.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", GATE_HOLDER, str(tmp_path / "lib.db.users"), str(tmp_path / "done")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    users, unclean = health.join(db)
    finished = (tmp_path / "done").exists()
    health.leave(users)
    holder.wait(timeout=10)
    assert finished and not unclean


def test_a_library_that_fails_to_open_leaves_nothing_open(tmp_path: Path) -> None:
    path = _library(tmp_path)
    _damage_a_passage_page(path)

    def users_files() -> list[str]:
        fds = Path("/proc/self/fd")
        return [p.name for p in fds.iterdir() if os.path.realpath(p).endswith(".users")]

    before = users_files()
    with pytest.raises(KnowledgeError, match="damaged") as caught:
        Library.open(path, check=True, embedder=None)
    # closed on the way out, not when the error (and the frames it holds) is forgotten
    assert users_files() == before and caught.value is not None
