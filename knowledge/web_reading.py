"""Read the web sources of an ingest: feed and OPML files, and the URLs of feeds, OPML lists
and article pages, fetched and parsed (``knowledge.feeds``) into a ``ReadResult``.

An item whose entry holds only a summary gets the main text of its linked page; an entry that is
the one already stored is not read again, and its page not fetched again. Nothing here raises
for bad input: a feed or page that fails becomes a ``FileError`` in the result.
"""

from __future__ import annotations

import logging
from pathlib import Path

from .feeds import Entry, Feed, decode_page, entry_article, page_article, parse_feed, parse_opml
from .fetch import NO_VALIDATORS, Fetched, Fetcher, FetchError, FetchOptions, Validators
from .readers.html import extract_html
from .records import FileError, FileSignature, ReadResult, WebMemory
from .sources import SourceError

logger = logging.getLogger(__name__)

MIN_SUMMARY_WORDS = 50
"""A summary this long stands in for an item's page when the page cannot be had."""


def read_web(
    urls: list[str],
    files: list[tuple[Path, FileSignature, bool]],
    memory: WebMemory,
    options: FetchOptions | None,
    result: ReadResult,
) -> None:
    """Read feed and OPML ``files`` (path, signature, whether it may be trusted next time) and
    fetch ``urls`` (feeds, OPML lists, pages), adding what they hold to ``result``."""
    # The hosts named by the operator may be private (an intranet feed), on the ports named;
    # what they lead to not.
    fetcher = Fetcher(options, trusted=urls)
    _WebReading(memory, fetcher, result).run(urls, files)


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
