"""News feeds (RSS, Atom), OPML lists of feeds and article pages on the web -> ``Article`` records.

A feed item is keyed by its entry's id (or link), dated by its entry, named after its feed, and
its ``path`` is the feed (URL or file), so reports can name it. An item whose entry holds only a
summary gets the main text of its linked page, extracted like a saved ``.html`` file. An entry
that is the one already stored is not read again, and its page not fetched again.

Nothing here raises for bad input: a feed or page that fails (timeout, HTTP error, not a feed,
no article text) becomes a ``FileError`` in the result and the rest goes on.
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
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from .fetch import (
    NO_VALIDATORS,
    Fetched,
    Fetcher,
    FetchError,
    FetchOptions,
    Validators,
    is_url,
)
from .readers.html import extract_html
from .records import Article, FileError, FileSignature, ReadResult, WebMemory
from .sources import SourceError, build_article, decode, split_paragraphs

logger = logging.getLogger(__name__)

MIN_SUMMARY_WORDS = 50
"""A summary this long stands in for an item's page when the page cannot be had."""


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


def _entry(raw: dict, origin: str) -> Entry:
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
        fingerprint=hashlib.sha256(fingerprint.encode()).hexdigest(),
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
    return build_article(meta, title, paragraphs, key=entry.key, path=feed.origin)


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


# -- reading the web sources of an ingest ---------------------------------------------------------


def read_web(
    urls: list[str],
    files: list[tuple[Path, FileSignature, bool]],
    memory: WebMemory,
    options: FetchOptions | None,
    result: ReadResult,
) -> None:
    """Read feed and OPML ``files`` (path, signature, whether it may be trusted next time) and
    fetch ``urls`` (feeds, OPML lists, pages), adding what they hold to ``result``."""
    # The hosts named by the operator may be private (an intranet feed); what they lead to not.
    fetcher = Fetcher(options, trusted_hosts=_hosts(urls))
    _WebReading(memory, fetcher, result).run(urls, files)


def _hosts(urls: list[str]) -> set[str]:
    hosts = set()
    for url in urls:
        try:
            hosts.add(urlsplit(url).hostname or "")
        except ValueError:
            continue  # not a valid URL: its fetch says so
    return hosts - {""}


