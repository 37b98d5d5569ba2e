"""Split an article into passages that each read well as one chat message.

Passages follow paragraphs; a long paragraph is cut at sentence ends, a very short one (a
subheading, a one-liner) joins the paragraph after it. Every passage keeps its offsets in the
article text, so it is always a verbatim slice of it.

Boilerplate paragraphs (datelines, link-back lines, repeats of the headline: see
``boilerplate``) are in no passage: they stay in the text, but are neither indexed nor quoted.
"""

from __future__ import annotations

import itertools
import re

from .analysis import analyse
from .boilerplate import is_boilerplate
from .records import Passage
from .text import SENTENCE_END

PASSAGES_VERSION = "boilerplate-1"
"""Changing how articles split into passages changes what is stored: bump this so that
libraries split their articles again (as for a new analyser version)."""
MIN_WORDS = 12
"""A paragraph shorter than this joins its neighbour."""
MAX_WORDS = 200
"""A paragraph longer than this is cut at sentence ends into pieces of about TARGET_WORDS."""
TARGET_WORDS = 140
MAX_CHARS = 1500
"""Hard cap, well under Telegram's 4096, for a sentence that never ends."""

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_WORD = re.compile(r"\S+")
_STOP = re.compile("[.!?؟؛…]")
"""The stops that ``SENTENCE_END`` looks behind for: a text without any is one sentence."""

Span = tuple[int, int]


def paragraph_spans(text: str) -> list[Span]:
    """Offsets of the paragraphs of ``text`` (separated by blank lines), stripped of white space."""
    spans = []
    start = 0
    for brk in _PARAGRAPH_BREAK.finditer(text):
        spans.append((start, brk.start()))
        start = brk.end()
    spans.append((start, len(text)))
    return [s for s in (_strip(text, a, b) for a, b in spans) if s[0] < s[1]]


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Offsets of the sentences of ``text[start:end]``, stripped of white space."""
    end = len(text) if end is None else end
    if _STOP.search(text, max(start - 1, 0), end) is None:  # (the look-behind sees start - 1)
        # One sentence: a plain scan for the stops costs a fraction of SENTENCE_END's, which
        # tries its look-behind at every character (a search runs this on every candidate).
        span = _strip(text, start, end)
        return [span] if span[0] < span[1] else []
    spans = []
    for match in SENTENCE_END.finditer(text, start, end):
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, end))
    return [s for s in (_strip(text, a, b) for a, b in spans) if s[0] < s[1]]


def split_passages(text: str, title: str = "") -> list[Passage]:
    """The passages of an article's ``text`` (whose headline is ``title``), in order."""
    pieces: list[Span] = []
    for run in substance_runs(text, paragraph_spans(text), title):
        for span, words in _join_short(text, run):
            if words <= MAX_WORDS and span[1] - span[0] <= MAX_CHARS:
                pieces.append(span)  # most paragraphs: counted once, kept whole
            else:
                pieces.extend(_split_long(text, span))
    return [Passage(position=i, start=a, end=b, text=text[a:b]) for i, (a, b) in enumerate(pieces)]


def substance_runs(text: str, paragraphs: list[Span], title: str = "") -> list[list[Span]]:
    """The paragraphs that are not boilerplate, in runs that boilerplate separates.

    A short paragraph joins its neighbour only within a run: joined across a dateline, the
    passage would hold (and start with) the dateline, since a passage is one slice of the
    text. An article that is nothing but boilerplate keeps all of it, so that it can still be
    found (by its title, which counts toward its passages).
    """
    title_terms = frozenset(analyse(title)) if title else frozenset()
    runs: list[list[Span]] = [[]]
    for a, b in paragraphs:
        if is_boilerplate(text[a:b], title_terms):
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((a, b))
    runs = [run for run in runs if run]
    return runs or ([paragraphs] if paragraphs else [])


def _strip(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _words(text: str, span: Span) -> int:
    return len(text[span[0] : span[1]].split())


def _join_short(text: str, paragraphs: list[Span]) -> list[tuple[Span, int]]:
    """Join each very short paragraph to the next one (or the previous one, at the end);
    each resulting span comes with its number of words."""
    joined: list[tuple[Span, int]] = []
    pending: tuple[int, int] | None = None  # (start, words) of short paragraphs waiting
    for a, b in paragraphs:
        words = _words(text, (a, b))
        if pending is not None:
            a, words = pending[0], pending[1] + words
        if words < MIN_WORDS:
            pending = (a, words)
            continue
        joined.append(((a, b), words))
        pending = None
    if pending is not None:
        end = paragraphs[-1][1]
        if joined and joined[-1][1] + pending[1] <= MAX_WORDS:
            (start, _), words = joined[-1]
            joined[-1] = ((start, end), words + pending[1])
        else:
            joined.append(((pending[0], end), pending[1]))
    return joined


def _split_long(text: str, span: Span) -> list[Span]:
    sentences = [piece for s in sentence_spans(text, *span) for piece in _cap(text, s)]
    chunks: list[Span] = []
    for sentence in sentences:
        if chunks and _fits(text, (chunks[-1][0], sentence[1])):
            chunks[-1] = (chunks[-1][0], sentence[1])
        else:
            chunks.append(sentence)
    # A short tail reads better with the piece before it, when that still fits the hard limits.
    if len(chunks) > 1 and _words(text, chunks[-1]) < MIN_WORDS * 2:
        merged = (chunks[-2][0], chunks[-1][1])
        if _words(text, merged) <= MAX_WORDS and merged[1] - merged[0] <= MAX_CHARS:
            chunks[-2:] = [merged]
    return chunks


def _fits(text: str, span: Span) -> bool:
    return _words(text, span) <= TARGET_WORDS and span[1] - span[0] <= MAX_CHARS


def _cap(text: str, span: Span) -> list[Span]:
    """Cut a sentence longer than the hard limits at word boundaries.

    Linear in the sentence's length: each piece looks at no more of the text than it can take
    (``MAX_CHARS``, ``MAX_WORDS`` words), never at the rest, which may be megabytes of one line
    that never ends a sentence."""
    pieces = []
    start, end = span
    while end - start > MAX_CHARS or _more_words(text, start, end, MAX_WORDS):
        # (a word running past start + MAX_CHARS is cut there, and dropped: it cannot fit)
        window = min(end, start + MAX_CHARS + 1)
        words = list(itertools.islice(_WORD.finditer(text, start, window), TARGET_WORDS))
        cut = words[-1].end()
        while cut - start > MAX_CHARS and len(words) > 1:
            words.pop()
            cut = words[-1].end()
        if cut - start > MAX_CHARS:  # one enormous "word": cut it anyway
            cut = start + MAX_CHARS
        pieces.append((start, cut))
        start = _strip(text, cut, end)[0]
    if start < end:
        pieces.append((start, end))
    return pieces


def _more_words(text: str, start: int, end: int, limit: int) -> bool:
    """Whether ``text[start:end]`` has more than ``limit`` words (looking at ``limit`` + 1)."""
    return next(itertools.islice(_WORD.finditer(text, start, end), limit, None), None) is not None
