"""Articles -> passages with their analysed terms as term ids, ready to store and index.

Analysis is most of an ingest's work, so a large batch is shared among forked worker processes.
Only from a single-threaded process (the command line): forking a threaded one (the bot, which
ingests from a thread) is unsafe, and "spawn" would run the caller's main module again in each
worker. Anything else analyses in-process.

Work goes in chunks of articles. Each process numbers terms its own way (local ids, so workers
share nothing) and remembers the ids of every white-space-free piece of text it has seen, so a
token costs one dictionary look-up. A chunk reports the terms its process numbered since its last
chunk; ``Vocabulary.adopt`` maps local ids to the library's ids with one look-up per new term.
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

from .analysis import clear_piece_cache, piece_terms
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
    """Analysed articles with the local term ids of process ``numbering``, which numbered
    ``new_terms`` (in id order) since its previous chunk. The term ids of all the chunk's texts
    (each article's title, then its passages) are in one array, ``bounds`` giving where each
    text's ids start and end: one array crosses the process boundary, not one per passage."""

    numbering: tuple[int, int]
    new_terms: list[str]
    terms: np.ndarray
    bounds: np.ndarray
    layout: list[list[tuple[int, int, int]]]
    """(position, start, end) of each article's passages."""


class _Numbering:
    """One process's term ids, and the ids of each piece of text it has analysed.

    A piece (a white-space-free run of text, mostly one word with its punctuation) gets a piece
    number the first time it is seen; its terms are kept in flat arrays (``starts``, ``lengths``,
    ``flat``) indexed by that number. Analysing text is then one split, one dictionary look-up
    per token (in C, through ``map``) and a few array operations per chunk, where looking up and
    joining a tuple of terms per token in Python was most of an ingest's time.
    """

    def __init__(self) -> None:
        self.key = (os.getpid(), id(self))
        self.ids: dict[str, int] = {}
        self.new: list[str] = []
        self.pieces = _PieceNumbers(self)
        self.starts = _Growing()
        self.lengths = _Growing()
        self.flat = _Growing()

    def ids_of(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The local term ids of ``texts``, flat, and where each text's ids start and end
        (``len(texts) + 1`` bounds)."""
        tokens: list[str] = []
        counts = np.empty(len(texts) + 1, dtype=np.int64)
        counts[0] = 0
        for i, text in enumerate(texts, 1):
            words = text.split()
            tokens += words
            counts[i] = len(words)
        pieces = np.fromiter(map(self.pieces.__getitem__, tokens), np.int64, len(tokens))
        lengths = self.lengths.array[pieces]
        ends = np.cumsum(lengths)
        # Position j of the output takes flat[starts[piece] + (j - first output of piece)].
        shift = np.repeat(self.starts.array[pieces] - (ends - lengths), lengths)
        terms = self.flat.array[np.arange(int(ends[-1]) if len(ends) else 0) + shift]
        bounds = np.concatenate([[0], ends])[np.cumsum(counts)]
        return terms.astype(np.int32), bounds

    def take_new_terms(self) -> list[str]:
        new, self.new = self.new, []
        return new


class _PieceNumbers(dict):
    def __init__(self, numbering: _Numbering) -> None:
        super().__init__()
        self.numbering = numbering

    def __missing__(self, piece: str) -> int:
        numbering = self.numbering
        ids, new = numbering.ids, numbering.new
        local = []
        for term in piece_terms(piece):
            if term not in ids:
                ids[term] = len(ids)
                new.append(term)
            local.append(ids[term])
        numbering.starts.append(len(numbering.flat))
        numbering.lengths.append(len(local))
        numbering.flat.extend(local)
        number = self[piece] = len(self)
        return number


class _Growing:
    """An int64 array that grows by doubling (appending to a numpy array copies it)."""

    def __init__(self) -> None:
        self._data = np.zeros(1024, dtype=np.int64)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def append(self, value: int) -> None:
        self.extend((value,))

    def extend(self, values: Sequence[int]) -> None:
        end = self._size + len(values)
        if end > len(self._data):
            grown = np.zeros(max(end, 2 * len(self._data)), dtype=np.int64)
            grown[: self._size] = self._data[: self._size]
            self._data = grown
        self._data[self._size : end] = values
        self._size = end

    @property
    def array(self) -> np.ndarray:
        return self._data[: self._size]


class Vocabulary:
    """The library's terms and their ids (0, 1, 2, ... in order of first appearance)."""

    def __init__(self, terms: Sequence[str] = ()) -> None:
        self.ids: defaultdict[str, int] = defaultdict()
        self.ids.default_factory = self.ids.__len__
        self.ids.update((term, i) for i, term in enumerate(terms))
        self.known = len(self.ids)
        """How many terms were there before this ingest (the rest are new)."""
        self._local: dict[tuple[int, int], np.ndarray] = {}
        """Library id of each local id, by process numbering."""

    def __len__(self) -> int:
        return len(self.ids)

    def new_terms(self) -> list[tuple[int, str]]:
        """(id, term) of the terms added since this vocabulary was loaded."""
        return [(i, t) for t, i in self.ids.items() if i >= self.known]

    def adopt(self, chunk: _Chunk) -> list[Prepared]:
        """The chunk's articles with library term ids, new terms added."""
        new = np.fromiter(
            map(self.ids.__getitem__, chunk.new_terms), dtype=np.int32, count=len(chunk.new_terms)
        )
        known = self._local.get(chunk.numbering, np.zeros(0, np.int32))
        to_library = self._local[chunk.numbering] = np.concatenate([known, new])
        terms = to_library[chunk.terms]
        bounds = chunk.bounds.tolist()
        prepared = []
        text = 0
        for passages in chunk.layout:
            title = terms[bounds[text] : bounds[text + 1]]
            rows = [
                (pos, a, b, terms[bounds[i] : bounds[i + 1]])
                for i, (pos, a, b) in enumerate(passages, text + 1)
            ]
            prepared.append(Prepared(title, rows))
            text += 1 + len(passages)
        return prepared


def prepare_all(
    articles: Sequence[tuple[str, str]],
    vocabulary: Vocabulary,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> list[Prepared]:
    """Split and analyse each (title, text), in order; in worker processes when it pays."""
    return [p for chunk in prepare_chunks(articles, vocabulary, progress, workers) for p in chunk]


def prepare_chunks(
    articles: Sequence[tuple[str, str]],
    vocabulary: Vocabulary,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> Iterator[list[Prepared]]:
    """``prepare_all``, a chunk of articles at a time, each as soon as it is ready: the caller
    can store one while the workers analyse the next."""
    if workers is None:
        size = sum(len(text) for _, text in articles)
        workers = (os.cpu_count() or 1) if size >= PARALLEL_MIN_CHARS else 1
    chunks = [articles[i : i + CHUNK] for i in range(0, len(articles), CHUNK)]
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    done = 0
    if workers > 1 and can_fork and threading.active_count() == 1 and len(chunks) > 1:
        try:
            for chunk in _in_workers(chunks, workers):
                done += 1
                _report(progress, min(done * CHUNK, len(articles)), len(articles))
                yield vocabulary.adopt(chunk)
        except BrokenProcessPool:
            logger.warning("a worker process died: analysing the rest in this process")
    numbering = _Numbering()
    for chunk in chunks[done:]:
        done += 1
        _report(progress, min(done * CHUNK, len(articles)), len(articles))
        yield vocabulary.adopt(prepare_chunk(chunk, numbering))
    if len(numbering.pieces) > 100_000:
        # a big ingest in a long-lived process (the bot's /reload): give the memory back
        clear_piece_cache()


def prepare_chunk(articles: Sequence[tuple[str, str]], numbering: _Numbering) -> _Chunk:
    """Split and analyse some articles, with ``numbering``'s local term ids."""
    texts: list[str] = []
    layout = []
    for title, text in articles:
        passages = split_passages(text)
        texts.append(title)
        texts += [p.text for p in passages]
        layout.append([(p.position, p.start, p.end) for p in passages])
    terms, bounds = numbering.ids_of(texts)
    return _Chunk(numbering.key, numbering.take_new_terms(), terms, bounds, layout)


_worker_numbering: _Numbering | None = None


def _prepare_in_worker(articles: Sequence[tuple[str, str]]) -> _Chunk:
    """``prepare_chunk`` with this worker process's own numbering, kept between its chunks."""
    global _worker_numbering
    if _worker_numbering is None or _worker_numbering.key[0] != os.getpid():
        _worker_numbering = _Numbering()  # (a forked worker must not reuse its parent's)
    return prepare_chunk(articles, _worker_numbering)


def _in_workers(chunks: list[Sequence[tuple[str, str]]], workers: int) -> Iterator[_Chunk]:
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    try:
        yield from pool.map(_prepare_in_worker, chunks)
    finally:
        # if the caller stopped early (an error while storing), drop the work not yet begun
        pool.shutdown(wait=True, cancel_futures=True)


def _report(progress: Callable[[int, int], None] | None, done: int, total: int) -> None:
    if progress:
        progress(done, total)
