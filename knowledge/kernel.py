"""The hot loops, compiled with numba: the BM25 index's query loop (accumulate, select the top
k, reset) and its build, and the split of text into pieces for analysis.

numpy needs about eight passes over a query's postings (gather, multiply, add, scatter, select,
unique, reset); this makes one, then one over the distinct documents it reached, which is what
lets a million passages answer in about a millisecond. Floating-point operations are the same as
rank_bm25's, in the same order (``score += idf * weight`` term by term; no fastmath), so the
scores are identical.
"""

from __future__ import annotations

import os

import numpy as np
import platformdirs

# numba caches compiled code beside the source by default, that is inside the installed
# package, where a folder it leaves behind outlives a reinstall and can shadow the package
# (an editable install over a regular one). The user's cache folder instead; numba reads the
# setting when it is first imported, which is here.
os.environ.setdefault("NUMBA_CACHE_DIR", platformdirs.user_cache_dir("articlebot") + "/numba")

from numba import njit  # after its cache folder is set


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
def postings_indptr(terms, lengths, vocabulary):  # pragma: no cover
    """Where each term's postings start, from documents given as term ids end to end
    (``terms``) and their ``lengths``: ``indptr[t]:indptr[t + 1]``, one per document holding
    t. The first of two passes (``place_postings`` is the second): no sort, and nothing the
    size of ``terms`` besides the postings (a million passages hold over a hundred million
    terms: each such array is half a gigabyte)."""
    last_doc = np.full(vocabulary, -1, np.int64)
    df = np.zeros(vocabulary, np.int64)
    position = 0
    for doc in range(len(lengths)):
        for i in range(position, position + lengths[doc]):
            t = terms[i]
            if last_doc[t] != doc:
                last_doc[t] = doc
                df[t] += 1
        position += lengths[doc]
    indptr = np.zeros(vocabulary + 1, np.int64)
    for t in range(vocabulary):
        indptr[t + 1] = indptr[t] + df[t]
    return indptr


@njit(cache=True, nogil=True)
def place_postings(terms, lengths, indptr, docs, tfs):  # pragma: no cover
    """Fill ``docs`` and ``tfs`` (one slot per posting, of the caller's types) with the
    documents holding each term, ascending, and the term's frequency in each."""
    vocabulary = len(indptr) - 1
    last_doc = np.full(vocabulary, -1, np.int64)
    fill = indptr[:-1].copy()
    slot = np.zeros(vocabulary, np.int64)  # the slot of each term's posting in this document
    position = 0
    for doc in range(len(lengths)):  # in document order: each term's documents come ascending
        for i in range(position, position + lengths[doc]):
            t = terms[i]
            if last_doc[t] != doc:
                last_doc[t] = doc
                p = fill[t]
                fill[t] = p + 1
                slot[t] = p
                docs[p] = doc
                tfs[p] = 1
            else:
                tfs[slot[t]] += 1
        position += lengths[doc]


_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


