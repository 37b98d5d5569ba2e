"""What every source of articles shares, files and the web alike: the ``SourceError`` that says
why a source cannot become an article, decoding bytes to text, splitting a body into paragraphs,
and building an ``Article`` from metadata and paragraphs.

The readers of files are in ``knowledge.readers``; feeds and web pages in ``knowledge.feeds``.
"""

from __future__ import annotations

import codecs
import datetime as dt
import logging
import re

import charset_normalizer

from .records import Article

logger = logging.getLogger(__name__)

TITLE_CHARS = 90
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_HEADING = re.compile(r"^#{1,6}\s+")


class SourceError(Exception):
    """A file that cannot become an article; the message says why."""


def decode(data: bytes) -> str:
    """Decode a file's bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else detected."""
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[len(codecs.BOM_UTF8) :], "utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16")
    if b"\x00" in data[:8192]:
        raise SourceError("binary file (it contains NUL bytes), not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Old Arabic sites publish Windows-1256; let the detector choose rather than assume it.
    best = charset_normalizer.from_bytes(data).best()
    if best is None or best.encoding is None:
        raise SourceError("undecodable bytes: neither UTF-8 nor a recognisable encoding")
    logger.debug("decoded as %s", best.encoding)
    return str(best)


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise SourceError(f"undecodable bytes for {encoding} at byte {error.start}") from error


def build_article(
    meta: dict,
    title: str | None,
    paragraphs: list[str],
    *,
    key: str,
    path: str,
    fallback_date: str | None = None,
) -> Article:
    """An ``Article`` from metadata (date, url, source, lang) and paragraphs; a missing title is
    the first sentence, a missing date ``fallback_date`` (a file's time; none for the web)."""
    if not paragraphs:
        raise SourceError("empty article: no text")
    published = _date_field(meta.get("date") or meta.get("published"))
    return Article(
        key=key,
        title=title or derive_title(paragraphs[0]),
        text="\n\n".join(paragraphs),
        published=published or fallback_date,
        url=text_field(meta, "url"),
        source=text_field(meta, "source"),
        lang=text_field(meta, "lang") or text_field(meta, "language"),
        path=path,
        date_from_mtime=published is None and fallback_date is not None,
    )


def derive_title(paragraph: str, limit: int = TITLE_CHARS) -> str:
    """A title from an article's first sentence, cut at a word boundary."""
    from .passages import sentence_spans

    start, end = sentence_spans(paragraph)[0]
    sentence = paragraph[start:end].rstrip(".،,؛;:!?؟")
    if len(sentence) <= limit:
        return sentence
    cut = sentence.rfind(" ", 0, limit)
    return sentence[: cut if cut > 0 else limit].rstrip(" ،,؛;:-—") + "…"


def _date_field(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SourceError(f"unreadable date {text!r} (use ISO 8601, e.g. 2021-05-21)") from None
    return parsed.date().isoformat() if len(text) <= 10 else parsed.isoformat(timespec="seconds")


def text_field(meta: dict, name: str) -> str | None:
    """``meta[name]`` as one line of text; None when missing or blank."""
    value = meta.get(name)
    if value is None:
        return None
    value = " ".join(str(value).split())
    return value or None


def split_paragraphs(body: str, *, one_per_line: bool) -> list[str]:
    """The paragraphs of a text body, each on one line, Markdown heading marks removed.

    Blank lines separate paragraphs, and single newlines are soft wraps; a body without any blank
    line has one paragraph a line when ``one_per_line`` (the way news sites are often saved).
    """
    body = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if one_per_line and not _BLANK_LINE.search(body):
        blocks = [[line] for line in body.split("\n")]
    else:
        blocks = [block.split("\n") for block in _BLANK_LINE.split(body)]
    paragraphs = []
    for lines in blocks:
        # A heading followed by text on the next line is still its own paragraph.
        if len(lines) > 1 and _HEADING.match(lines[0].strip()):
            paragraphs.append(lines.pop(0))
        paragraphs.append(" ".join(lines))
    return [p for p in map(_tidy, paragraphs) if p]


def _tidy(paragraph: str) -> str:
    """A paragraph without heading marks, its white space runs made single spaces."""
    paragraph = paragraph.strip()
    if paragraph.startswith("#"):
        paragraph = _HEADING.sub("", paragraph, count=1)
    # Every white space character but the plain space is unprintable, so a printable paragraph
    # without double spaces is tidy already: checking is far cheaper than rebuilding it.
    if paragraph.isprintable() and "  " not in paragraph:
        return paragraph
    return " ".join(paragraph.split())


def starts_with_heading(body: str) -> bool:
    """Whether a Markdown body opens with a heading (``# Title``)."""
    return bool(_HEADING.match(body.lstrip()))


def error_text(error: BaseException) -> str:
    """An exception's message on one line, short enough for a report."""
    return " ".join(str(error).split())[:200]
