"""An inverted BM25 index whose scores are exactly those of ``rank_bm25.BM25Okapi``.

rank_bm25 scores every document for every query; this index touches only the postings of the query
terms, with the same formula evaluated in the same order, so the scores agree to the last bits.
rank_bm25's idf rule is kept too: a term in more than half of the documents has a negative idf,
which is replaced by ``epsilon`` times the average idf of the vocabulary.

The index is saved as one file (``index_file``: a JSON header, then aligned arrays, checksummed)
and loaded by memory-mapping.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

from . import index_file
from .index_file import MAGIC, IndexFileError, MappedFile

kernel: ModuleType | None
try:
    from . import kernel
except ImportError:  # numba is missing or broken on this platform: numpy alone still works
    kernel = None

__all__ = ["MAGIC", "BM25Index", "BM25Params", "IndexFileError", "TopK", "count_postings"]

_ARRAYS = {
    "doc_ids": "<i8",
    "indptr": "<i8",
    "post_docs": "<i4",
    "post_weights": "<f8",
    "idf": "<f8",
}
"""The arrays of a saved index, and their types (the compiled loop is made for these)."""


@dataclass(frozen=True)
class BM25Params:
    """BM25 Okapi parameters, with rank_bm25's defaults."""

    k1: float = 1.5
    b: float = 0.75
    epsilon: float = 0.25

    def as_json(self) -> dict:
        return {"variant": "okapi", "k1": self.k1, "b": self.b, "epsilon": self.epsilon}


@dataclass(frozen=True)
class TopK:
    """The best documents for a query: positions in the index, best first."""

    docs: np.ndarray
    scores: np.ndarray


