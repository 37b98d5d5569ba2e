"""How tall an answer is on a phone: a measure of the first reply to a question (issue 11, item 8),
and a script that prints it for real questions on the bundled article and the test articles.

The model: a line of a phone screen holds about ``LINE_CHARS`` characters; every line of the
visible text takes ``ceil(chars / LINE_CHARS)`` lines (at least one); a collapsed expandable
quote shows at most ``FOLDED_LINES`` lines; each row of buttons counts as one line.

    python -m tests.answer_height          # figures and two answers' HTML, for this checkout

Run it on an older checkout (``git worktree add``) to compare before and after.
"""

from __future__ import annotations

import math
import re
import sys
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

from bot.markup import visible_text

LINE_CHARS = 40
"""Characters a phone line holds, about."""
FOLDED_LINES = 3
"""Lines a collapsed expandable quote shows."""

QUESTIONS = (
    ("ar", "ما هي معركة سيف القدس؟"),
    ("ar", "كم عدد الشهداء في غزة؟"),
    ("ar", "متى بدأ وقف إطلاق النار؟"),
    ("ar", "ماذا قال آية الله قاسم عن النصر؟"),
    ("ar", "متى أعلن وقف إطلاق النار في غزة؟"),
    ("ar", "أين هطلت الأمطار الغزيرة؟"),
    ("en", "when did the lunar mission launch?"),
    ("en", "how many residents were evacuated near Athens?"),
    ("en", "how many firefighters fought the wildfire?"),
    ("en", "what did the port workers strike about?"),
    ("en", "when will the Riyadh metro open?"),
)
"""Real questions on the bundled article, the bot tests' articles and tests/fixtures/news."""


class Height(NamedTuple):
    text_lines: int
    keyboard_rows: int

    @property
    def total(self) -> int:
        return self.text_lines + self.keyboard_rows


def _lines(text: str) -> int:
    return sum(max(1, math.ceil(len(line) / LINE_CHARS)) for line in text.split("\n"))


def measure(html_text: str, buttons: Any = ()) -> Height:
    """The height of a message (its HTML and rows of buttons) on a phone, in lines."""
    folded = 0

    def fold(m: re.Match[str]) -> str:
        nonlocal folded
        folded += min(FOLDED_LINES, _lines(visible_text(m[1]).strip("\n")))
        return ""

    rest = re.sub(r"<blockquote expandable>(.*?)</blockquote>\n?", fold, html_text, flags=re.S)
    text = visible_text(rest).strip("\n")
    return Height((_lines(text) if text else 0) + folded, len(buttons))


def answer_height(reply: Any) -> int:
    """The height of a ``Reply`` in lines, text and buttons."""
    return measure(reply.text, reply.buttons).total


def _library(folder: Path) -> Any:
    from knowledge import BUNDLED_ARTICLES, Library
    from tests.telegram_helpers import write_articles

    root = Path(__file__).resolve().parent
    library = Library.open(folder / "lib.db", embedder=None)
    library.ingest([BUNDLED_ARTICLES, write_articles(folder / "articles"), root / "fixtures/news"])
    return library


def main() -> None:
    from bot.answers import format_answer

    with tempfile.TemporaryDirectory() as tmp:
        library = _library(Path(tmp))
        heights, shown = [], {}
        for lang, question in QUESTIONS:
            result = library.search(question, k=4)
            reply = format_answer(result, lang, 0, question_id=1)
            height = measure(reply.text, reply.buttons)
            heights.append(height)
            rows = height.keyboard_rows
            print(f"{height.total:3d} = {height.text_lines:2d} + {rows} rows  {question}")
            shown.setdefault(lang, reply)
        library.close()
    n = len(heights)
    total = sum(h.total for h in heights) / n
    text = sum(h.text_lines for h in heights) / n
    rows = sum(h.keyboard_rows for h in heights) / n
    print(f"mean {total:.1f} lines (text {text:.1f}, buttons {rows:.1f} rows) over {n} questions")
    for lang, reply in shown.items():
        print(f"\n--- {lang} ---\n{reply.text}")
        print([[b.label for b in row] for row in reply.buttons])


if __name__ == "__main__":
    sys.exit(main())
