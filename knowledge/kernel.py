"""The query loop of the BM25 index, compiled with numba: accumulate, select the top k, reset.

numpy needs about eight passes over a query's postings (gather, multiply, add, scatter, select,
unique, reset); this makes one, then one over the distinct documents it reached, which is what
lets a million passages answer in about a millisecond. Floating-point operations are the same as
rank_bm25's, in the same order (``score += idf * weight`` term by term; no fastmath), so the
scores are identical.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def top_k(
    indptr, post_docs, post_weights, idf, terms, k, acc, marks, epoch, touched
):  # pragma: no cover
    """The k best documents (ids, scores) for the query ``terms`` (term ids, repeats allowed).

    ``acc`` (float64, zero on entry and on return), ``marks`` (uint32) and ``touched`` (int32)
    have one slot per document. A document is marked with this query's ``epoch`` (non-zero,
    different from any earlier query's) the first time a term reaches it, so the marks never
    need clearing. Higher score first; equal scores by ascending document.
    """
    count = 0
    for t in terms:
        weight = idf[t]
        for p in range(indptr[t], indptr[t + 1]):
            doc = post_docs[p]
            acc[doc] += weight * post_weights[p]
            if marks[doc] != epoch:
                marks[doc] = epoch
                touched[count] = doc
                count += 1
    heap_scores = np.empty(k, np.float64)
    heap_docs = np.empty(k, np.int64)
    size = 0
    for i in range(count):
        doc = touched[i]
        score = acc[doc]
        acc[doc] = 0.0
        if size < k:
            _push(heap_scores, heap_docs, size, score, doc)
            size += 1
        elif _better(score, doc, heap_scores[0], heap_docs[0]):
            heap_scores[0] = score
            heap_docs[0] = doc
            _sift_down(heap_scores, heap_docs, size)
    # Empty the min-heap from the worst: the best ends up first.
    docs = np.empty(size, np.int64)
    scores = np.empty(size, np.float64)
    for i in range(size - 1, -1, -1):
        docs[i] = heap_docs[0]
        scores[i] = heap_scores[0]
        heap_scores[0] = heap_scores[i]
        heap_docs[0] = heap_docs[i]
        _sift_down(heap_scores, heap_docs, i)
    return docs, scores


@njit(cache=True, inline="always")
def _better(score_a, doc_a, score_b, doc_b):  # pragma: no cover
    return score_a > score_b or (score_a == score_b and doc_a < doc_b)


@njit(cache=True)
def _push(heap_scores, heap_docs, size, score, doc):  # pragma: no cover
    """Add to a min-heap (the worst hit at the root) of ``size`` items."""
    i = size
    heap_scores[i] = score
    heap_docs[i] = doc
    while i > 0:
        parent = (i - 1) // 2
        if _better(heap_scores[parent], heap_docs[parent], heap_scores[i], heap_docs[i]):
            heap_scores[i], heap_scores[parent] = heap_scores[parent], heap_scores[i]
            heap_docs[i], heap_docs[parent] = heap_docs[parent], heap_docs[i]
            i = parent
        else:
            break


@njit(cache=True)
def _sift_down(heap_scores, heap_docs, size):  # pragma: no cover
    """Restore the min-heap of ``size`` items after its root changed."""
    i = 0
    while True:
        worst = i
        for child in (2 * i + 1, 2 * i + 2):
            if child < size and _better(
                heap_scores[worst], heap_docs[worst], heap_scores[child], heap_docs[child]
            ):
                worst = child
        if worst == i:
            return
        heap_scores[i], heap_scores[worst] = heap_scores[worst], heap_scores[i]
        heap_docs[i], heap_docs[worst] = heap_docs[worst], heap_docs[i]
        i = worst


@njit(cache=True, nogil=True)
def postings(terms, lengths, vocabulary):  # pragma: no cover
    """Postings from documents given as term ids end to end (``terms``) and their ``lengths``.

    Returns (indptr, docs, tfs): the documents holding term t, ascending, are
    ``docs[indptr[t]:indptr[t + 1]]``, with the term's frequency in each. One pass counts each
    document's terms (remembering, per term, the last document seen), one places them by term:
    no sort, unlike numpy.
    """
    last_doc = np.full(vocabulary, -1, np.int64)
    slot = np.zeros(vocabulary, np.int64)
    doc_terms = np.empty(len(terms), np.int32)
    doc_tfs = np.empty(len(terms), np.int32)
    doc_of = np.empty(len(terms), np.int32)
    df = np.zeros(vocabulary, np.int64)
    n = 0
    position = 0
    for doc in range(len(lengths)):
        for i in range(position, position + lengths[doc]):
            t = terms[i]
            if last_doc[t] != doc:
                last_doc[t] = doc
                slot[t] = n
                doc_terms[n] = t
                doc_tfs[n] = 1
                doc_of[n] = doc
                df[t] += 1
                n += 1
            else:
                doc_tfs[slot[t]] += 1
        position += lengths[doc]
    indptr = np.zeros(vocabulary + 1, np.int64)
    for t in range(vocabulary):
        indptr[t + 1] = indptr[t] + df[t]
    fill = indptr[:-1].copy()
    docs = np.empty(n, np.int32)
    tfs = np.empty(n, np.int32)
    for j in range(n):  # in document order, so each term's documents come out ascending
        t = doc_terms[j]
        docs[fill[t]] = doc_of[j]
        tfs[fill[t]] = doc_tfs[j]
        fill[t] += 1
    return indptr, docs, tfs