class _WebReading:
    """One ingest's web sources. Items are taken from sources in the order given, each key
    once: an item that two feeds list belongs to the first."""

    def __init__(self, memory: WebMemory, fetcher: Fetcher, result: ReadResult) -> None:
        self.memory = memory
        self.fetcher = fetcher
        self.result = result
        self.keys: set[str] = set()
        self.waiting: list[tuple[Feed, Entry]] = []
        """Items whose page is to be fetched."""
        self.unsettled: set[str] = set()
        """Sources with an item that failed or that its summary stood in for: read again in
        full next time, so that the item is tried again."""
        self.settle_files: dict[str, FileSignature] = {}
        self.settle_urls: dict[str, tuple[Validators, list[str]]] = {}
        """Web sources read whole: their validators and the keys they list."""

    def run(self, urls: list[str], files: list[tuple[Path, FileSignature, bool]]) -> None:
        listed: list[str] = []
        for path, signature, settles in files:
            listed += self._read_file(path, signature, settles)
        fetched = set(urls)
        listed += self._fetch_sources(urls, lists_allowed=True)
        self._fetch_sources([u for u in dict.fromkeys(listed) if u not in fetched], False)
        self._fetch_pages()
        for name, signature in self.settle_files.items():
            if name not in self.unsettled:
                self.result.settled[name] = signature
        for url, (validators, listing) in self.settle_urls.items():
            if url not in self.unsettled:
                self.result.validators[url] = validators
                self.result.listings[url] = listing

    def _read_file(self, path: Path, signature: FileSignature, settles: bool) -> list[str]:
        """Take the items of a feed file; the feed URLs of an OPML file."""
        name = str(path)
        try:
            data = path.read_bytes()
            if path.suffix.lower() == ".opml":
                urls, problems = parse_opml(data, name)
                self.result.failed.extend(problems)
                self.result.files[name] = signature
                return urls
            self._take_feed(parse_feed(data, name))
        except OSError as error:
            self.result.failed.append(FileError(name, f"cannot read the file: {error.strerror}"))
            return []
        except SourceError as error:
            self.result.failed.append(FileError(name, str(error)))
            return []
        self.result.files[name] = signature
        self.result.feeds.add(name)
        if settles:
            self.settle_files[name] = signature
        return []

    def _fetch_sources(self, urls: list[str], lists_allowed: bool) -> list[str]:
        """Fetch feeds, pages and (when ``lists_allowed``) OPML lists; the URLs they list."""
        requests = [(url, self.memory.validators.get(url, NO_VALIDATORS)) for url in urls]
        listed: list[str] = []
        for url, response in self.fetcher.fetch_all(requests).items():
            if isinstance(response, FetchError):
                self.result.failed.append(FileError(url, str(response)))
            elif response.not_modified:  # what it listed last time counts as unchanged
                self.result.unchanged_keys.update(self.memory.listings.get(url, []))
            else:
                try:
                    listed += self._take_source(response, lists_allowed)
                except SourceError as error:
                    self.result.failed.append(FileError(url, str(error)))
        return listed

    def _take_source(self, response: Fetched, lists_allowed: bool) -> list[str]:
        kind = _sniff(response)
        if kind == "opml":
            if not lists_allowed:
                raise SourceError("an OPML list inside an OPML list is not followed")
            urls, problems = parse_opml(response.content, response.url)
            self.result.failed.extend(problems)
            return urls
        if kind == "feed":
            media = response.content_type
            if response.charset:
                media += f"; charset={response.charset}"
            feed = parse_feed(response.content, response.url, media)
            self._take_feed(feed)
            listing = [entry.key for entry in feed.entries]
        else:
            article = page_article(response)
            if article.key not in self.keys:  # else an earlier feed listed this page
                self.keys.add(article.key)
                self.result.articles.append(article)
            listing = [article.key]
        self.settle_urls[response.url] = (response.validators, listing)
        return []

    def _take_feed(self, feed: Feed) -> None:
        self.result.failed.extend(feed.problems)
        if feed.problems:
            self.unsettled.add(feed.origin)
        for entry in feed.entries:
            if entry.key in self.keys:
                continue  # listed by an earlier source too
            self.keys.add(entry.key)
            if self.memory.entries.get(entry.key) == entry.fingerprint:
                self.result.unchanged_keys.add(entry.key)
            elif entry.paragraphs:
                self._take_entry(feed, entry, entry.paragraphs, None, remember=True)
            elif entry.link:
                self.waiting.append((feed, entry))
            else:  # a summary without a page to complete it: all there is
                self._stand_in(feed, entry, "no link to the full article", retry=False)

    def _fetch_pages(self) -> None:
        links = [(entry.link, NO_VALIDATORS) for _, entry in self.waiting if entry.link]
        pages = self.fetcher.fetch_all(links)
        for feed, entry in self.waiting:
            page = pages[entry.link or ""]
            try:
                if isinstance(page, FetchError):
                    raise SourceError(str(page))
                meta, paragraphs = extract_html(decode_page(page))
            except SourceError as error:
                self._page_failed(feed, entry, str(error))
                continue
            self._take_entry(feed, entry, paragraphs, meta, remember=True)

    def _take_entry(
        self, feed: Feed, entry: Entry, paragraphs: list[str], page: dict | None, remember: bool
    ) -> None:
        """Add an item's article; with ``remember``, its entry's fingerprint too, so that its
        page is not fetched again while the entry stays the same."""
        try:
            article = entry_article(feed, entry, paragraphs, page)
        except SourceError as error:
            self.unsettled.add(feed.origin)
            self.result.failed.append(FileError(entry.link or entry.key, str(error)))
            return
        self.result.articles.append(article)
        if remember:
            self.result.entries[entry.key] = entry.fingerprint

    def _page_failed(self, feed: Feed, entry: Entry, reason: str) -> None:
        """An item's page could not be had. A stored article read whole from it stays as it is
        (a passing outage must not replace it with a summary) and the page is tried again next
        time; a new item may get its summary instead."""
        if entry.key not in self.memory.entries:
            self._stand_in(feed, entry, reason, retry=True)
            return
        self.unsettled.add(feed.origin)
        self.result.unchanged_keys.add(entry.key)
        self.result.failed.append(
            FileError(
                entry.link or entry.key,
                f"{reason} (an item of {feed.origin}, whose stored version is kept)",
            )
        )

    def _stand_in(self, feed: Feed, entry: Entry, reason: str, *, retry: bool) -> None:
        """Store an item's summary instead of its page if it is long enough to be worth quoting,
        else report the item. With ``retry``, the page is tried again next time."""
        if sum(len(p.split()) for p in entry.summary) < MIN_SUMMARY_WORDS:
            self.unsettled.add(feed.origin)  # read again, and the item reported again
            self.result.failed.append(
                FileError(
                    entry.link or entry.key,
                    f"{reason} (an item of {feed.origin}, whose summary is too short to stand in)",
                )
            )
            return
        logger.info("%s: %s; its feed's summary stands in", entry.link or entry.key, reason)
        if retry:
            self.unsettled.add(feed.origin)
        self._take_entry(feed, entry, entry.summary, None, remember=not retry)


def _sniff(response: Fetched) -> str:
    """ "feed", "opml" or "page": by the document's first tags, else its content type."""
    head = response.content[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return "page"
    if b"<opml" in head:
        return "opml"
    if any(tag in head for tag in (b"<rss", b"<feed", b"<rdf:rdf")):
        return "feed"
    media = response.content_type
    if "html" in media:
        return "page"
    if any(word in media for word in ("xml", "rss", "atom")):
        return "feed"
    raise SourceError(f"neither an article page nor a feed (content type {media or 'unknown'})")
