"""The kill -9 rounds: an ingest killed at random moments, and the bot killed during an admin's
``/reload``. After each: the database intact (``PRAGMA integrity_check``), the library either
as it was or as the finished ingest leaves it (every earlier article there, the same answers
to fixed questions), no worker process left behind, the lock free at once, and a re-run
reaching the state of a clean ingest.

Run by the test suite with a few rounds (``test_kill_rounds``); by hand with more:
``python -m tests.faults --rounds 50 --seed 7`` (see ``__main__``).
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from knowledge import BUNDLED_ARTICLES, KnowledgeError, Library
from knowledge.demo import INGEST_STARTED
from knowledge.embed import embedding_lock
from knowledge.locking import exclusive
from tests.telegram_helpers import FakeBotAPI, user

from . import harness
from .harness import State

TOKEN = "4242:SECRET-faults"
ADMIN = 42
EARLIER = 60
"""Articles in the library before each killed ingest."""
NEW = 200
"""Articles the killed ingest adds: enough that it takes a few seconds."""
EMBEDDING = 4.0
"""Seconds added to the kill window of the rounds that embed too (every other one): the
embedding workers start after the ingest, and are what a kill must not leave behind."""


@dataclass
class Report:
    """What the rounds saw: one line a round, and the failures."""

    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def check(self, ok: bool, what: str) -> None:
        if not ok:
            self.failures.append(what)


@dataclass(frozen=True)
class Setup:
    """Folders and reference states shared by the rounds."""

    base: Path
    """The library before the ingest (its files: copied for each round)."""
    sources: list[Path]
    """What the ingest reads."""
    asked: list[str]
    before: State
    after: State
    """The state of a clean ingest of ``sources`` into ``base``."""


def prepare(work: Path, seed: int, name: str, one_folder: bool) -> Setup:
    """A library of ``EARLIER`` articles and ``NEW`` more to ingest (into one folder, with
    ``one_folder``: the bot's configured source, which /reload reads again)."""
    root = work / name
    earlier = harness.write_folder(root / "articles", EARLIER, seed)
    new = root / ("articles" if one_folder else "new")
    base = root / "base.db"
    with Library.open(base, embedder=None) as library:
        library.ingest([earlier])
    harness.write_folder(root / "pending" if one_folder else new, NEW, seed + 1, first=EARLIER)
    asked = harness.questions([0, 1, EARLIER // 2, EARLIER, EARLIER + 1, EARLIER + NEW - 1])
    before = harness.state(base, asked)
    clean = root / "clean.db"
    _copy(base, clean)
    sources = [earlier] if one_folder else [new]
    if one_folder:
        _move_pending(root)
    with Library.open(clean, embedder=None) as library:
        library.ingest(sources, sync=one_folder)
    after = harness.state(clean, asked)
    if one_folder:
        _move_pending(root, back=True)
    assert len(after.articles) == EARLIER + NEW and before.articles < after.articles
    return Setup(base, sources, asked, before, after)


def ingest_rounds(work: Path, rounds: int, seed: int, report: Report) -> None:
    """``rounds`` ingests (in a process of their own) killed at random moments."""
    setup = prepare(work, seed, "ingest", one_folder=False)
    rng = random.Random(seed)
    window = _clean_run_seconds(setup, work / "ingest")
    log = work / "ingest" / "child.log"
    for n in range(rounds):
        db = work / "ingest" / f"round{n}.db"
        _copy(setup.base, db)
        embed = n % 2 == 1
        args = ["ingest", "--embed" if embed else "--no-embed", "--db", str(db)]
        process = harness.start([*args, *map(str, setup.sources)], harness.child_env(), log)
        at = rng.uniform(0, window + (EMBEDDING if embed else 0))
        killed, workers = harness.kill_after(process, at)
        line = f"ingest round {n} ({'embedding, ' if embed else ''}kill at {at:.2f} s)"
        _after_kill(line, db, setup, workers, report, killed)
        _rerun(db, setup, report, f"ingest round {n}", sync=False)


def first_ingest_rounds(work: Path, rounds: int, seed: int, report: Report) -> None:
    """``rounds`` first ingests into a new library killed at random moments, then the library
    opened as ``articlebot ask`` opens it: never filled with the demo once an ingest began."""
    setup = prepare(work, seed, "first", one_folder=False)
    rng = random.Random(seed + 2)
    root = work / "first"
    window = _clean_run_seconds(setup, root)
    with Library.open(root / "clean-first.db", embedder=None) as library:
        library.ingest(setup.sources)
    complete = harness.state(root / "clean-first.db", setup.asked)
    for n in range(rounds):
        db = root / f"round{n}.db"
        args = ["ingest", "--no-embed", "--db", str(db), *map(str, setup.sources)]
        process = harness.start(args, harness.child_env(), root / "child.log")
        at = rng.uniform(0, window)
        killed, workers = harness.kill_after(process, at)
        line = f"first ingest round {n} (kill at {at:.2f} s)"
        report.check(not harness.wait_gone(workers), f"{line}: processes left running")
        began = db.exists() and _ingest_began(db)
        with Library.open(db, default_sources=[BUNDLED_ARTICLES], embedder=None) as library:
            held = {Path(a.path).name for a in library.latest(EARLIER + NEW)}
            demo_in = bool(held & {p.name for p in BUNDLED_ARTICLES.iterdir()})
            empty = library.stats().articles == 0
            report.check(
                not (began and demo_in), f"{line}: the demo filled a library ingested into"
            )
            report.check(not empty or library.ingest_interrupted(), f"{line}: empty, not told")
        report.check(harness.integrity(db) == "ok", f"{line}: integrity_check failed")
        outcome = "killed" if killed else "ended first"
        kept = "empty" if empty else "the demo" if demo_in else "complete"
        report.lines.append(f"{line}: {outcome}, ingest began: {began}, library {kept}")
        with Library.open(db, embedder=None) as library:
            library.ingest(setup.sources)
        if not demo_in:
            same = harness.state(db, setup.asked) == complete
            report.check(same, f"{line}: re-run differs")
            report.lines[-1] += "; re-run same as clean"


def _ingest_began(db: Path) -> bool:
    conn = sqlite3.connect(db)
    try:
        row = conn.execute("SELECT 1 FROM meta WHERE key = ?", [INGEST_STARTED]).fetchone()
    except sqlite3.Error:
        return False
    finally:
        conn.close()
    return row is not None


def reload_rounds(work: Path, rounds: int, seed: int, report: Report) -> None:
    """``rounds`` bots killed during an admin's /reload."""
    setup = prepare(work, seed, "reload", one_folder=True)
    rng = random.Random(seed + 1)
    root = work / "reload"
    for n in range(rounds):
        db = root / f"round{n}.db"
        _copy(setup.base, db)
        with FakeBotAPI(TOKEN) as server:
            env = harness.child_env(
                TELEGRAM_BOT_TOKEN=TOKEN,
                TELEGRAM_API_BASE_URL=server.base_url,
                ARTICLEBOT_ADMIN_IDS=str(ADMIN),
                ARTICLEBOT_SOURCES=str(setup.sources[0]),
                ARTICLEBOT_EMBED="0",
            )
            process = harness.start(["run", "--db", str(db)], env, root / "bot.log")
            server.wait_for(lambda c: c.method == "setMyCommands", timeout=60)
            _move_pending(root)  # the new articles arrive while the bot runs
            mark = len(server.calls)
            server.user_says("/reload", user(ADMIN, "en", "Admin"))
            server.wait_for(lambda c: "Reloading" in str(c.params.get("text")), mark, 60)
            at = rng.uniform(0, 2.0)
            killed, workers = harness.kill_after(process, at)
        line = f"reload round {n} (kill {at:.2f} s after 'Reloading')"
        _after_kill(line, db, setup, workers, report, killed)
        _rerun(db, setup, report, f"reload round {n}", sync=True)
        _move_pending(root, back=True)


def _after_kill(
    line: str, db: Path, setup: Setup, workers: set[int], report: Report, killed: bool
) -> None:
    left = harness.wait_gone(workers)
    report.check(not left, f"{line}: processes left running: {sorted(left)}")
    check = harness.integrity(db)
    report.check(check == "ok", f"{line}: integrity_check: {check}")
    try:
        with exclusive(db), embedding_lock(db):
            pass
        free = True
    except KnowledgeError:
        free = False
    report.check(free, f"{line}: the ingest or embedding lock is still held")
    now = harness.state(db, setup.asked)
    which = "before" if now == setup.before else "after" if now == setup.after else "neither"
    report.check(setup.before.articles <= now.articles, f"{line}: earlier articles lost")
    report.check(which != "neither", f"{line}: a state that is neither before nor after")
    outcome = "killed" if killed else "ended first"
    report.lines.append(f"{line}: {outcome}, {len(workers)} child processes, library {which}")


def _rerun(db: Path, setup: Setup, report: Report, line: str, sync: bool) -> None:
    started = time.monotonic()
    with Library.open(db, embedder=None) as library:
        library.ingest(setup.sources, sync=sync)
    report.check(harness.state(db, setup.asked) == setup.after, f"{line}: re-run differs")
    report.lines[-1] += f"; re-run same as clean ({time.monotonic() - started:.1f} s)"


def _clean_run_seconds(setup: Setup, root: Path) -> float:
    """How long the ingest takes in its process, from ready to done: the kills' window."""
    db = root / "timing.db"
    _copy(setup.base, db)
    args = ["ingest", "--no-embed", "--db", str(db), *map(str, setup.sources)]
    process = harness.start(args, harness.child_env(), root / "child.log")
    started = time.monotonic()
    assert process.wait(120) == 0, (root / "child.log").read_text()
    seconds = time.monotonic() - started
    assert harness.state(db, setup.asked) == setup.after  # the command's ingest is the same
    return seconds


def _copy(db: Path, to: Path) -> None:
    """A library's files (the database and what lies beside it: its saved index)."""
    for path in db.parent.glob(db.name + "*"):
        if not path.name.endswith(".lock"):
            shutil.copy(path, to.parent / (to.name + path.name[len(db.name) :]))


def _move_pending(root: Path, back: bool = False) -> None:
    """Move the new articles into the configured folder (or back out of it)."""
    source, target = root / "pending", root / "articles"
    if back:
        source, target = target, source
    for n in range(EARLIER, EARLIER + NEW):
        (source / f"article-{n:04d}.md").rename(target / f"article-{n:04d}.md")


Round = Callable[[Path, int, int, Report], None]
