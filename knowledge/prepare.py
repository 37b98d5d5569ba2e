"""Articles -> passages with their analysed terms, ready to store; on every core for big ingests.

Analysis is most of an ingest's work, so a large batch is shared among forked worker processes.
Only from a single-threaded process (the command line): forking a threaded one (the bot, which
ingests from a thread) is unsafe, and "spawn" would run the caller's main module again in each
worker. Anything else analyses in-process.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from .analysis import analyse
from .passages import split_passages

logger = logging.getLogger(__name__)

PARALLEL_MIN_CHARS = 5_000_000
"""Below this much text, starting worker processes costs more than it saves."""
CHUNK = 64


@dataclass(frozen=True)
class Prepared:
    """An article's title terms and passages as (position, start, end, terms) rows; a passage's
    text is the article's text between its offsets."""

    title_terms: str
    passages: list[tuple[int, int, int, str]]


def prepare(title: str, text: str) -> Prepared:
    """Split one article into passages and analyse them (terms joined by spaces)."""
    rows = [(p.position, p.start, p.end, " ".join(analyse(p.text))) for p in split_passages(text)]
    return Prepared(" ".join(analyse(title)), rows)


def prepare_all(
    articles: Sequence[tuple[str, str]],
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> list[Prepared]:
    """``prepare`` each (title, text), in order; in worker processes when it pays."""
    if workers is None:
        size = sum(len(text) for _, text in articles)
        workers = (os.cpu_count() or 1) if size >= PARALLEL_MIN_CHARS else 1
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    if workers > 1 and can_fork and threading.active_count() == 1 and len(articles) > CHUNK:
        try:
            return _in_workers(articles, progress, workers)
        except BrokenProcessPool:
            logger.warning("a worker process died: analysing in this process instead")
    results = []
    for done, (title, text) in enumerate(articles, 1):
        results.append(prepare(title, text))
        if progress:
            progress(done, len(articles))
    return results


def _in_workers(
    articles: Sequence[tuple[str, str]],
    progress: Callable[[int, int], None] | None,
    workers: int,
) -> list[Prepared]:
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        results = []
        for item in pool.map(_prepare_pair, articles, chunksize=CHUNK):
            results.append(item)
            if progress and (len(results) % CHUNK == 0 or len(results) == len(articles)):
                progress(len(results), len(articles))
        return results


def _prepare_pair(pair: tuple[str, str]) -> Prepared:
    return prepare(*pair)
