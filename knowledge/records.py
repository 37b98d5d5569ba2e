"""The records that flow through the library: articles in, hits out.

All are frozen dataclasses so they can be shared between threads and compared in tests.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .fetch import Validators


@dataclass(frozen=True)
class Article:
    """An article as read from a source, before it is stored."""

    key: str
    """Stable identity: the front-matter/record ``id`` or the source path (+ record number)."""
    title: str
    text: str
    """Paragraphs separated by one blank line."""
    published: str | None = None
    """ISO 8601 date or date-time; None when the source gives none (an undated article: never
    its file's time)."""
    url: str | None = None
    source: str | None = None
    lang: str | None = None
    path: str = ""
    """The file the article came from."""
    date_from_mtime: bool = False
    """Always False now: articlebot up to 0.2 dated an undated file by its modification time
    (see the migration ``0004_no_file_dates``)."""
    version: int | None = None
    """Orders the versions of an article that its source changes (a channel post's edit date,
    in seconds): a version older than the one stored is ignored, however late it arrives."""
    notes: tuple[str, ...] = field(default=(), compare=False)
    """What reading it changed and the ingest reports (a title joined from a list...); not
    stored."""

    def digest(self) -> str:
        """A hash of what is stored of the article: the same when nothing stored changed."""
        fields = (
            self.title,
            self.text,
            self.published,
            self.url,
            self.source,
            self.lang,
            self.path,
        )
        return hashlib.sha256("\x1f".join(str(f) for f in fields).encode()).hexdigest()

    def storable(self) -> Article:
        """This article with what cannot be stored as UTF-8 (lone surrogates: a JSON
        ``"\\ud800"``, a feed's ``&#55296;``, a file name that is not UTF-8) replaced by U+FFFD,
        and a note saying so."""
        fields = ("key", "title", "text", "published", "url", "source", "lang", "path")
        changed: dict[str, Any] = {}
        for name in fields:
            value = getattr(self, name)
            if isinstance(value, str) and _SURROGATE.search(value):
                changed[name] = _SURROGATE.sub("\ufffd", value)
        if not changed:
            return self
        note = (
            f"characters that are not Unicode text (lone surrogates) replaced by U+FFFD "
            f"in its {', '.join(changed)}"
        )
        return replace(self, **changed, notes=(*self.notes, note))


_SURROGATE = re.compile("[\ud800-\udfff]")
"""What no UTF-8 text can hold: a str gets them from ``"\\ud800"`` in JSON, ``&#55296;`` in XML
or a file name that is not UTF-8 (``os.fsdecode``'s escapes)."""


@dataclass(frozen=True)
class Passage:
    """A piece of an article small enough to quote in one chat message."""

    position: int
    start: int
    """Character offsets of the passage in its article's text."""
    end: int
    text: str


@dataclass(frozen=True)
class ArticleInfo:
    """A stored article, without its text."""

    id: int
    key: str
    title: str
    published: str | None
    url: str | None
    source: str | None
    lang: str | None
    path: str
    passages: int
    date_from_mtime: bool = False


@dataclass(frozen=True)
class StoredArticle(ArticleInfo):
    """A stored article with its full text."""

    text: str = ""


@dataclass(frozen=True)
class Duplicate:
    """Another article that carries a hit's passage, near enough word for word (the same wire
    story in another paper): named under the hit instead of taking a result slot."""

    article_id: int
    passage_id: int
    title: str
    source: str | None
    url: str | None
    published: str | None

    def as_json(self) -> dict:
        return {
            "article_id": self.article_id,
            "passage_id": self.passage_id,
            "title": self.title,
            "source": self.source,
            "url": self.url,
            "published": self.published,
        }


@dataclass(frozen=True)
class Hit:
    """One passage that answers a query, with what is needed to quote it."""

    article_id: int
    title: str
    url: str | None
    published: str | None
    source: str | None
    passage_id: int
    position: int
    start: int
    """Offsets of the passage in its article's text, to show it in context."""
    end: int
    text: str
    score: float
    best_sentence: str
    best_sentence_span: tuple[int, int]
    """Offsets of the best sentence in ``text``."""
    matches: tuple[tuple[int, int], ...] = ()
    """Offsets in ``text`` of the words that matched the query, for bolding."""
    also_in: tuple[Duplicate, ...] = ()
    """The other articles with this passage (near-duplicates), best-ranked first."""
    similarity: float | None = None
    """Cosine similarity of the passage's vector to the query's (hybrid ranking); None when the
    passage has no vector or the library ranks with BM25 alone. ``score`` stays BM25's."""

    def as_json(self) -> dict:
        return {
            "article_id": self.article_id,
            "title": self.title,
            "url": self.url,
            "published": self.published,
            "passage_id": self.passage_id,
            "text": self.text,
            "score": self.score,
            "similarity": self.similarity,
            "best_sentence": self.best_sentence,
            "also_in": [d.as_json() for d in self.also_in],
        }


@dataclass(frozen=True)
class SearchResult:
    """The answer to one query. ``hits`` is best first; empty when nothing matched."""

    query: str
    answered: bool
    hits: list[Hit] = field(default_factory=list)
    terms: tuple[str, ...] = ()
    """The analysed query terms."""
    reason: str | None = None
    """Why the query is unanswered: "empty", "stopwords", "no_match" or "off_topic"."""

    def as_json(self) -> dict:
        return {
            "query": self.query,
            "answered": self.answered,
            "hits": [hit.as_json() for hit in self.hits],
        }


@dataclass(frozen=True)
class FileError:
    """A source that could not be read, and why."""

    path: str
    reason: str


@dataclass
class IngestReport:
    """What one ingest did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    outdated: int = 0
    """Articles ignored because a newer version of them is stored (see ``Article.version``)."""
    failed: list[FileError] = field(default_factory=list)
    ignored: list[FileError] = field(default_factory=list)
    """Files not read, and why, that are no failure: a folder's README or LICENSE, a folder
    reached again through a symbolic link."""
    notes: list[FileError] = field(default_factory=list)
    """Articles stored with a change the reader made (a title list joined, characters that
    cannot be stored replaced), and which."""
    passages: int = 0
    """Passages written by this ingest (for added and updated articles)."""
    seconds: float = 0.0
    added_ids: list[int] = field(default_factory=list)
    """Ids of the articles this ingest added, searchable once it returns (for alerts)."""
    demo_removed: int = 0
    """Bundled demo articles this ingest removed: the first articles of the user's own
    replace the demo (see ``knowledge.demo``)."""

    @property
    def stored_anything(self) -> bool:
        return bool(self.added or self.updated or self.unchanged)

    def as_json(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "outdated": self.outdated,
            "failed": [{"path": f.path, "reason": f.reason} for f in self.failed],
            "ignored": [{"path": f.path, "reason": f.reason} for f in self.ignored],
            "notes": [{"path": f.path, "note": f.reason} for f in self.notes],
            "passages": self.passages,
            "demo_removed": self.demo_removed,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class Origin:
    """Where some of the library's articles come from."""

    name: str
    """Their ``source`` (front matter, feed or channel title); without one, the name of the
    folder their files are in."""
    articles: int
    newest: str | None
    """Publish date of the newest of them."""
    newest_title: str | None = None
    """Title of the newest of them (None when none is dated)."""


@dataclass(frozen=True)
class Coverage:
    """What the library covers: its origins, most articles first, and when it last changed."""

    articles: int
    origins: list[Origin]
    last_refresh: str | None

    def as_json(self) -> dict:
        return {
            "articles": self.articles,
            "last_refresh": self.last_refresh,
            "origins": [asdict(o) for o in self.origins],
        }


@dataclass(frozen=True)
class Match:
    """A new article's passage that holds every term of a phrase, with its BM25 score for it."""

    article_id: int
    passage_id: int
    score: float


@dataclass(frozen=True)
class NewMatches:
    """What matches each phrase among the articles stored after a given one."""

    matches: dict[str, list[Match]] = field(default_factory=dict)
    """Phrase -> its best passage in each matching article, in article id order."""
    through: int | None = None
    """The highest article id covered (the serving index holds every article up to it); None
    when no new article is ready."""


@dataclass(frozen=True)
class LibraryStats:
    """Figures about the library."""

    path: str
    articles: int
    passages: int
    last_ingest: str | None
    undated: int
    """Articles without a publish date (before this version they were dated by their file's
    modification time, and this was ``dates_from_mtime``)."""
    analyser_version: str
    bm25: dict
    vectors: int = 0
    """Passages that have a vector of ``vector_model``."""
    vector_model: str | None = None
    """The model of the semantic signal; None: BM25 alone (no model for this platform)."""

    @property
    def vectors_share(self) -> float:
        """The share of the passages that have a vector (0 to 1)."""
        return self.vectors / self.passages if self.passages else 0.0

    def as_json(self) -> dict:
        return {
            "path": self.path,
            "articles": self.articles,
            "passages": self.passages,
            "last_ingest": self.last_ingest,
            "undated": self.undated,
            "analyser_version": self.analyser_version,
            "bm25": self.bm25,
            "semantic": self.vector_model is not None,
            "vector_model": self.vector_model,
            "vectors": self.vectors,
        }


@dataclass
class ReadResult:
    """The articles read from some paths, the files that failed, the files read (with their
    signature) and the files skipped as unchanged."""

    articles: list[Article] = field(default_factory=list)
    failed: list[FileError] = field(default_factory=list)
    ignored: list[FileError] = field(default_factory=list)
    """What was left unread on purpose (see ``IngestReport.ignored``)."""
    files: dict[str, FileSignature] = field(default_factory=dict)
    pending: list[tuple[str, FileSignature, bool]] = field(default_factory=list)
    """Local files listed but not read yet: (path, signature, whether it may be trusted next
    time); ``reading.FileReading`` reads them while an ingest stores them."""
    skipped: list[str] = field(default_factory=list)
    """The files skipped as unchanged (web sources that answer 304 add to ``unchanged_keys``)."""
    settled: dict[str, FileSignature] = field(default_factory=dict)
    """The files read whose signature may be trusted next time (see ``read_paths``)."""
    feeds: set[str] = field(default_factory=set)
    """The feed files read: a sync keeps the items that rolled off them."""
    unchanged_keys: set[str] = field(default_factory=set)
    """Keys of feed items whose entry is the one stored: not read again, counted unchanged."""
    validators: dict[str, Validators] = field(default_factory=dict)
    """The web sources read whole, with the validators to send them next time."""
    entries: dict[str, str] = field(default_factory=dict)
    """Key -> fingerprint of each feed entry read whole (see ``WebMemory``)."""
    listings: dict[str, list[str]] = field(default_factory=dict)
    """URL -> the keys of the items (or page) each web source in ``validators`` listed."""


FileSignature = tuple[int, int]
"""(modification time in ns, size) of a file: if both are the same, the file is taken as read."""


@dataclass(frozen=True)
class WebMemory:
    """What earlier ingests stored about web sources, so that this one asks only for news."""

    validators: dict[str, Validators] = field(default_factory=dict)
    """URL -> (ETag, Last-Modified) of the feeds and pages whose articles are stored."""
    entries: dict[str, str] = field(default_factory=dict)
    """Article key -> fingerprint of the stored feed entry it came from."""
    listings: dict[str, list[str]] = field(default_factory=dict)
    """URL -> the keys it listed when last read whole: what a 304 from it counts unchanged."""
