"""Articles -> passages with their analysed terms as term ids, ready to store and index.

Analysis is most of an ingest's work, so a large batch is shared among forked worker processes.
Only from a single-threaded process (the command line): forking a threaded one (the bot, which
ingests from a thread) is unsafe, and "spawn" would run the caller's main module again in each
worker. Anything else analyses in-process.

Work goes in chunks of articles. A chunk numbers its terms itself (local ids, so the workers
need no shared vocabulary); ``Vocabulary.adopt`` then maps a chunk's local ids to the library's
term ids with one dictionary look-up per distinct term, not per token.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import numpy as np

from .analysis import analyse
from .passages import split_passages

logger = logging.getLogger(__name__)

PARALLEL_MIN_CHARS = 5_000_000
"""Below this much text, starting worker processes costs more than it saves."""
CHUNK = 64
"""Articles per unit of work."""


@dataclass(frozen=True)
class Prepared:
    """An article's title terms and its passages as (position, start, end, terms) rows, terms
    as int32 arrays of term ids. A passage's text is the article's text between its offsets."""

    title_terms: np.ndarray
    passages: list[tuple[int, int, int, np.ndarray]]


@dataclass(frozen=True)
class _Chunk:
    """Prepared articles whose term ids index ``terms`` (local to the chunk)."""

    terms: list[str]
    articles: list[Prepared]


class Vocabulary:
    """The library's terms and their ids (0, 1, 2, ... in order of first appearance)."""

    def __init__(self, terms: Sequence[str] = ()) -> None:
        self.ids: defaultdict[str, int] = defaultdict()
        self.ids.default_factory = self.ids.__len__
        self.ids.update((term, i) for i, term in enumerate(terms))
        self.known = len(self.ids)
        """How many terms were there before this ingest (the rest are new)."""

    def __len__(self) -> int:
        return len(self.ids)

    def new_terms(self) -> list[tuple[int, str]]:
        """(id, term) of the terms added since this vocabulary was loaded."""
        return [(i, t) for t, i in self.ids.items() if i >= self.known]

    def adopt(self, chunk: _Chunk) -> list[Prepared]:
        """The chunk's articles with library term ids, new terms added."""
        to_library = np.fromiter(
            map(self.ids.__getitem__, chunk.terms), dtype=np.int32, count=len(chunk.terms)
        )
        return [
            Prepared(
                to_library[article.title_terms],
                [(pos, a, b, to_library[terms]) for pos, a, b, terms in article.passages],
            )
            for article in chunk.articles
        ]


def prepare_all(
    articles: Sequence[tuple[str, str]],
    vocabulary: Vocabulary,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> list[Prepared]:
    """Split and analyse each (title, text), in order; in worker processes when it pays."""
    if workers is None:
        size = sum(len(text) for _, text in articles)
        workers = (os.cpu_count() or 1) if size >= PARALLEL_MIN_CHARS else 1
    chunks = [articles[i : i + CHUNK] for i in range(0, len(articles), CHUNK)]
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    results: list[Prepared] = []
    if workers > 1 and can_fork and threading.active_count() == 1 and len(chunks) > 1:
        try:
            for chunk in _in_workers(chunks, workers):
                results.extend(vocabulary.adopt(chunk))
                _report(progress, len(results), len(articles))
            return results
        except BrokenProcessPool:
            logger.warning("a worker process died: analysing in this process instead")
            results = []
    for chunk in chunks:
        results.extend(vocabulary.adopt(prepare_chunk(chunk)))
        _report(progress, len(results), len(articles))
    return results


def prepare_chunk(articles: Sequence[tuple[str, str]]) -> _Chunk:
    """Split and analyse some articles, numbering their terms locally."""
    local: defaultdict[str, int] = defaultdict()
    local.default_factory = local.__len__
    term_id = local.__getitem__

    def ids(text: str) -> np.ndarray:
        terms = analyse(text)
        return np.fromiter(map(term_id, terms), dtype=np.int32, count=len(terms))

    prepared = [
        Prepared(
            ids(title), [(p.position, p.start, p.end, ids(p.text)) for p in split_passages(text)]
        )
        for title, text in articles
    ]
    return _Chunk(list(local), prepared)


def _in_workers(chunks: list[Sequence[tuple[str, str]]], workers: int) -> Iterator[_Chunk]:
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        yield from pool.map(prepare_chunk, chunks)


def _report(progress: Callable[[int, int], None] | None, done: int, total: int) -> None:
    if progress:
        progress(done, total)
