"""One story once: ranked hits whose passages are near-duplicates (the same wire text as two or
three papers published it) collapse into the best-ranked one, which names the others.

Two passages are near-duplicates when most of the word shingles of the shorter one are in the
other (containment, not Jaccard: one paper's paragraph may hold another's plus an added
sentence, or two of its paragraphs), and no number of one was changed into another in the
other (a template filled in with other figures is other news). Words are compared normalised (no
diacritics, tatweel or punctuation; alef, yeh and teh marbuta folded; one kind of digits;
case-folded), so that the spelling habits of different papers do not count as edits.

Measured on tests/fixtures/wire_stories.json (see tests/test_duplicates.py): the same story in
other papers shares at least 0.69 of its 3-word shingles, passage by passage; different stories
on the same event at most 0.24.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from .analysis import MARKS
from .records import Duplicate, Hit

__all__ = [
    "MIN_SHINGLES",
    "SHINGLE",
    "THRESHOLD",
    "collapse",
    "containments",
    "near_duplicates",
    "words",
]

SHINGLE = 3
"""Words per shingle."""
THRESHOLD = 0.5
"""Share of the shorter passage's shingles that the other must hold."""
MIN_SHINGLES = 8
"""Passages with fewer shingles are never taken for duplicates: too little text to tell."""

_SEPARATOR = "\x00"
_MARKS = re.compile(f"[{MARKS}]")  # as the analyser strips them
_FOLDS = (("أ", "ا"), ("إ", "ا"), ("آ", "ا"), ("ٱ", "ا"), ("ى", "ي"), ("ة", "ه"), ("ی", "ي"))
_DIGITS = ("٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹")
"""Arabic-Indic and Persian digits, written as ASCII digits (papers differ in which they use)."""
_NUMBER = re.compile("[0-9]+")
_ARABIC_PUNCTUATION = "،؛؟«»—–…“”‘’٪"
# Every search compares all its candidates, so the text is cut with C-speed calls only (a regex
# or str.translate over it is several times slower): ASCII punctuation becomes spaces in the
# UTF-8 bytes, the few Arabic and typographic marks by str.replace.
_ASCII = b"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_ASCII_PUNCTUATION = bytes.maketrans(_ASCII, b" " * len(_ASCII))
# A shingle is its words' hashes mixed as a polynomial in an odd multiplier (int64, wrapping): a
# collision between two different shingles of one search is vanishingly rare, and costs at most
# one shared count.
_MIX = np.int64(0x9E3779B97F4A7C15 - 2**64)


def words(text: str) -> list[str]:
    """``text``'s words as compared: no diacritics, tatweel or punctuation, letters and digits
    folded, case-folded."""
    return _normalised(text).split()


def containments(texts: Sequence[str]) -> np.ndarray:
    """For each pair of ``texts``, the share of the shingles of the one with fewer that the other
    holds (0 when it has fewer than ``MIN_SHINGLES``); 1 on the diagonal of a long enough text."""
    shared, sizes = _shared_shingles(list(texts))
    smaller = np.minimum.outer(sizes, sizes)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(smaller >= MIN_SHINGLES, shared / smaller, 0.0)


def near_duplicates(texts: Sequence[str]) -> np.ndarray:
    """Which pairs of ``texts`` are near-duplicates (never a text with itself): most shingles of
    the one with fewer are in the other (``containments``), and no number of either was changed
    into another number in the other.

    Numbers are the facts most likely to differ between texts that share the rest: the same
    template filled in on another day ("the truce held for a 3rd day"), a death toll updated.
    Collapsing those would hide what differs; keeping both costs only a slot. A number that only
    one of them has (an added figure, "10" where the other wrote "ten") changes nothing.
    """
    texts = list(texts)
    near = containments(texts) >= THRESHOLD
    np.fill_diagonal(near, False)
    pairs = np.argwhere(np.triu(near)).tolist()
    numbers = {i: set(_NUMBER.findall(_normalised(texts[i]))) for pair in pairs for i in pair}
    for a, b in pairs:
        if numbers[a] - numbers[b] and numbers[b] - numbers[a]:
            near[a, b] = near[b, a] = False
    return near