@njit(cache=True, nogil=True)
def number_pieces(
    data, table, hashes, starts, lengths, pool, state, pieces, counts, offsets
):  # pragma: no cover
    """Split UTF-8 ``data`` at white space, exactly as ``str.split()`` does, into pieces, and
    number each piece: the same bytes always get the same number, a new piece the next one.

    Texts in ``data`` are separated by a 0 byte; ``counts[i]`` gets the number of pieces of text
    i, ``pieces`` each piece's number, in order. Numbered pieces live in an open-addressing hash
    ``table`` (slot -> number + 1, 0 when free; its size a power of two) with, per number, the
    piece's FNV-1a ``hashes``, and its bytes at ``pool[starts[n]:starts[n] + lengths[n]]``
    (``pool`` has room for all of ``data``). ``offsets`` gets where each piece starts in its
    text, in characters (code points: the bytes that do not continue a UTF-8 sequence), as a
    ``str`` counts them. ``state`` is [pieces numbered, pool bytes used, position in data,
    pieces written, current text, its pieces so far, characters of the text so far]. Returns
    False, to be
    called again once the caller has doubled the table, when the table would be more than half
    full or ``hashes`` full; True when ``data`` is done.
    """
    numbered, used, i, written, text, count, chars = (
        state[0],
        state[1],
        state[2],
        state[3],
        state[4],
        state[5],
        state[6],
    )
    limit = min(len(table) // 2, len(hashes))
    mask = np.uint64(len(table) - 1)
    n = len(data)
    finished = True
    while i < n:
        if data[i] == 0:
            counts[text] = count
            text += 1
            count = 0
            chars = 0
            i += 1
            continue
        width = _space_width(data, i, n)
        if width:
            i += width
            chars += 1  # (one white-space character, whatever its width in bytes)
            continue
        start = i
        start_chars = chars
        h = _FNV_OFFSET
        while i < n and data[i] != 0 and _space_width(data, i, n) == 0:
            h = (h ^ np.uint64(data[i])) * _FNV_PRIME
            if data[i] & 0xC0 != 0x80:
                chars += 1
            i += 1
        length = i - start
        slot = h & mask
        while True:
            number = np.int64(table[slot]) - 1
            if number < 0:
                if numbered == limit:
                    finished = False
                    break
                number = numbered
                numbered += 1
                table[slot] = number + 1
                hashes[number] = h
                starts[number] = used
                lengths[number] = length
                pool[used : used + length] = data[start:i]
                used += length
                break
            if hashes[number] == h and lengths[number] == length:
                first = starts[number]
                same = True
                for j in range(length):
                    if pool[first + j] != data[start + j]:
                        same = False
                        break
                if same:
                    break
            slot = (slot + np.uint64(1)) & mask
        if not finished:
            i = start  # this piece again, once the table is bigger
            chars = start_chars
            break
        pieces[written] = number
        offsets[written] = start_chars
        written += 1
        count += 1
    if finished:
        counts[text] = count
    state[0], state[1], state[2], state[3], state[4], state[5], state[6] = (
        numbered,
        used,
        i,
        written,
        text,
        count,
        chars,
    )
    return finished


@njit(cache=True, nogil=True)
def rehash(table, hashes, numbered):  # pragma: no cover
    """Fill an empty, larger ``table`` with the pieces numbered so far."""
    mask = np.uint64(len(table) - 1)
    for number in range(numbered):
        slot = hashes[number] & mask
        while table[slot] != 0:
            slot = (slot + np.uint64(1)) & mask
        table[slot] = number + 1


@njit(cache=True, nogil=True, inline="always")
def _space_width(data, i, n):  # pragma: no cover
    """The length in bytes of the white space character at ``data[i]``, or 0: the characters
    ``str.isspace`` accepts (ASCII, U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029,
    U+202F, U+205F, U+3000). Bytes are compared as int64: mixed-type comparisons are slow."""
    b = np.int64(data[i])
    if b < 0x80:
        if (b >= 9 and b <= 13) or (b >= 28 and b <= 32):
            return 1
        return 0
    if (b != 0xC2 and (b < 0xE1 or b > 0xE3)) or i + 1 >= n:
        return 0  # Arabic letters (0xD8-0xDB, then a continuation byte) leave here
    b1 = np.int64(data[i + 1])
    if b == 0xC2:
        if b1 == 0x85 or b1 == 0xA0:
            return 2
        return 0
    if i + 2 >= n:
        return 0
    b2 = np.int64(data[i + 2])
    if b == 0xE1 and b1 == 0x9A and b2 == 0x80:
        return 3
    if b == 0xE2 and b1 == 0x80 and (b2 <= 0x8A or b2 == 0xA8 or b2 == 0xA9 or b2 == 0xAF):
        return 3
    if b == 0xE2 and b1 == 0x81 and b2 == 0x9F:
        return 3
    if b == 0xE3 and b1 == 0x80 and b2 == 0x80:
        return 3
    return 0
