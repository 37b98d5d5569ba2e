"""Articles -> passages with their analysed terms as term ids, ready to store and index.

Analysis is most of an ingest's work, so a large batch is shared among forked worker processes.
Only from a single-threaded process (the command line): forking a threaded one (the bot, which
ingests from a thread) is unsafe, and "spawn" would run the caller's main module again in each
worker. Anything else analyses in-process.

Work goes in chunks of articles. Each process numbers terms its own way (local ids, so workers
share nothing) and numbers every white-space-free piece of text it meets, analysing a piece only
the first time, so a token costs one look-up in a compiled hash table. A chunk reports the terms
its process numbered since its last chunk; ``Vocabulary.adopt`` maps local ids to the library's
ids with one look-up per new term.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import re
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from types import ModuleType
from typing import TypeVar

import numpy as np

from .analysis import analyse_spans
from .passages import split_passages
from .workers import follow_parent

kernel: ModuleType | None
try:
    from . import kernel
except ImportError:  # numba is missing or broken on this platform: the Python split still works
    kernel = None

logger = logging.getLogger(__name__)

PARALLEL_MIN_CHARS = 5_000_000
"""Below this much text, starting worker processes costs more than it saves."""
CHUNK = 64
"""Articles per unit of work."""


@dataclass(frozen=True)
class Prepared:
    """An article's title terms and its passages as (position, start, end, terms, spans) rows,
    terms as library term ids in int32 bytes (native order), as they are stored, and spans as
    the offsets in the passage's text of the word each term came from (see ``encode_spans``).
    A passage's text is the article's text between its offsets."""

    title_terms: bytes
    passages: list[tuple[int, int, int, bytes, bytes]]


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
    spans: np.ndarray
    """(start, end) in its text of the word each term came from, one row per term."""
    layout: list[list[tuple[int, int, int]]]
    """(position, start, end) of each article's passages."""


