"""Only the process that takes the ingest or embedding lock holds it, and worker processes end
with their parent: a killed ingest leaves nothing that refuses the next one."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import time
from pathlib import Path

import pytest
from filelock import FileLock

from knowledge import IngestRunning
from knowledge.embed import EmbeddingRunning, embedding_lock
from knowledge.locking import exclusive, lock_descriptor

from . import harness


def _wait(seconds: float) -> None:
    time.sleep(seconds)


def test_filelock_keeps_the_descriptor_where_locking_reads_it(tmp_path: Path) -> None:
    lock = FileLock(tmp_path / "x.lock", thread_local=False)
    with lock:
        assert isinstance(lock_descriptor(lock), int)


def test_a_child_forked_while_the_locks_are_held_does_not_keep_them(tmp_path: Path) -> None:
    library = tmp_path / "lib.db"
    fork = multiprocessing.get_context("fork")
    with exclusive(library), embedding_lock(library):
        child = fork.Process(target=_wait, args=(30,))
        child.start()
        with pytest.raises(IngestRunning), exclusive(library):  # (held: by this process)
            pass
    try:
        with exclusive(library), embedding_lock(library):  # at once, the child still running
            assert child.is_alive()
    finally:
        child.kill()
        child.join()
    with embedding_lock(library), pytest.raises(EmbeddingRunning), embedding_lock(library):
        pass


POOL = """
import os, sys, time
from concurrent.futures import ProcessPoolExecutor
import multiprocessing
from knowledge.workers import follow_parent

def busy(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:  # holds the interpreter, as a batch of embeddings does
        pass

if __name__ == "__main__":
    context = multiprocessing.get_context(sys.argv[1])
    pool = ProcessPoolExecutor(2, context, initializer=follow_parent, initargs=(os.getpid(),))
    futures = [pool.submit(busy, 120) for _ in range(4)]
    time.sleep(1.0)
    print("ready", flush=True)
    futures[0].result()
"""


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_pool_workers_end_with_their_parent_even_while_busy(tmp_path: Path, method: str) -> None:
    script = tmp_path / "pool.py"
    script.write_text(POOL)
    process = subprocess.Popen(
        [sys.executable, str(script), method],
        env=harness.child_env(),
        stdout=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == b"ready"
    killed, workers = harness.kill_after(process, 0)
    assert killed and len(workers) >= 2  # (the kernel may end them as this looks)
    assert harness.wait_gone(workers, 10) == set()


def test_an_ingest_killed_while_embedding_leaves_no_lock_and_no_worker(tmp_path: Path) -> None:
    folder = harness.write_folder(tmp_path / "articles", 40, 3)
    db = tmp_path / "lib.db"
    log = tmp_path / "child.log"
    process = harness.start(["ingest", "--db", str(db), str(folder)], harness.child_env(), log)
    # wait for the embedding workers (the ingest's own part takes a second or two)
    deadline = time.monotonic() + 120
    while len(harness.descendants(process.pid)) < 2 and time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        time.sleep(0.1)
    time.sleep(0.5)
    killed, workers = harness.kill_after(process, 0)
    assert killed and len(workers) >= 2, log.read_text()
    with exclusive(db), embedding_lock(db):  # at once: no worker holds them
        pass
    assert harness.wait_gone(workers, 10) == set()
