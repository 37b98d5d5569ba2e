"""Bidi marks for mixed Arabic/Latin Telegram HTML, so that each line renders in the right
direction: an RLM where an Arabic line would start left-to-right, FSI ... PDI around runs
of the other direction, and LRI ... PDI around each /command (with its Latin arguments) in an
Arabic message. Tags are never touched.
"""

from __future__ import annotations

import html
import re

__all__ = ["ARABIC", "FSI", "LATIN", "LRI", "PDI", "RLM", "apply_bidi", "isolate_commands"]

RLM, LRI, FSI, PDI = "\u200f", "\u2066", "\u2068", "\u2069"
ARABIC = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
"""The Arabic script's blocks, as the inside of a character class."""
LATIN = "A-Za-z\u00c0-\u024f"
"""Latin letters, as the inside of a character class."""
_RTL_CHAR = re.compile(f"[{ARABIC}\u0590-\u05ff]")
# Runs of several words: a single word keeps its order anyway (commands are isolated apart).
# A run may start with a number followed by words of its direction ("21 May 2021", "21 مايو
# 2021") and end with one: the numbers belong to them, and left outside they would move to
# the other side of the line.
# A number between runs of both directions ("صحيفة عكاظ · 27 September 2023") goes with the
# words after it: a run ends on a number only when no word of the other direction follows it.
_LTR_RUN = re.compile(
    f"(?:[0-9]+[\\s.,:/-]*)?[{LATIN}][^{ARABIC}\\n]*\\s[^{ARABIC}\\n]*"
    f"(?:[{LATIN}]|[0-9](?![0-9]*[\\s.,:/-]*[{ARABIC}]))"
)
_RTL_RUN = re.compile(
    f"(?:[0-9]+[\\s.,:/-]*)?[{ARABIC}][^{LATIN}\\n]*\\s[^{LATIN}\\n]*"
    f"(?:[{ARABIC}]|[0-9](?![0-9]*[\\s.,:/-]*[{LATIN}]))"
)
# A /command (not "a/b", "</b>" or a URL's path) and the Latin or number arguments after it.
_COMMAND = re.compile(
    f"(?<![\\w/<:{LRI}])/[A-Za-z][A-Za-z0-9_]*(?:@\\w+)?(?: [A-Za-z0-9][A-Za-z0-9_.-]*)*"
)
# Code spans and tags are kept whole: a code span that starts with a command is isolated from
# outside, so that tapping it copies the command without marks (a message that starts with a
# mark is no command for Telegram).
_CODE_OR_TAG = re.compile(r"(<(?:code|pre)>.*?</(?:code|pre)>|<[^>]*>)", re.DOTALL)
_ISOLATED = re.compile(f"{LRI}[^{PDI}\\n]*{PDI}")
_TOKEN = re.compile(r"<[^>]*>|&(?:#\d+|#x[0-9a-fA-F]+|\w+);|[^<&]|&")


def apply_bidi(html_text: str, rtl_default: bool) -> str:
    """Add bidi marks to each line of ``html_text`` without touching its tags.

    A line whose letters are mostly Arabic but that starts with Latin text or a digit gets an RLM
    in front, as do lines without letters in an Arabic message; runs of the other direction
    inside a line are wrapped in FSI ... PDI so they keep their order.
    """
    if rtl_default:
        html_text = isolate_commands(html_text)
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
                if mark == PDI and at > line_start:
                    # Right after the run's last character, inside any tag closing after it:
                    # "<i>… 21 May 2021⁩</i>", not "</i>⁩".
                    index = chars[at - 1][1] + 1
                else:
                    # Before the token of the visible character at ``at`` (after any tags
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


def isolate_commands(html_text: str) -> str:
    """Wrap each /command of ``html_text`` (with its Latin or number arguments, as in
    "/latest 10") in LRI ... PDI, so that an Arabic line shows it left-to-right instead of
    "latest/"; a code span starting with a command is wrapped from outside.

    Telegram still makes the command tappable: it ends a command at any character that is not
    a letter, digit or "_", and starts one after any such character, so the marks (format
    characters) around it do not hide it (tdlib's ``find_bot_commands``).
    """
    parts = _CODE_OR_TAG.split(html_text)
    for i, part in enumerate(parts):
        if i % 2 == 0:
            parts[i] = _COMMAND.sub(lambda m: f"{LRI}{m[0]}{PDI}", part)
        elif re.match(r"<(?:code|pre)>/[A-Za-z]", part) and not _before_is_lri(parts, i):
            parts[i] = f"{LRI}{part}{PDI}"
    return "".join(parts)


def _before_is_lri(parts: list[str], i: int) -> bool:
    """Whether the text just before part ``i`` ends with an LRI (already isolated)."""
    before = "".join(parts[max(0, i - 2) : i])
    return before.endswith(LRI)


def _line_marks(line: str, rtl_default: bool) -> list[tuple[int, str]]:
    if not line.strip():
        return []
    first = re.search(f"[{ARABIC}\u0590-\u05ff{LATIN}0-9]", line)
    # Isolated commands are left out of the line's direction and of its runs.
    line = _ISOLATED.sub(lambda m: "\u2060" * len(m[0]), line)
    rtl = len(_RTL_CHAR.findall(line))
    ltr = len(re.findall(f"[{LATIN}]", line))
    line_rtl = rtl > ltr or (rtl == ltr == 0 and rtl_default)
    marks: list[tuple[int, str]] = []
    if line_rtl and (first is None or not _RTL_CHAR.match(first[0])):
        marks.append((0, RLM))
    if rtl and ltr:
        for m in (_LTR_RUN if line_rtl else _RTL_RUN).finditer(line):
            marks += [(m.start(), FSI), (m.end(), PDI)]
    # Stable order: at one offset a PDI closes before an FSI opens.
    return sorted(marks, key=lambda x: (x[0], x[1] != PDI))
