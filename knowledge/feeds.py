"""Parse news feeds (RSS, Atom), OPML lists of feeds and fetched article pages into entries and
``Article`` records; ``knowledge.web_reading`` fetches them and decides what to read.

A feed item is keyed by its entry's id (or link), dated by its entry, named after its feed, and
its ``path`` is the feed (URL or file), so reports can name it. A page's text is extracted like
a saved ``.html`` file's. What cannot be parsed raises ``SourceError``.
"""

from __future__ import annotations

import codecs
import hashlib
import html
import io
import json
import logging
import re
import time
import xml.etree.ElementTree as ElementTree
import xml.sax
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from .fetch import Fetched, is_url
from .readers.html import extract_html
from .records import Article, FileError
from .sources import SourceError, build_article, decode, split_paragraphs

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    """A feed item, as much as its feed tells."""

    key: str
    link: str | None
    title: str | None
    published: str | None
    """ISO 8601, UTC."""
    paragraphs: list[str]
    """The entry's full content; empty when it has only a summary."""
    summary: list[str]
    fingerprint: str
    """Changes whenever the entry does: an unchanged entry is not read again."""
    notes: tuple[str, ...] = ()
    """What reading it changed, to report with its article."""


@dataclass(frozen=True)
class Feed:
    origin: str
    """The feed's URL or file: the ``path`` of its articles."""
    title: str | None
    lang: str | None
    entries: list[Entry] = field(default_factory=list)
    problems: list[FileError] = field(default_factory=list)
    """Items that cannot be used (no id and no link)."""


def parse_feed(data: bytes, origin: str, content_type: str | None = None) -> Feed:
    """The entries of an RSS or Atom document. The encoding is the HTTP ``content_type``'s
    charset or the XML declaration's. Raises ``SourceError`` when ``data`` is not a feed.

    Feeds that are not well-formed XML are common (a stray ``&``): feedparser's lenient parser
    reads them, and the items it recovers with an id or a link are kept.
    """
    import feedparser  # imported here: only feeds need it

    data = _no_invalid_references(data)
    headers = {"content-location": origin} if is_url(origin) else {}
    if content_type:
        headers["content-type"] = content_type
    # feedparser falls back to Windows-1252 or ISO-8859-1, which decode anything and garble
    # Arabic, for a feed that declares no encoding, or whose declared one (or UTF-8) fails.
    parsed = None
    if not _declares_encoding(data, content_type):
        data = _as_utf8(data)
    else:
        parsed = _parse(feedparser, data, headers)
        if isinstance(parsed.get("bozo_exception"), feedparser.CharacterEncodingOverride):
            logger.info("%s: %s", origin, parsed["bozo_exception"])
            data, parsed = _as_utf8(data), None
    if parsed is None:
        media = (content_type or "").split(";")[0].strip() or "application/xml"
        headers["content-type"] = f"{media}; charset=utf-8"
        parsed = _parse(feedparser, data, headers)
    error = parsed.get("bozo_exception")
    malformed = isinstance(error, xml.sax.SAXException)
    if not parsed.get("version"):
        raise SourceError(f"not a feed: {_malformed(error) if malformed else _what(data)}")
    feed = parsed.get("feed", {})
    entries, problems = [], []
    for number, raw in enumerate(parsed.get("entries", []), 1):
        try:
            entries.append(_entry(raw, origin))
        except Exception as problem:  # one odd item must not cost the feed's other items
            if not isinstance(problem, SourceError):
                logger.warning("%s#%d: unreadable item", origin, number, exc_info=True)
                problem = SourceError(f"unreadable item: {problem or type(problem).__name__}")
            if not malformed:  # in a broken document, such items are debris
                problems.append(FileError(f"{origin}#{number}", str(problem)))
    if malformed and not entries:
        raise SourceError(f"not a feed: {_malformed(error)}")
    if malformed:
        logger.warning("%s: %s; read the %d items recovered", origin, error, len(entries))
    return Feed(
        origin=origin,
        title=_one_line(feed.get("title")),
        lang=_one_line(feed.get("language")),
        entries=entries,
        problems=problems,
    )


def _parse(feedparser: Any, data: bytes, headers: dict[str, str]) -> Any:
    try:
        # Bytes in a BytesIO: feedparser would take bare bytes or a str for a file name or a URL.
        return feedparser.parse(io.BytesIO(data), response_headers=headers)
    except Exception as error:  # it catches its parsers' errors; anything else is a bug of its
        raise SourceError(f"unparseable feed: {error or type(error).__name__}") from error


