"""What every source of articles shares, files and the web alike: the ``SourceError`` that says
why a source cannot become an article, decoding bytes to text, splitting a body into paragraphs,
and building an ``Article`` from metadata and paragraphs.

The readers of files are in ``knowledge.readers``; feeds and web pages in ``knowledge.feeds``.
"""

from __future__ import annotations

import codecs
import datetime as dt
import email.utils
import logging
import re
import string

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
    latin = _latin(data)
    if latin is not None:
        return latin
    # Old Arabic sites publish Windows-1256; let the detector choose rather than assume it.
    best = charset_normalizer.from_bytes(data).best()
    if best is None or best.encoding is None:
        raise SourceError("undecodable bytes: neither UTF-8 nor a recognisable encoding")
    logger.debug("decoded as %s", best.encoding)
    return str(best)


LATIN_SHARE = 0.1
"""Text that is not UTF-8 is taken for Windows-1252 (Latin-1's superset: English, French,
German... as Windows saved them) when at most this share of its letters are not ASCII: a few
accents, pound signs and curly quotes. In Arabic (Windows-1256), Cyrillic or Greek, almost
every letter is a byte over 127; those are left to the detector, which otherwise may take a
"£15.8m" for a CJK text."""


_HIGH_BYTES = bytes(range(0x80, 0x100))
_ASCII_LETTERS = string.ascii_letters.encode()


def _latin(data: bytes) -> str | None:
    """``data`` decoded as Windows-1252, when it reads as a mostly-ASCII Latin text."""
    high = len(data) - len(data.translate(None, _HIGH_BYTES))
    letters = len(data) - len(data.translate(None, _ASCII_LETTERS)) + high
    if not letters or high > LATIN_SHARE * letters:
        return None
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:  # (five bytes are not Windows-1252)
        return None


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise SourceError(f"undecodable bytes for {encoding} at byte {error.start}") from error


DATE_FIELDS = (
    "date",
    "published",
    "pubDate",
    "pub_date",
    "date_published",
    "datePublished",
    "published_at",
    "publishedAt",
    "publish_date",
    "created_at",
    "createdAt",
    "date_created",
    "date_extracted",
)
"""The fields that may date an article (JSON records, front matter), the first one present in
this order: the publication's own date before the dates a crawl or a database adds."""


def build_article(
    meta: dict,
    title: str | None,
    paragraphs: list[str],
    *,
    key: str,
    path: str,
    fallback_date: str | None = None,
    notes: tuple[str, ...] = (),
) -> Article:
    """An ``Article`` from metadata (date, url, source, lang) and paragraphs; a missing title is
    the first sentence, a missing date ``fallback_date`` (a feed's date for its items; a file's
    time never: an article without a date is undated). ``notes`` are what reading changed."""
    if not paragraphs:
        raise SourceError("empty article: no text")
    published = article_date(meta)
    return Article(
        key=key,
        title=title or derive_title(paragraphs[0]),
        text="\n\n".join(paragraphs),
        published=published or fallback_date,
        url=text_field(meta, "url"),
        source=text_field(meta, "source"),
        lang=text_field(meta, "lang") or text_field(meta, "language"),
        path=path,
        notes=notes,
    )


def article_date(meta: dict) -> str | None:
    """The date of the first of ``DATE_FIELDS`` in ``meta`` that has one, in ISO 8601; None
    when none has. Raises ``SourceError`` when that field's date is unreadable."""
    for name in DATE_FIELDS:
        value = meta.get(name)
        if value is not None and value != "":
            return _date_field(value)
    return None


def derive_title(paragraph: str, limit: int = TITLE_CHARS) -> str:
    """A title from an article's first sentence, cut at a word boundary."""
    from .passages import sentence_spans

    start, end = sentence_spans(paragraph)[0]
    sentence = paragraph[start:end].rstrip(".،,؛;:!?؟")
    if len(sentence) <= limit:
        return sentence
    cut = sentence.rfind(" ", 0, limit)
    return sentence[: cut if cut > 0 else limit].rstrip(" ،,؛;:-—") + "…"


def _date_field(value: object) -> str:
    """A date or date-time as ISO 8601: from YAML's dates, ISO 8601 text, RFC 2822 text (feeds,
    email: ``Tue, 10 Jun 2003 04:00:00 GMT``) or Unix time (seconds or milliseconds)."""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _unix_time(value)
    text = str(value).strip() if isinstance(value, str) else ""
    parsed: dt.datetime | None
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = _rfc2822(text)
    else:
        if len(text) <= 10:
            return parsed.date().isoformat()
    if parsed is None:
        shown = text[:40] if text else f"a JSON {type(value).__name__}"
        raise SourceError(
            f"unreadable date {shown!r} (use ISO 8601, e.g. 2021-05-21, or RFC 2822)"
        ) from None
    return parsed.isoformat(timespec="seconds")


def _rfc2822(text: str) -> dt.datetime | None:
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def _unix_time(value: float) -> str:
    seconds = value / 1000 if abs(value) >= 1e11 else value  # (milliseconds, as JavaScript's)
    try:
        moment = dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise SourceError(f"unreadable date {value!r} (not a Unix time)") from None
    return moment.isoformat(timespec="seconds")


def title_field(meta: dict) -> tuple[str | None, tuple[str, ...]]:
    """``meta``'s title as one line, and what to report about it: a list of strings (a JSON
    ``["Part one", "part two"]``) is joined with spaces and said; an object, a list of other
    things, is refused (the title then comes from the text) and said, never stored as Python
    would print it."""
    value = meta.get("title")
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        joined = " ".join(" ".join(value).split()) or None
        return joined, (f"title given as a list of {len(value)} strings: joined",) if joined else ()
    if isinstance(value, (list, dict)):
        kind = "an object" if isinstance(value, dict) else "a list of other than strings"
        return None, (f"title given as {kind}: not used (the title is the text's first line)",)
    return text_field(meta, "title"), ()


def text_field(meta: dict, name: str) -> str | None:
    """``meta[name]`` as one line of text; None when missing, blank, or a list or an object
    (never their Python printing)."""
    value = meta.get(name)
    if value is None or isinstance(value, (list, dict)):
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