class _Numbering:
    """One process's term ids, and the number of each piece of text it has analysed.

    A piece (a white-space-free run of text, mostly one word with its punctuation) gets a number
    the first time it is seen, and is analysed then; its terms are kept in flat arrays
    (``term_starts``, ``term_counts``, ``terms``) indexed by that number. Analysing text is then:
    number its pieces (compiled, on the UTF-8 bytes: no Python string per token), and gather
    their terms with a few array operations per chunk. Per-token Python work (a split, a
    dictionary look-up and joining tuples) used to be most of an ingest's time.
    """

    def __init__(self) -> None:
        self.key = (os.getpid(), id(self))
        self.ids: dict[str, int] = {}
        self.new: list[str] = []
        self.term_starts = _Growing()
        self.term_counts = _Growing()
        self.terms = _Growing()
        self.term_begins = _Growing()
        self.term_ends = _Growing()
        """Where in its piece the word of each term (of ``terms``) begins and ends."""
        self.pieces = _CompiledPieces() if kernel is not None else _PythonPieces()

    def ids_of(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The local term ids of ``texts``, flat, where each text's ids start and end
        (``len(texts) + 1`` bounds), and the (start, end) in its text of each term's word."""
        numbers, counts, offsets, new = self.pieces.number(texts)
        self._add_pieces(new)
        counts = np.concatenate([[0], counts])
        lengths = self.term_counts.array[numbers]
        ends = np.cumsum(lengths)
        # Position j of the output takes terms[term_starts[piece] + (j - first j of the piece)].
        shift = np.repeat(self.term_starts.array[numbers] - (ends - lengths), lengths)
        at = np.arange(int(ends[-1]) if len(ends) else 0) + shift
        terms = self.terms.array[at]
        bounds = np.concatenate([[0], ends])[np.cumsum(counts)]
        # A word's offsets in its text: its piece's offset in the text plus its own in the piece.
        piece_offsets = np.repeat(offsets, lengths)
        spans = np.empty((len(at), 2), dtype=np.int32)
        spans[:, 0] = piece_offsets + self.term_begins.array[at]
        spans[:, 1] = piece_offsets + self.term_ends.array[at]
        return terms.astype(np.int32), bounds, spans

    def _add_pieces(self, pieces: list[str]) -> None:
        # analyse_spans, as a search would analyse the passage: the same terms, and where
        # their words are (a word never spans white space, so a piece's words are the text's).
        # The arrays grow once for all the pieces: per-piece appends cost more than analysing.
        ids, new = self.ids, self.new
        starts: list[int] = []
        counts: list[int] = []
        local: list[int] = []
        begins: list[int] = []
        ends: list[int] = []
        first = len(self.terms)
        for piece in pieces:
            starts.append(first + len(local))
            before = len(local)
            for term, begin, end in analyse_spans(piece):
                term_id = ids.get(term)
                if term_id is None:
                    term_id = ids[term] = len(ids)
                    new.append(term)
                local.append(term_id)
                begins.append(begin)
                ends.append(end)
            counts.append(len(local) - before)
        self.term_starts.extend(starts)
        self.term_counts.extend(counts)
        self.terms.extend(local)
        self.term_begins.extend(begins)
        self.term_ends.extend(ends)

    def take_new_terms(self) -> list[str]:
        new, self.new = self.new, []
        return new


_PIECE = re.compile(r"\S+")
"""A piece, as ``str.split()`` splits (``\\s`` is ``str.isspace``, checked for every code point)."""


class _PythonPieces:
    """Piece numbers with a regular expression and a dictionary (where numba is missing)."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}

    def number(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
        """The number of each piece of ``texts``, the number of pieces of each text, where each
        piece starts in its text, and the pieces numbered for the first time (in number
        order)."""
        tokens: list[str] = []
        starts: list[int] = []
        counts = np.empty(len(texts), dtype=np.int64)
        for i, text in enumerate(texts):
            pieces = [(m.group(), m.start()) for m in _PIECE.finditer(text)]
            tokens += [token for token, _ in pieces]
            starts += [start for _, start in pieces]
            counts[i] = len(pieces)
        known = len(self.numbers)
        numbers = self.numbers
        setdefault = numbers.setdefault
        # setdefault in C: a new piece gets the next number (the dict's size before it).
        found = np.fromiter(
            (setdefault(token, len(numbers)) for token in tokens), np.int64, len(tokens)
        )
        return found, counts, np.array(starts, dtype=np.int64), list(numbers)[known:]


class _CompiledPieces:
    """Piece numbers from the compiled ``kernel.number_pieces``, which reads UTF-8 bytes."""

    def __init__(self) -> None:
        self.table = np.zeros(1 << 16, dtype=np.int32)
        self.hashes = np.zeros(1 << 15, dtype=np.uint64)
        self.starts = np.zeros(1 << 15, dtype=np.int64)
        self.lengths = np.zeros(1 << 15, dtype=np.int64)
        self.pool = np.zeros(1 << 20, dtype=np.uint8)
        self.state = np.zeros(7, dtype=np.int64)  # see kernel.number_pieces

    def number(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
        """As ``_PythonPieces.number``."""
        joined = "\0".join(texts)
        if joined.count("\0") != max(len(texts) - 1, 0):
            # a text holding NUL, which separates texts here: NUL is never part of a word
            joined = "\0".join(text.replace("\0", " ") for text in texts)
        data = np.frombuffer(joined.encode("utf-8", "surrogatepass"), dtype=np.uint8)
        known = int(self.state[0])
        used = int(self.state[1])
        if used + len(data) > len(self.pool):
            self.pool = _resized(self.pool, max(used + len(data), 2 * len(self.pool)))
        self.state[2:] = 0  # position, written, text, count
        pieces = np.empty(len(data) // 2 + 1, dtype=np.int64)
        offsets = np.empty(len(pieces), dtype=np.int64)
        counts = np.zeros(len(texts) or 1, dtype=np.int64)
        assert kernel is not None  # (this class is only made when it is)
        while not kernel.number_pieces(
            data,
            self.table,
            self.hashes,
            self.starts,
            self.lengths,
            self.pool,
            self.state,
            pieces,
            counts,
            offsets,
        ):
            self._grow()
        written = int(self.state[3])
        new = self._pieces(known, int(self.state[0]))
        return pieces[:written], counts[: len(texts)], offsets[:written], new

    def _pieces(self, first: int, end: int) -> list[str]:
        pool = self.pool
        return [
            pool[a : a + n].tobytes().decode("utf-8", "surrogatepass")
            for a, n in zip(
                self.starts[first:end].tolist(), self.lengths[first:end].tolist(), strict=True
            )
        ]

    def _grow(self) -> None:
        """Twice the room for pieces, and a table twice as big (kept at most half full: a
        bigger table would mostly cost cache misses)."""
        capacity = 2 * len(self.hashes)
        self.hashes = _resized(self.hashes, capacity)
        self.starts = _resized(self.starts, capacity)
        self.lengths = _resized(self.lengths, capacity)
        self.table = np.zeros(2 * capacity, dtype=np.int32)
        assert kernel is not None
        kernel.rehash(self.table, self.hashes, int(self.state[0]))


def _resized(array: np.ndarray, size: int) -> np.ndarray:
    grown = np.zeros(size, dtype=array.dtype)
    grown[: len(array)] = array
    return grown


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
            self._data = _resized(self._data, max(end, 2 * len(self._data)))
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
        # One conversion to bytes for the chunk, then slices: per-passage array objects cost
        # more than the work they hold.
        data = to_library[chunk.terms].astype(np.int32).tobytes()
        bounds = (chunk.bounds * 4).tolist()
        spans, width = _span_bytes(chunk.spans)
        span_bounds = (chunk.bounds * width).tolist()
        prepared = []
        text = 0
        for passages in chunk.layout:
            title = data[bounds[text] : bounds[text + 1]]
            rows = [
                (
                    pos,
                    a,
                    b,
                    data[bounds[i] : bounds[i + 1]],
                    spans[span_bounds[i] : span_bounds[i + 1]],
                )
                for i, (pos, a, b) in enumerate(passages, text + 1)
            ]
            prepared.append(Prepared(title, rows))
            text += 1 + len(passages)
        return prepared


def encode_spans(spans: np.ndarray) -> bytes:
    """A passage's word offsets, (start, end) per term, as stored: uint16 pairs (a passage
    is at most ``passages.MAX_CHARS`` long), int32 pairs past that; ``decode_spans`` tells the
    two apart by their length against the number of terms."""
    return _span_bytes(spans)[0]


def decode_spans(data: bytes, terms: int) -> np.ndarray:
    """The (start, end) rows that ``encode_spans`` made for a passage of ``terms`` terms."""
    dtype = np.uint16 if len(data) == 4 * terms else np.int32
    return np.frombuffer(data, dtype=dtype).reshape(-1, 2)


def _span_bytes(spans: np.ndarray) -> tuple[bytes, int]:
    """``spans`` in the narrowest stored form, and its bytes per term."""
    if not len(spans) or int(spans.max()) < 1 << 16:
        return spans.astype(np.uint16).tobytes(), 4
    return spans.astype(np.int32).tobytes(), 8


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
    done = 0
    for chunk in prepare_stream(((None, t, x) for t, x in articles), vocabulary, workers):
        done += len(chunk)
        _report(progress, done, len(articles))
        yield [p for _, p in chunk]


T = TypeVar("T")


def prepare_stream(
    articles: Iterable[tuple[T, str, str]], vocabulary: Vocabulary, workers: int | None = None
) -> Iterator[list[tuple[T, Prepared]]]:
    """(item, title, text) -> (item, its ``Prepared``), in order, a chunk at a time, taking
    ``articles`` as they come: a few chunks are analysed ahead (in worker processes once
    ``PARALLEL_MIN_CHARS`` of text has come, unless ``workers`` is 1), never all of them, so
    that an ingest's memory stays bounded whatever its size. The items stay in this process."""
    chunks = _chunked(articles)
    started: list[tuple[list[T], list[tuple[str, str]]]] = []
    size = 0
    for chunk in chunks:  # as many chunks as it takes to know whether workers pay
        started.append(chunk)
        size += sum(len(text) for _, text in chunk[1])
        if size >= PARALLEL_MIN_CHARS:
            break
    if workers is None:
        workers = (os.cpu_count() or 1) if size >= PARALLEL_MIN_CHARS else 1
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    rest = itertools.chain(started, chunks)
    if workers > 1 and can_fork and threading.active_count() == 1 and len(started) > 1:
        undone: deque[tuple[list[T], list[tuple[str, str]]]] = deque()
        try:
            for items, analysed in _in_workers(rest, workers, undone):
                yield list(zip(items, vocabulary.adopt(analysed), strict=True))
            return
        except BrokenProcessPool:
            logger.warning("a worker process died: analysing the rest in this process")
            rest = itertools.chain(undone, chunks)
    numbering = _Numbering()
    for items, texts in rest:
        yield list(zip(items, vocabulary.adopt(prepare_chunk(texts, numbering)), strict=True))