_XML_ENCODING = re.compile(rb"""\A(\s*<\?xml[^>]*?)\s+encoding\s*=\s*["'][^"']*["']""")


_CHARSET = re.compile(r"charset\s*=", re.IGNORECASE)


def _declares_encoding(data: bytes, content_type: str | None) -> bool:
    return bool(_CHARSET.search(content_type or "")) or bool(_XML_ENCODING.match(data[:1024]))


def _as_utf8(data: bytes) -> bytes:
    """A feed's bytes in UTF-8, without its (wrong or missing) encoding declaration. UTF-8 with
    a few stray bytes stays UTF-8 (they become U+FFFD: one bad byte must not garble the whole
    feed); anything else is decoded as detected. Raises ``SourceError`` when undecodable."""
    text = data.decode("utf-8", errors="replace")
    stray = text.count("\ufffd") - data.count("\ufffd".encode())
    non_ascii = sum(1 for byte in data if byte >= 0x80)
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if utf16 or stray * 100 > non_ascii:  # not almost all valid UTF-8: another encoding
        try:
            text = decode(data)
        except SourceError as error:
            raise SourceError(f"undecodable feed: {error}") from None
    elif stray:
        logger.warning("%d bytes that are not UTF-8 replaced", stray)
    return _XML_ENCODING.sub(rb"\1", text.encode("utf-8"), count=1)


def _malformed(error: Exception) -> str:
    line = getattr(error, "getLineNumber", lambda: None)()
    message = getattr(error, "getMessage", lambda: str(error))()
    return f"malformed XML ({message}" + (f" at line {line})" if line else ")")


def _what(data: bytes) -> str:
    head = data.lstrip()[:200].lower()
    if not head:
        return "the document is empty"
    if head.startswith((b"<!doctype html", b"<html")):
        return "an HTML page, not RSS or Atom"
    return "no RSS or Atom document found"


_NUMERIC_REFERENCE = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")
_PLACEHOLDER = "\ufdd0"
"""What a reference to no character becomes while feedparser reads (a noncharacter: no text
holds one), then U+FFFD in the entry, with a note."""


def _no_invalid_references(data: bytes) -> bytes:
    """``data`` with each numeric character reference to no character (``&#55296;``, a lone
    surrogate, which makes feedparser raise and lose the whole feed) made ``_PLACEHOLDER``'s."""

    def valid(match: re.Match[bytes]) -> bytes:
        hexadecimal, decimal = match.groups()
        code = int(hexadecimal, 16) if hexadecimal else int(decimal)
        if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            return match.group()
        return b"&#xFDD0;"

    return _NUMERIC_REFERENCE.sub(valid, data) if b"&#" in data else data


def _entry(raw: dict, origin: str) -> Entry:
    entry = _raw_entry(raw, origin)
    fields = (entry.title or "", *entry.paragraphs, *entry.summary)
    if not any(_PLACEHOLDER in field for field in fields):
        return entry
    return replace(
        entry,
        title=entry.title and _replaced(entry.title),
        paragraphs=[_replaced(p) for p in entry.paragraphs],
        summary=[_replaced(p) for p in entry.summary],
        notes=("a character reference to no character (&#55296;...) replaced by U+FFFD",),
    )


def _replaced(text: str) -> str:
    return text.replace(_PLACEHOLDER, "\ufffd")


def _raw_entry(raw: dict, origin: str) -> Entry:
    link = (raw.get("link") or "").strip() or None
    ident = (raw.get("id") or "").strip()
    # A bare id ("1234") is unique only within its feed; a URI (a link, a tag:) is unique.
    if ident:
        key = ident if ":" in ident else f"{origin}#{ident}"
    elif link:
        key = link
    else:
        raise SourceError("an item without an id or a link")
    content = next((c for c in raw.get("content") or [] if c.get("value")), None)
    # dict.get: feedparser's own get maps a missing "updated" to "published", with a warning
    dates = [dict.get(raw, name) for name in ("published", "updated")]
    parsed_date = dict.get(raw, "published_parsed") or dict.get(raw, "updated_parsed")
    fingerprint = json.dumps(
        [
            key,
            link,
            raw.get("title"),
            *dates,
            raw.get("summary"),
            [c.get("value") for c in raw.get("content") or []],
        ],
        ensure_ascii=False,
    )
    return Entry(
        key=key,
        link=link,
        title=" ".join(_text_paragraphs(raw.get("title") or "", _kind(raw, "title"))) or None,
        published=_iso_utc(parsed_date) if parsed_date else None,
        paragraphs=_text_paragraphs(content["value"], content.get("type")) if content else [],
        summary=_text_paragraphs(raw.get("summary") or "", _kind(raw, "summary")),
        # (surrogatepass: a "&#55296;" is a lone surrogate, which the ingest replaces and says)
        fingerprint=hashlib.sha256(fingerprint.encode("utf-8", "surrogatepass")).hexdigest(),
    )


