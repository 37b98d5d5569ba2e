"""Embedding the library's passages: those without a vector of the current model, a batch at a
time, each batch committed in its own short transaction, on a pool of worker processes (one
model and one thread each).

Embedding is ~100 times slower than BM25 indexing, so it never runs under the ingest's write
lock: an ingest stores and indexes (answers at once), and embedding follows. An interrupted run
loses only the batches in flight; the next run embeds what is still missing. One embedding run
per library at a time, across processes (a lock file beside the library): another is refused
at once (``EmbeddingRunning``) instead of embedding the same passages twice. Only this process
holds that lock (its workers are spawned, with none of its open files), and a worker exits when
this process dies (``workers.follow_parent``): a killed run leaves nothing behind.
"""

from __future__ import annotations

import copy
import logging
import math
import multiprocessing
import os
import signal
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import sqlite_utils

from .embedding import Embedder
from .errors import KnowledgeError
from .locking import holding
from .store import vectors
from .store.connection import write_transaction
from .workers import follow_parent

logger = logging.getLogger(__name__)

__all__ = ["BATCH", "EmbeddingRunning", "available_cpus", "embed_missing", "passage_text"]

BATCH = 16
"""Passages per batch: a few seconds of one core. It bounds what an interruption loses and how
long a stop waits."""

Progress = Callable[[int, int], None]
"""Called with (passages done, passages to do) after each stored batch."""


class EmbeddingRunning(KnowledgeError):
    """Another process (or thread) is embedding this library's passages."""


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def passage_text(title: str, text: str) -> str:
    """What is embedded for a passage: its article's title, then its text. A passage often
    names its subject only in the headline (BM25 counts the title with each passage too)."""
    return f"{title}\n{text}" if title else text


@contextmanager
def embedding_lock(path: Path) -> Iterator[None]:
    """Hold the library's embedding lock, or raise ``EmbeddingRunning`` at once."""
    refused = EmbeddingRunning(
        "another process is embedding this library's passages; it embeds these too"
    )
    with holding(path.with_name(path.name + ".embed.lock"), refused):
        yield


def embed_missing(
    db: sqlite_utils.Database,
    embedder: Embedder,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
    limit: int | None = None,
    stop: Callable[[], bool] | None = None,
    batch: int | None = None,
) -> int:
    """Embed the current passages that have no vector of ``embedder``'s model (at most
    ``limit``), and return how many were stored. Vectors of another model are deleted first: a
    model change re-embeds, never mixes. ``stop`` is asked after each batch of ``batch``
    passages (``BATCH`` by default)."""
    batch = batch or BATCH
    with write_transaction(db):
        model = vectors.model_id(db, embedder.name, create=True)
    assert model is not None
    if deleted := vectors.delete_other_models(db, model):
        logger.info("deleted %d vectors of another model: embedding again", deleted)
    total = vectors.count_missing(db, model)
    if limit is not None:
        total = min(total, limit)
    if total <= 0:
        return 0
    workers = max(1, min(workers or available_cpus(), math.ceil(total / batch)))
    logger.info("embedding %d passages with %d workers", total, workers)
    started = time.perf_counter()
    done = stored = 0
    with _embedding(embedder, workers) as embed:
        for ids, matrix in embed(_batches(db, model, limit, batch), 2 * workers):
            stored += _store(db, model, ids, matrix)
            done += len(ids)
            if progress is not None:
                progress(done, max(total, done))
            if stop is not None and stop():
                break
    seconds = time.perf_counter() - started
    logger.info("embedded %d passages in %.1f s (%.1f/s)", done, seconds, done / seconds)
    return stored


Batches = Iterator[tuple[list[int], list[str]]]
Embed = Callable[[Batches, int], Iterator[tuple[list[int], np.ndarray]]]


def _batches(db: sqlite_utils.Database, model: int, limit: int | None, size: int) -> Batches:
    """(passage ids, texts) batch after batch, read as they are needed, in id order, until none
    is missing (or ``limit`` were read): new passages get higher ids, so those an ingest adds
    meanwhile are embedded too."""
    after, left = 0, limit
    while left is None or left > 0:
        rows = vectors.missing(db, model, after, size if left is None else min(size, left))
        if not rows:
            return
        after = rows[-1][0]
        left = None if left is None else left - len(rows)
        yield [i for i, _, _ in rows], [passage_text(title, text) for _, title, text in rows]


def _store(db: sqlite_utils.Database, model: int, ids: list[int], matrix: np.ndarray) -> int:
    """Store a batch; while another writer holds the database (a big ingest's transaction
    can last minutes) keep the computed vectors and try again."""
    while True:
        try:
            return vectors.store(db, model, ids, matrix)
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
            logger.info("the library is busy: storing the vectors again shortly")
            time.sleep(1.0)


@contextmanager
def _embedding(embedder: Embedder, workers: int) -> Iterator[Embed]:
    """A function that embeds batches, in order, keeping up to ``ahead`` in flight: in this
    process (one worker), else on a pool of processes."""
    if workers == 1:
        # A copy with a model of its own: questions on ``embedder`` never wait for a batch.
        own = copy.copy(embedder)

        def here(batches: Batches, ahead: int) -> Iterator[tuple[list[int], np.ndarray]]:
            for ids, texts in batches:
                yield ids, own.embed_passages(texts)

        yield here
        return
    # spawn: a fork of a process with threads (the bot's, a running ingest's) may deadlock.
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        workers, context, initializer=_start_worker, initargs=(embedder, os.getpid())
    )
    try:

        def pooled(batches: Batches, ahead: int) -> Iterator[tuple[list[int], np.ndarray]]:
            pending: deque[tuple[list[int], Future[np.ndarray]]] = deque()
            for ids, texts in batches:
                pending.append((ids, pool.submit(_embed_in_worker, texts)))
                if len(pending) >= ahead:
                    first, future = pending.popleft()
                    yield first, future.result()
            while pending:
                first, future = pending.popleft()
                yield first, future.result()

        yield pooled
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


_worker_embedder: Embedder | None = None


def _start_worker(embedder: Embedder, parent: int) -> None:
    """In a worker process: keep the (unpickled, so model-less) embedder; Ctrl-C is the
    parent's to handle (it stops the run, and the workers with it); a parent killed outright
    ends them too."""
    global _worker_embedder
    follow_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_embedder = embedder


def _embed_in_worker(texts: list[str]) -> np.ndarray:
    assert _worker_embedder is not None
    return _worker_embedder.embed_passages(texts)