def collapse(hits: Sequence[Hit], k: int) -> list[Hit]:
    """The first ``k`` hits that are not near-duplicates of a better-ranked one, each naming in
    ``also_in`` the other articles whose duplicate passages it stands for.

    A duplicate is dropped; its article is named once, and never the hit's own article (a
    passage repeated within one article is simply dropped). A hit joins the group of the
    best-ranked hit it duplicates, so a chain of light edits still collapses into one.
    """
    if len(hits) < 2:
        return list(hits[:k])
    duplicate = near_duplicates([hit.text for hit in hits])
    # Each hit's better-ranked duplicates, in rank order (one numpy call, not one a hit).
    earlier_of: dict[int, list[int]] = {}
    for j, i in np.argwhere(np.tril(duplicate, -1)).tolist():
        earlier_of.setdefault(j, []).append(i)
    group_of: dict[int, int] = {}
    """Hit -> the kept hit (its index in ``kept``) that stands for it."""
    kept: list[Hit] = []
    extra: list[dict[int, Duplicate]] = []
    for j, hit in enumerate(hits):
        earlier = earlier_of.get(j, ())
        group = next((group_of[i] for i in earlier if i in group_of), None)
        if group is None:
            if len(kept) == k:
                continue  # past the k-th hit, only duplicates of the kept ones matter
            group = len(kept)
            kept.append(hit)
            extra.append({})
        elif hit.article_id != kept[group].article_id:
            extra[group].setdefault(hit.article_id, _duplicate(hit))
        group_of[j] = group
    return [
        replace(hit, also_in=hit.also_in + tuple(more.values())) if more else hit
        for hit, more in zip(kept, extra, strict=True)
    ]


def _shared_shingles(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """How many distinct shingles each pair of ``texts`` shares (n x n, the diagonal: each
    text's own count), and each text's count.

    All texts at once, in a few numpy steps: a search compares its twenty-odd candidates, and
    Python sets of word tuples cost several times more.
    """
    n = len(texts)
    parts = _normalised(_SEPARATOR.join(texts)).split(_SEPARATOR)
    if len(parts) != n:  # a text held the separator
        parts = [_normalised(text) for text in texts]
    split = [part.split() for part in parts]
    lengths = np.array([len(w) for w in split], dtype=np.int64)
    total = int(lengths.sum())
    hashes = np.fromiter(map(hash, itertools.chain.from_iterable(split)), np.int64, total)
    text_of = np.repeat(np.arange(n), lengths)
    if total < SHINGLE:
        return np.zeros((n, n), dtype=np.int64), np.zeros(n, dtype=np.int64)
    # Shingle i spans words i .. i + SHINGLE - 1 of the concatenation; keep those in one text.
    last = total - SHINGLE + 1
    mixed = hashes[:last].copy()
    for i in range(1, SHINGLE):
        mixed = mixed * _MIX + hashes[i : i + last]
    inside = text_of[:last] == text_of[SHINGLE - 1 :]
    mixed, owner = mixed[inside], text_of[:last][inside]
    # Distinct (shingle, text) pairs, sorted by shingle.
    order = np.lexsort((owner, mixed))
    mixed, owner = mixed[order], owner[order]
    first = np.ones(len(mixed), dtype=bool)
    first[1:] = (mixed[1:] != mixed[:-1]) | (owner[1:] != owner[:-1])
    mixed, owner = mixed[first], owner[first]
    sizes = np.bincount(owner, minlength=n)
    shared = np.zeros((n, n), dtype=np.int64)
    # Texts holding one shingle are adjacent now: pair each with those 1, 2, ... places on.
    step = 1
    while step < len(mixed):
        same = np.flatnonzero(mixed[step:] == mixed[:-step])
        if not len(same):
            break
        np.add.at(shared, (owner[same], owner[same + step]), 1)
        step += 1
    shared = shared + shared.T
    shared[np.diag_indices(n)] = sizes
    return shared, sizes


def _normalised(text: str) -> str:
    text = _MARKS.sub("", text).casefold()
    for mark in _ARABIC_PUNCTUATION:
        text = text.replace(mark, " ")
    for letter, folded in _FOLDS:
        text = text.replace(letter, folded)
    for digits in _DIGITS:
        for value, digit in enumerate(digits):
            text = text.replace(digit, str(value))
    return text.encode().translate(_ASCII_PUNCTUATION).decode()


def _duplicate(hit: Hit) -> Duplicate:
    return Duplicate(
        article_id=hit.article_id,
        passage_id=hit.passage_id,
        title=hit.title,
        source=hit.source,
        url=hit.url,
        published=hit.published,
    )