def _kind(raw: dict, name: str) -> str | None:
    return (raw.get(f"{name}_detail") or {}).get("type")


def _iso_utc(parsed: time.struct_time) -> str:
    # feedparser gives every date as a UTC struct_time
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", parsed)


def _text_paragraphs(value: str, media_type: str | None) -> list[str]:
    if media_type and "html" in media_type:
        return html_paragraphs(value)
    return split_paragraphs(value, one_per_line=True)


def html_paragraphs(fragment: str) -> list[str]:
    """The paragraphs of an HTML fragment (a feed entry's content): block elements and blank
    lines separate paragraphs, ``<br>`` breaks a line, scripts and styles are left out."""
    parser = _TextOf()
    try:
        parser.feed(fragment)
        parser.close()
    except Exception:  # HTMLParser asserts on some markup ("<![ if gte mso 9]>")
        logger.debug("unparseable HTML fragment: read as text without its tags")
        return split_paragraphs(html.unescape(_TAG.sub(" ", fragment)), one_per_line=False)
    return split_paragraphs("".join(parser.parts), one_per_line=False)


_TAG = re.compile(r"<[^>]*>")


class _TextOf(HTMLParser):
    BLOCKS = frozenset(
        "address article aside blockquote dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 "
        "h6 header hr li main ol p pre section table td th tr ul".split()
    )
    HIDDEN = frozenset({"script", "style", "noscript", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def parse_opml(data: bytes, origin: str) -> tuple[list[str], list[FileError]]:
    """The feed URLs (``xmlUrl``) an OPML document lists, in order, and the outlines whose
    ``xmlUrl`` is not an http(s) URL. Raises ``SourceError`` when it lists no feed."""
    try:
        root = ElementTree.fromstring(data)
    except (ElementTree.ParseError, ValueError) as error:
        raise SourceError(f"unparseable OPML: {error}") from error
    if root.tag.lower() != "opml":
        raise SourceError(f"not an OPML list (its root element is <{root.tag}>)")
    urls, problems = [], []
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or "").strip()
        if not url:
            continue
        url = urljoin(origin, url) if is_url(origin) else url
        if is_url(url):
            urls.append(url)
        else:
            problems.append(FileError(origin, f"not an http(s) feed URL: {url!r}"))
    if not urls and not problems:
        raise SourceError("no feeds in the OPML list (no outline with an xmlUrl)")
    return list(dict.fromkeys(urls)), problems


def page_article(fetched: Fetched) -> Article:
    """The article on a fetched page, keyed and located by the URL asked for (stable, unlike
    its redirects); its ``url`` is the page's canonical URL."""
    meta, paragraphs = extract_html(decode_page(fetched))
    meta["url"] = meta.get("url") or fetched.final_url or fetched.url
    meta["source"] = meta.get("source") or urlsplit(fetched.url).hostname
    title = _one_line(meta.get("title"))
    return build_article(meta, title, paragraphs, key=fetched.url, path=fetched.url)


def entry_article(feed: Feed, entry: Entry, paragraphs: list[str], page: dict | None) -> Article:
    """The article of a feed item: what the entry says first, then what its page says."""
    page = page or {}
    meta = {
        "date": entry.published or page.get("date"),
        "url": entry.link or page.get("url"),
        "source": feed.title or page.get("source"),
        "lang": feed.lang or page.get("lang"),
    }
    title = entry.title or _one_line(page.get("title"))
    return build_article(
        meta, title, paragraphs, key=entry.key, path=feed.origin, notes=entry.notes
    )


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)


def decode_page(fetched: Fetched) -> str:
    """A page's text: in the HTTP charset, else its ``<meta charset>``, else UTF-8 or the
    detected encoding (old Arabic sites serve Windows-1256 without saying so)."""
    declared = _META_CHARSET.search(fetched.content[:4096])
    for charset in (fetched.charset, declared and declared.group(1).decode("ascii")):
        if not charset:
            continue
        try:
            return fetched.content.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue  # a wrong declaration: try the next clue
    return decode(fetched.content)


def _one_line(value: object) -> str | None:
    text = " ".join(str(value or "").split())
    return text or None