class BM25Index:
    """Documents (token lists) -> exact BM25 Okapi scores through postings lists."""

    def __init__(
        self,
        vocab: dict[str, int],
        doc_ids: np.ndarray,
        indptr: np.ndarray,
        post_docs: np.ndarray,
        post_weights: np.ndarray,
        idf: np.ndarray,
        params: BM25Params,
        meta: dict | None = None,
    ) -> None:
        self.vocab = vocab
        self.doc_ids = doc_ids
        """The caller's id of each document (e.g. passage ids)."""
        self.indptr = indptr
        self.post_docs = post_docs
        self.post_weights = post_weights
        """tf * (k1 + 1) / (tf + k1 * (1 - b + b * doc_len / avgdl)) of each posting, computed
        once with rank_bm25's operations in its order; a query only multiplies it by the idf."""
        self.idf = idf
        self.params = params
        self.meta = meta or {}
        self._local = threading.local()
        self.mapped: MappedFile | None = None
        """The file this index was loaded from, if it was."""

    def __len__(self) -> int:
        return len(self.doc_ids)

    @classmethod
    def build(
        cls,
        docs: Iterable[Sequence[str]],
        doc_ids: Sequence[int] | np.ndarray | None = None,
        params: BM25Params = BM25Params(),
        meta: dict | None = None,
    ) -> BM25Index:
        """Index ``docs`` (each a list of terms); ``doc_ids`` default to 0..n-1."""
        # A term's id is its rank of first appearance: the defaultdict hands out the next id.
        vocab: defaultdict[str, int] = defaultdict()
        vocab.default_factory = vocab.__len__
        term_of = vocab.__getitem__
        ids: list[int] = []
        lengths: list[int] = []
        for tokens in docs:
            ids.extend(map(term_of, tokens))
            lengths.append(len(tokens))
        terms = np.asarray(ids, dtype=np.int32)
        return cls.from_term_ids(terms, lengths, dict(vocab), doc_ids, params, meta)

    @classmethod
    def from_term_ids(
        cls,
        terms: np.ndarray,
        lengths: Sequence[int] | np.ndarray,
        vocab: dict[str, int],
        doc_ids: Sequence[int] | np.ndarray | None = None,
        params: BM25Params = BM25Params(),
        meta: dict | None = None,
    ) -> BM25Index:
        """Index documents given as term ids end to end (``terms``) and their ``lengths``;
        ``vocab`` maps each term to its id (terms no document holds are allowed)."""
        indptr, post_docs, post_tfs = count_postings(terms, lengths, len(vocab))
        return cls.from_postings(indptr, post_docs, post_tfs, lengths, vocab, doc_ids, params, meta)

    @classmethod
    def from_postings(
        cls,
        indptr: np.ndarray,
        post_docs: np.ndarray,
        post_tfs: np.ndarray,
        lengths: Sequence[int] | np.ndarray,
        vocab: dict[str, int],
        doc_ids: Sequence[int] | np.ndarray | None = None,
        params: BM25Params = BM25Params(),
        meta: dict | None = None,
    ) -> BM25Index:
        """Index the postings ``count_postings`` made of documents of these ``lengths``: a
        caller can let the documents' terms go before the weights take their room."""
        lengths = np.asarray(lengths, dtype=np.int64)
        n_docs = len(lengths)
        norm = _norm(lengths.astype(np.float64), params)
        doc_ids = np.arange(n_docs) if doc_ids is None else np.asarray(doc_ids)
        return cls(
            vocab=vocab,
            doc_ids=doc_ids.astype(np.int64),
            indptr=indptr,
            post_docs=post_docs,
            post_weights=_weights(post_tfs, post_docs, norm, params),
            idf=_okapi_idf(np.diff(indptr), n_docs, params.epsilon),
            params=params,
            meta=meta,
        )

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """The documents containing ``term`` and the term's weight in each (before idf)."""
        tid = self.vocab.get(term)
        if tid is None:
            return _EMPTY_DOCS, _EMPTY_WEIGHTS
        a, b = self.indptr[tid], self.indptr[tid + 1]
        return self.post_docs[a:b], self.post_weights[a:b]

    def holds(self, term: str, doc: int) -> bool:
        """Whether document ``doc`` (a position in the index) contains ``term``."""
        docs, _ = self.postings(term)
        i = int(np.searchsorted(docs, doc))
        return i < len(docs) and int(docs[i]) == doc

    def document_frequency(self, term: str) -> int:
        tid = self.vocab.get(term)
        return 0 if tid is None else int(self.indptr[tid + 1] - self.indptr[tid])

    def scores(self, query: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The documents sharing a term with ``query`` (ascending) and their BM25 scores."""
        with self._accumulated(query) as (acc, touched):
            docs = np.unique(touched)
            return docs, acc[docs]

    def top_k(self, query: Sequence[str], k: int) -> TopK:
        """The ``k`` best documents for ``query``: highest score first, ties by position."""
        if k <= 0:
            return TopK(_EMPTY_DOCS, np.zeros(0))
        if kernel is None:
            return self._top_k_numpy(query, k)
        terms = np.array([self.vocab[t] for t in query if t in self.vocab], dtype=np.int64)
        if not len(terms):
            return TopK(_EMPTY_DOCS, np.zeros(0))
        acc, marks, touched, epoch = self._kernel_buffers()
        docs, scores = kernel.top_k(
            self.indptr,
            self.post_docs,
            self.post_weights,
            self.idf,
            terms,
            k,
            acc,
            marks,
            epoch,
            touched,
        )
        return TopK(docs=docs, scores=scores)

    def _top_k_numpy(self, query: Sequence[str], k: int) -> TopK:
        """``top_k`` with numpy alone, where numba is not available (several times slower)."""
        terms = sum(1 for t in query if t in self.vocab)
        with self._accumulated(query) as (acc, touched):
            if not len(touched):
                return TopK(_EMPTY_DOCS, np.zeros(0))
            values = acc[touched]
            # A document is in ``touched`` once per query term it holds, so the k * terms best
            # entries include the k best documents.
            wanted = k * terms
            if len(touched) > wanted:
                kth = -np.partition(-values, wanted - 1)[wanted - 1]
                # Everything tied with the threshold competes, so ties break by position.
                candidates = np.unique(touched[values >= kth])
            else:
                candidates = np.unique(touched)
            scores = acc[candidates]
            order = np.lexsort((candidates, -scores))[:k]
            return TopK(docs=candidates[order], scores=scores[order])

    def count(self, query: Sequence[str]) -> int:
        """How many documents share at least one term with ``query``."""
        parts = [self.postings(term)[0] for term in set(query)]
        return len(np.unique(np.concatenate(parts))) if parts else 0

    @contextmanager
    def _accumulated(self, query: Sequence[str]) -> Iterator[tuple[np.ndarray, ...]]:
        """Sum the BM25 contribution of each query term into this thread's score buffer.

        Contributions are added term by term in query order (repeated terms again), exactly as
        rank_bm25 sums its score arrays, so the sums agree to the last bit. Yields the buffer,
        and the postings touched (with repeats); the buffer is zeroed again afterwards,
        touching only those postings.
        """
        acc, _ = self._buffers()
        parts = []
        try:
            for term in query:
                docs, weights = self.postings(term)
                if not len(docs):
                    continue
                acc[docs] += self.idf[self.vocab[term]] * weights
                parts.append(docs)
            touched = np.concatenate(parts) if len(parts) > 1 else (parts or [_EMPTY_DOCS])[0]
            yield acc, touched
        finally:
            for docs in parts:
                acc[docs] = 0.0

    def _buffers(self) -> tuple[np.ndarray, np.ndarray]:
        """This thread's score and mark buffers, one slot per document, allocated once."""
        local = self._local
        if getattr(local, "acc", None) is None:
            local.acc = np.zeros(len(self.doc_ids))
            local.marks = np.zeros(len(self.doc_ids), dtype=np.uint32)
            local.touched = np.zeros(len(self.doc_ids), dtype=np.int32)
            local.epoch = 0
        return local.acc, local.marks

    def _kernel_buffers(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """The buffers, and a fresh epoch for the kernel's marks (cleared when they wrap)."""
        acc, marks = self._buffers()
        local = self._local
        local.epoch += 1
        if local.epoch > np.iinfo(np.uint32).max:
            marks[:] = 0
            local.epoch = 1
        return acc, marks, local.touched, local.epoch

    def save(self, path: str | Path) -> None:
        """Write the index to ``path`` atomically (readers of the old file keep it)."""
        arrays = {
            "doc_ids": self.doc_ids,
            "indptr": self.indptr,
            "post_docs": self.post_docs,
            "post_weights": self.post_weights,
            "idf": self.idf,
        }
        header = {
            "format": index_file.FORMAT_VERSION,
            "params": self.params.as_json(),
            "meta": self.meta,
            "vocab": sorted(self.vocab, key=self.vocab.__getitem__),
        }
        index_file.write(Path(path), header, arrays)

    @classmethod
    def load(cls, path: str | Path) -> BM25Index:
        """Memory-map a saved index, checked whole (see ``index_file``). Raises
        ``FileNotFoundError``, or ``IndexFileError`` if it is damaged."""
        header, arrays, mapped = index_file.read(path)
        try:
            vocab = {term: i for i, term in enumerate(header["vocab"])}
            params = BM25Params(**{k: header["params"][k] for k in ("k1", "b", "epsilon")})
            index = cls(vocab=vocab, params=params, meta=header["meta"], **arrays)
        except (ValueError, KeyError, TypeError) as error:
            raise IndexFileError(f"unreadable index file: {error}") from error
        types = {name: values.dtype.str for name, values in arrays.items()}
        if types != _ARRAYS or not index._consistent():
            raise IndexFileError("index file is inconsistent")
        index.mapped = mapped
        return index

    def intact(self) -> bool:
        """Whether the index can still be read: always, unless it was loaded from a file that
        someone has since cut short (reading it then would kill the process)."""
        return self.mapped is None or self.mapped.intact()

    def _consistent(self) -> bool:
        """Whether the arrays fit together: a damaged file must never reach the compiled loop,
        which trusts every document number it reads (one pass over the postings)."""
        arrays = (self.doc_ids, self.indptr, self.post_docs, self.post_weights, self.idf)
        if any(values.ndim != 1 for values in arrays):
            return False
        docs, n = self.post_docs, len(self.doc_ids)
        return (
            len(self.indptr) == len(self.vocab) + 1
            and len(self.idf) == len(self.vocab)
            and len(self.post_weights) == len(docs)
            and int(self.indptr[0]) == 0
            and int(self.indptr[-1]) == len(docs)
            and bool(np.all(np.diff(self.indptr) >= 0))
            and (not len(docs) or (int(docs.min()) >= 0 and int(docs.max()) < n))
        )


_EMPTY_DOCS = np.zeros(0, dtype=np.int32)
_EMPTY_WEIGHTS = np.zeros(0)


def count_postings(
    terms: np.ndarray, lengths: Sequence[int] | np.ndarray, vocabulary: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(indptr, docs, tfs) of documents given as term ids end to end (``terms``) and their
    ``lengths``: the documents holding term t, ascending, are ``docs[indptr[t]:indptr[t + 1]]``,
    with the term's frequency in each."""
    lengths = np.asarray(lengths, dtype=np.int64)
    if kernel is None:
        return _postings_numpy(terms, lengths, vocabulary)
    terms = np.asarray(terms, dtype=np.int32)
    indptr = kernel.postings_indptr(terms, lengths, vocabulary)
    docs = np.empty(int(indptr[-1]), dtype=np.int32)
    # A frequency is at most its document's length: 16 bits hold it in all but freak
    # documents, and save a fifth of the postings' memory while their weights are computed.
    wide = len(lengths) and int(lengths.max()) > np.iinfo(np.uint16).max
    tfs = np.empty(len(docs), dtype=np.int32 if wide else np.uint16)
    kernel.place_postings(terms, lengths, indptr, docs, tfs)
    return indptr, docs, tfs


def _postings_numpy(
    terms: np.ndarray, lengths: np.ndarray, vocabulary: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``kernel.postings`` with numpy alone: count by sorting, group by a stable sort."""
    post_terms, post_docs, post_tfs = _count_terms(terms, lengths)
    order = _stable_order(post_terms, vocabulary)
    indptr = np.zeros(vocabulary + 1, dtype=np.int64)
    np.cumsum(np.bincount(post_terms, minlength=vocabulary), out=indptr[1:])
    return indptr, post_docs[order], post_tfs[order]


_COUNT_CHUNK = 4_000_000
"""Tokens whose frequencies are counted at a time (a sort each), to bound memory."""


def _count_terms(terms: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, ...]:
    """(term, document, frequency) of each distinct term of each document, by document."""
    ends = np.cumsum(lengths)
    doc_of_token = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    parts = []
    first = 0
    while first < len(lengths):
        # whole documents, about _COUNT_CHUNK tokens
        start = ends[first] - lengths[first]
        last = max(first + 1, int(np.searchsorted(ends, start + _COUNT_CHUNK, side="right")))
        stop = ends[last - 1]
        keys = (doc_of_token[start:stop] << 32) | terms[start:stop].astype(np.int64)
        keys, tfs = np.unique(keys, return_counts=True)
        parts.append(((keys & 0xFFFFFFFF).astype(np.int32), (keys >> 32).astype(np.int32), tfs))
        first = last
    if not parts:
        return np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.int64)
    return tuple(np.concatenate(column) for column in zip(*parts, strict=True))


def _stable_order(terms: np.ndarray, vocabulary: int) -> np.ndarray:
    """The permutation that groups postings by term, keeping document order within a term.

    Two stable passes on 16-bit halves: numpy sorts 16-bit keys by radix, which is about twice
    as fast as its stable sort of 32-bit keys on a hundred million postings.
    """
    if vocabulary <= 1 << 16:
        return np.argsort(terms.astype(np.uint16), kind="stable")
    low = np.argsort((terms & 0xFFFF).astype(np.uint16), kind="stable")
    return low[np.argsort((terms[low] >> 16).astype(np.uint16), kind="stable")]


def _okapi_idf(df: np.ndarray, n_docs: int, epsilon: float) -> np.ndarray:
    """rank_bm25's BM25Okapi idf, negative values replaced by epsilon * the mean idf of the
    terms the documents hold (a vocabulary may keep terms that no document holds any more)."""
    idf = np.log(n_docs - df + 0.5) - np.log(df + 0.5)
    held = df > 0
    if held.any():
        # rank_bm25 adds the idfs one by one in Python, in first-appearance order; so does this
        # (ids are in that order), and the property tests allow a last-bit difference anyway.
        average = float(sum(idf[held].tolist())) / int(held.sum())
        idf[(idf < 0) & held] = epsilon * average
    idf[~held] = 0.0
    return idf


_WEIGHT_BLOCK = 1 << 20
"""Postings weighed at a time: the temporaries stay a few megabytes, not the postings' size."""


def _weights(tfs: np.ndarray, docs: np.ndarray, norm: np.ndarray, params: BM25Params) -> np.ndarray:
    """tf * (k1 + 1) / (tf + norm[doc]) of each posting, as float64: rank_bm25's operations in
    its order, each element on its own, so computing them block by block changes no bit."""
    weights = np.empty(len(tfs), dtype=np.float64)
    scale = params.k1 + 1
    for start in range(0, len(tfs), _WEIGHT_BLOCK):
        stop = start + _WEIGHT_BLOCK
        tf = weights[start:stop]
        tf[:] = tfs[start:stop]
        denominator = tf + norm[docs[start:stop]]
        np.multiply(tf, scale, out=tf)
        np.divide(tf, denominator, out=tf)
    return weights


def _norm(doc_len: np.ndarray, params: BM25Params) -> np.ndarray:
    if not len(doc_len):
        return np.zeros(0)
    avgdl = float(sum(doc_len.tolist())) / len(doc_len)
    if avgdl == 0:
        return np.full(len(doc_len), params.k1 * (1 - params.b))
    return params.k1 * (1 - params.b + params.b * doc_len / avgdl)