def _chunked(
    articles: Iterable[tuple[T, str, str]],
) -> Iterator[tuple[list[T], list[tuple[str, str]]]]:
    items: list[T] = []
    texts: list[tuple[str, str]] = []
    for item, title, text in articles:
        items.append(item)
        texts.append((title, text))
        if len(items) == CHUNK:
            yield items, texts
            items, texts = [], []
    if items:
        yield items, texts


def prepare_chunk(articles: Sequence[tuple[str, str]], numbering: _Numbering) -> _Chunk:
    """Split and analyse some articles, with ``numbering``'s local term ids."""
    texts: list[str] = []
    layout = []
    for title, text in articles:
        passages = split_passages(text, title)
        texts.append(title)
        texts += [p.text for p in passages]
        layout.append([(p.position, p.start, p.end) for p in passages])
    terms, bounds, spans = numbering.ids_of(texts)
    return _Chunk(numbering.key, numbering.take_new_terms(), terms, bounds, spans, layout)


_worker_numbering: _Numbering | None = None


def _prepare_in_worker(articles: Sequence[tuple[str, str]]) -> _Chunk:
    """``prepare_chunk`` with this worker process's own numbering, kept between its chunks."""
    global _worker_numbering
    if _worker_numbering is None or _worker_numbering.key[0] != os.getpid():
        _worker_numbering = _Numbering()  # (a forked worker must not reuse its parent's)
    return prepare_chunk(articles, _worker_numbering)


