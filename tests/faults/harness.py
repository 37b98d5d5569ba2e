"""What the fault runs share: a folder of generated articles, an ingest in a process killed
with ``kill -9`` at a chosen moment, the processes it leaves, and the state of a library (its
articles, passages and answers) to compare with a clean run's."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from knowledge import Library

ROOT = Path(__file__).resolve().parents[2]
WORDS_AR = (
    "مدينة سوق ميناء مصنع حقل جسر نهر قطار مطار مدرسة مستشفى مكتبة ملعب سفينة طريق "
    "مزرعة مختبر متحف حديقة برج محطة قناة واحة غابة جبل جزيرة سد منجم"
).split()
WORDS_EN = (
    "harbour market bridge river factory railway airport school hospital library stadium "
    "vessel highway farm laboratory museum garden tower station canal oasis forest mountain"
).split()
VERBS = "افتتح أعلن أغلق وسع بنى رمم زار درس".split()


def topic(n: int) -> str:
    """A made-up name that only article ``n`` of a folder mentions: what its question asks."""
    syllables = ["ka", "lo", "mi", "ra", "sun", "te", "vo", "zen", "qu", "pa"]
    return "".join(syllables[int(d)] for d in f"{n:03d}") + "ville"


def write_folder(folder: Path, count: int, seed: int, first: int = 0) -> Path:
    """``count`` articles (Arabic and English, ~2,500 characters each), made from ``seed``:
    article ``n`` names ``topic(n)``."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(first, first + count):
        arabic = n % 3 != 0
        words = WORDS_AR if arabic else WORDS_EN
        sentences = []
        for _ in range(24):
            picked = " ".join(rng.choice(words) for _ in range(9))
            verb = rng.choice(VERBS) if arabic else "opened"
            sentences.append(f"{verb} {picked} {topic(n) if rng.random() < 0.3 else ''}.")
        body = " ".join(sentences)
        title = f"{topic(n)} {rng.choice(words)}"
        date = f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}"
        text = f"---\ntitle: {title}\ndate: {date}\n---\n{body}\n"
        (folder / f"article-{n:04d}.md").write_text(text, encoding="utf-8")
    return folder


def questions(firsts: list[int]) -> list[str]:
    """Fixed questions: about the topic of each of these articles."""
    return [f"{topic(n)} {WORDS_AR[n % len(WORDS_AR)]}" for n in firsts]


@dataclass(frozen=True)
class State:
    """What a library holds and answers, without its ids (a re-run may number rows anew)."""

    articles: frozenset[tuple[str, str]]
    """(key, content hash) of every article."""
    passages: frozenset[tuple[str, str]]
    """(article key, text) of every passage."""
    answers: tuple[tuple[tuple[str, str], ...], ...]
    """(article title, passage text) of the top 3 hits of each question, in order."""


def state(db: Path, asked: list[str]) -> State:
    """The state of the library at ``db``, ranked by BM25 alone (no model: deterministic)."""
    with Library.open(db, embedder=None) as library:
        conn = library._db()
        articles = conn.execute("SELECT key, hash FROM articles WHERE retired = 0").fetchall()
        passages = conn.execute(
            "SELECT a.key, p.text FROM passages p JOIN articles a ON a.id = p.article_id "
            "WHERE p.retired = 0 AND a.retired = 0"
        ).fetchall()
        answers = tuple(tuple((h.title, h.text) for h in library.search(q, 3).hits) for q in asked)
    return State(frozenset(articles), frozenset(passages), answers)


def integrity(db: Path) -> str:
    """``PRAGMA integrity_check`` of the database (``ok`` when intact)."""
    conn = sqlite3.connect(db)
    try:
        return "; ".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


def child_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **extra}
    env.pop("ARTICLEBOT_DB", None)
    return env


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """``articlebot ARGS`` in a process (``tests.faults.child``); returns once it is ready."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.child", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=out,
        )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == b"ready", log.read_text()
    return process


def descendants(pid: int) -> set[int]:
    """The processes started by ``pid`` and by them (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            parent = _parent(int(entry.name))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    """Those of ``pids`` still running (a zombie, dead but not yet reaped, is not)."""
    return {pid for pid in pids if _state(pid) not in (None, "Z", "X")}


def kill_after(process: subprocess.Popen, seconds: float) -> tuple[bool, set[int]]:
    """``kill -9`` ``process`` after ``seconds`` (unless it ended first): whether it was
    killed, and the processes it had started just before."""
    try:
        process.wait(seconds)
        return False, set()
    except subprocess.TimeoutExpired:
        pass
    workers = descendants(process.pid)
    process.send_signal(signal.SIGKILL)
    process.wait()
    if process.stdout is not None:
        process.stdout.close()
    return True, workers


def wait_gone(pids: set[int], timeout: float = 10.0) -> set[int]:
    """Wait until none of ``pids`` runs (at most ``timeout``); those still running."""
    deadline = time.monotonic() + timeout
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive(pids)


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # (the name may hold spaces and parentheses)


def _parent(pid: int) -> int | None:
    fields = _stat(pid)
    return None if fields is None else int(fields[1])


def _state(pid: int) -> str | None:
    fields = _stat(pid)
    return None if fields is None else fields[0]
