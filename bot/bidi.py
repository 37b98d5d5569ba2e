"""Bidi marks for mixed Arabic/Latin Telegram HTML, so that each line renders in the right
direction: an RLM where an Arabic line would start left-to-right, and FSI ... PDI around runs
of the other direction. Tags are never touched.
"""

from __future__ import annotations

import html
import re

__all__ = ["ARABIC", "FSI", "LATIN", "PDI", "RLM", "apply_bidi"]

RLM, FSI, PDI = "\u200f", "\u2068", "\u2069"
ARABIC = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
"""The Arabic script's blocks, as the inside of a character class."""
LATIN = "A-Za-z\u00c0-\u024f"
"""Latin letters, as the inside of a character class."""
_RTL_CHAR = re.compile(f"[{ARABIC}\u0590-\u05ff]")
# Runs of several words: a single word keeps its order anyway, and isolating "/latest" would
# stop Telegram from recognising the command.
_LTR_RUN = re.compile(f"[{LATIN}][^{ARABIC}\\n]*\\s[^{ARABIC}\\n]*[{LATIN}0-9]")
_RTL_RUN = re.compile(f"[{ARABIC}][^{LATIN}\\n]*\\s[^{LATIN}\\n]*[{ARABIC}]")
_TOKEN = re.compile(r"<[^>]*>|&(?:#\d+|#x[0-9a-fA-F]+|\w+);|[^<&]|&")


def apply_bidi(html_text: str, rtl_default: bool) -> str:
    """Add bidi marks to each line of ``html_text`` without touching its tags.

    A line whose letters are mostly Arabic but that starts with Latin text or a digit gets an RLM
    in front, as do lines without letters in an Arabic message; runs of the other direction
    inside a line are wrapped in FSI ... PDI so they keep their order.
    """
    tokens = _TOKEN.findall(html_text)
    # Visible characters and the token index each comes from.
    chars: list[tuple[str, int]] = []
    for i, tok in enumerate(tokens):
        if tok.startswith("<"):
            continue
        chars.append((html.unescape(tok) if tok.startswith("&") else tok, i))
    inserts: dict[int, list[str]] = {}
    line_start = 0
    for pos in range(len(chars) + 1):
        if pos == len(chars) or chars[pos][0] == "\n":
            line = "".join(c for c, _ in chars[line_start:pos])
            for offset, mark in _line_marks(line, rtl_default):
                at = line_start + offset
                # Insert before the token of the visible character at ``at`` (after any tags
                # opening there); at a line's end, before the newline or at the very end.
                index = chars[at][1] if at < len(chars) else len(tokens)
                inserts.setdefault(index, []).append(mark)
            line_start = pos + 1
    out: list[str] = []
    for i, tok in enumerate(tokens):
        out.extend(inserts.get(i, ()))
        out.append(tok)
    out.extend(inserts.get(len(tokens), ()))
    return "".join(out)


def _line_marks(line: str, rtl_default: bool) -> list[tuple[int, str]]:
    rtl = len(_RTL_CHAR.findall(line))
    ltr = len(re.findall(f"[{LATIN}]", line))
    if not line.strip():
        return []
    line_rtl = rtl > ltr or (rtl == ltr == 0 and rtl_default)
    marks: list[tuple[int, str]] = []
    if line_rtl:
        first = re.search(f"[{ARABIC}\u0590-\u05ff{LATIN}0-9]", line)
        if first is None or not _RTL_CHAR.match(first[0]):
            marks.append((0, RLM))
    if rtl and ltr:
        for m in (_LTR_RUN if line_rtl else _RTL_RUN).finditer(line):
            marks += [(m.start(), FSI), (m.end(), PDI)]
    # Stable order: at one offset a PDI closes before an FSI opens.
    return sorted(marks, key=lambda x: (x[0], x[1] != PDI))
