"""Plain-text rules shared by the library and the bot: the one list of bidi controls and of
invisible characters, the one sentence-end pattern, shortening at a word, cleaning typed text.

Nothing here knows about HTML, Telegram or the index: these are the text rules that more than
one module needs, defined once so that they cannot drift apart.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "BIDI_CONTROLS",
    "INVISIBLE",
    "SENTENCE_END",
    "clean_text",
    "sentences",
    "shorten",
    "strip_bidi",
    "strip_invisible",
]

BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
"""Unicode direction controls (ALM, LRM, RLM, embeddings, overrides, isolates): invisible, but
they change how a word compares and could unbalance the marks the bot adds."""
_BIDI_TABLE = str.maketrans("", "", BIDI_CONTROLS)

INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ud800-\udfff\ufeff\ufffe\uffff]")
"""Other invisible or control characters: Telegram rejects them or they break parsing. Lone
surrogates too (a pair is one character in a ``str``): they cannot be encoded, in UTF-8 for the
database nor in UTF-16 for Telegram's lengths."""

SENTENCE_END = re.compile(r"""(?<=[.!?؟؛…])["'»”’)\]]*(?=\s)""")
"""Where a sentence ends: after . ! ? ؟ ؛ … and any closing quotes or brackets, before white
space, so the point inside "2.2" or "www.example.com" never ends one."""
# The same stops without the closing quotes: the message splitter's older rule.
_BARE_SENTENCE_END = re.compile(r"(?<=[.!?؟؛…])(?=\s)")
_SPACE_RUN = re.compile(r"\s+")

_TRAILING = " ,.،؛:"
"""What a cut text may not end on before its ellipsis."""


def strip_bidi(text: str) -> str:
    """``text`` without Unicode bidi control characters."""
    return text.translate(_BIDI_TABLE)


def strip_invisible(text: str) -> str:
    """``text`` without bidi controls nor the other ``INVISIBLE`` characters (line breaks kept)."""
    return strip_bidi(INVISIBLE.sub("", text))


def clean_text(text: str, limit: int | None = None, *, typed: bool = False) -> str:
    """``text`` on one line: no bidi controls, each run of white space one space, trimmed, at
    most ``limit`` characters.

    ``typed``: what a person typed, so also without the other invisible characters and in NFC
    (the bot's questions). Without it (the library's queries and phrases) those characters stay,
    as they split words for the analyser.
    """
    if typed:
        text = unicodedata.normalize("NFC", strip_invisible(text))
    text = " ".join(strip_bidi(text).split())
    return text if limit is None else text[:limit]


def shorten(text: str, limit: int, *, collapse: bool = True, trailing: str = _TRAILING) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, the "…" included.

    The cut falls at the last space that leaves room for the ellipsis, if that keeps at least
    half of ``limit``; else inside the word. ``trailing`` characters left at the cut are dropped.
    ``collapse`` first makes each run of white space one space.
    """
    if collapse:
        text = " ".join(text.split())
    if len(text) <= limit:
        return text
    space = text.rfind(" ", limit // 2, limit)
    return text[: space if space > 0 else limit - 1].rstrip(trailing) + "…"


def sentences(text: str, *, closing_quotes: bool = True) -> list[str]:
    """``text`` cut where its sentences end (``SENTENCE_END``), without the white space between
    them; empty pieces are kept, as ``re.split`` keeps them.

    Without ``closing_quotes`` a sentence ends only where white space directly follows its stop
    (the message splitter's rule: a quote closing after a stop stays with what follows).
    """
    pattern = SENTENCE_END if closing_quotes else _BARE_SENTENCE_END
    pieces, start = [], 0
    for match in pattern.finditer(text):
        if match.start() < start:
            continue  # inside the white space already consumed
        space = _SPACE_RUN.match(text, match.end())
        if space is None:
            continue
        pieces.append(text[start : match.end()])
        start = space.end()
    pieces.append(text[start:])
    return pieces