AHEAD = 4
"""Chunks a worker may have waiting (analysed or not) beyond the one being taken in: enough to
keep it busy while the parent reads and stores, few enough to bound the memory they hold."""


def _in_workers(
    chunks: Iterator[tuple[list[T], list[tuple[str, str]]]],
    workers: int,
    undone: deque[tuple[list[T], list[tuple[str, str]]]],
) -> Iterator[tuple[list[T], _Chunk]]:
    """The chunks analysed by ``workers`` processes, in order, at most ``AHEAD`` per worker
    on their way. ``undone`` holds the chunks sent and not yet returned (to analyse them here
    if a worker dies)."""
    # follow_parent: a killed ingest's workers exit, instead of waiting for chunks forever
    fork = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(workers, fork, initializer=follow_parent, initargs=(os.getpid(),))
    futures: deque[Future[_Chunk]] = deque()
    try:
        for chunk in chunks:
            undone.append(chunk)
            futures.append(pool.submit(_prepare_in_worker, chunk[1]))
            if len(futures) > AHEAD * workers:
                yield undone[0][0], futures.popleft().result()
                undone.popleft()  # (once the caller asks for more: until then it may be lost)
        while futures:
            yield undone[0][0], futures.popleft().result()
            undone.popleft()
    finally:
        # if the caller stopped early (an error while storing), drop the work not yet begun
        pool.shutdown(wait=True, cancel_futures=True)


def _report(progress: Callable[[int, int], None] | None, done: int, total: int) -> None:
    if progress:
        progress(done, total)
