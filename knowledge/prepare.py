"""Articles -> passages with their analysed terms, ready to store; on every core for big ingests.

Analysis is most of an ingest's work, so a large batch is shared among worker processes (started
with "spawn": the bot ingests from a thread, and forking a threaded process is unsafe).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .analysis import analyse
from .passages import split_passages

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
    total = len(articles)
    if workers is None:
        size = sum(len(text) for _, text in articles)
        workers = (os.cpu_count() or 1) if size >= PARALLEL_MIN_CHARS else 1
    if workers <= 1 or total < 2 * CHUNK:
        results = []
        for done, (title, text) in enumerate(articles, 1):
            results.append(prepare(title, text))
            if progress:
                progress(done, total)
        return results
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        results = []
        for item in pool.imap(_prepare_pair, articles, chunksize=CHUNK):
            results.append(item)
            if progress and (len(results) % CHUNK == 0 or len(results) == total):
                progress(len(results), total)
        return results


def _prepare_pair(pair: tuple[str, str]) -> Prepared:
    return prepare(*pair)
