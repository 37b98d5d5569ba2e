"""The library facade: open, ingest, search, read, and what alerts need. The CLI and the bot
use only this; each call hands its job to the module that owns it (``ingest``, ``serving``,
``ranking``, ``matching``, ``store``).

Searches read an immutable index snapshot; an ingest writes the database in one transaction,
builds and saves the new index, and then swaps the snapshot in one assignment, so readers always
see either the old library or the new one, never a mix.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any, TypeVar, cast

import numpy as np
import sqlite_utils

from . import analysis, demo, embed, ingest, matching, searching
from .embedding import Embedder, default_embedder
from .errors import NEEDS_UPGRADE, KnowledgeError, ReadOnlyLibrary, SchemaError
from .evidence import hit, term_weights
from .fetch import FetchOptions
from .hybrid import default_ranker
from .index import BM25Index, BM25Params
from .ingest import Progress, Sync
from .locking import WriteLock, exclusive
from .ranking import Ranker
from .records import (
    Article,
    ArticleInfo,
    Coverage,
    Hit,
    IngestReport,
    LibraryStats,
    Match,
    NewMatches,
    Origin,
    ReadResult,
    SearchResult,
    StoredArticle,
)
from .serving import ServingIndex, term_ids
from .serving_vectors import ServingVectors
from .store import articles, health, vocabulary
from .store import vectors as stored_vectors
from .store.connection import connect, get_meta, is_read_only, now, unless_busy
from .text import clean_text
from .vectors import PassageVectors

logger = logging.getLogger(__name__)

BUNDLED_ARTICLES = demo.BUNDLED_ARTICLES
"""The articles that ship with the package: the default library (the demo)."""

MAX_QUERY_CHARS = 1000
T = TypeVar("T")
DEFAULT_PARAMS = BM25Params()
DEFAULT_EMBEDDER = "default"
"""``Library(embedder=...)``: the bundled model where this platform has it."""


class Library:
    """A library of articles stored in one SQLite file, searchable with BM25."""

    recheck_seconds = 1.0
    """How often a search checks whether another process changed the library."""
    fetch_options = FetchOptions()
    """Timeout, size cap, per-host limit and User-Agent of the requests web sources need."""
    read_only = False
    """Whether this library may only be read here (its file or folder is read-only): then it
    answers from what is stored, and ingests are refused (``ReadOnlyLibrary``)."""
    index_repair_seconds = 30.0
    """How long the database may hold articles that no saved index holds before
    ``new_matches`` rebuilds the index (an ingest that died or failed between its commit and
    its save)."""

    def __init__(
        self,
        path: Path,
        params: BM25Params = DEFAULT_PARAMS,
        ranker: Ranker | None = None,
        embedder: Embedder | str | None = DEFAULT_EMBEDDER,
    ) -> None:
        self.path = path
        self.params = params
        self.embedder: Embedder | None = (
            default_embedder() if isinstance(embedder, str) else embedder
        )
        """The model of the semantic signal; None: BM25 alone (no model for this platform)."""
        self._vectors = None if self.embedder is None else ServingVectors(path, self.embedder.name)
        # hybrid when a model is available (ARTICLEBOT_RANKER=bm25, or a ranker given, overrides)
        self.ranker: Ranker = ranker or default_ranker(self.embedder)
        self._local = threading.local()
        self._lock = WriteLock(path)
        self._serving = ServingIndex(path, params)
        self.index_path = self._serving.path
        """The saved index, beside the library."""
        self._kept: dict[str, tuple[tuple[str | None, str | None], Any]] = {}
        """Figures read from every article row, by name, with the state they were read in."""
        self._users: IO[bytes] | None = None
        """Kept open while the library is: says to other processes that it is in use."""

    @classmethod
    def open(
        cls,
        path: str | Path,
        params: BM25Params = DEFAULT_PARAMS,
        default_sources: Iterable[str | Path] | None = None,
        ranker: Ranker | None = None,
        embedder: Embedder | str | None = DEFAULT_EMBEDDER,
        check: bool = False,
    ) -> Library:
        """Open the library at ``path``, creating an empty one if there is none, and migrating
        one an older articlebot made. Its database is checked (``check``, or when the last
        process using it died): ``DamagedLibrary`` says what to do if it is damaged.

        A library that was never filled is first filled from ``default_sources``, if given
        (the CLI and the bot pass the bundled articles or the configured sources); with the
        bundled articles (the demo), only one that nothing was ever ingested into (see
        ``knowledge.demo``). ``ranker``
        orders the hits and decides whether they answer (by default ``HybridRanker`` when a model
        is available, else ``BM25Ranker``; see ``hybrid.default_ranker``); ``embedder`` makes the
        passage vectors (the bundled model by default, None for none).
        """
        path = Path(path).expanduser()
        library = cls(path, params, ranker, embedder)
        try:
            library._open(check, default_sources)
        except BaseException:  # (the shared lock on .users and the connection go too)
            library.close()
            raise
        return library

    def _open(self, check: bool, default_sources: Iterable[str | Path] | None) -> None:
        path, params = self.path, self.params
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            read_only = is_read_only(path)
            self._users, unclean = (None, False) if read_only else health.join(path)
            db = self._local.db = connect(path, read_only=read_only)
            if check or unclean:
                if unclean:
                    logger.warning("the library was not closed cleanly: checking its database")
                health.check(db, path)
        except (OSError, sqlite3.DatabaseError, SchemaError) as error:
            raise health.explain(error, path) or KnowledgeError(
                f"cannot open the library at {path}: {error}"
            ) from error
        library = self
        library.read_only = library._lock.read_only = library._serving.read_only = read_only
        with library._lock.local():
            if ingest.outdated(db):
                if read_only:
                    raise ReadOnlyLibrary(NEEDS_UPGRADE.format(path=path))
                with exclusive(path):
                    ingest.reanalyse(db, params)
            library._serving.load_or_build(db)
            if not read_only:  # left by an ingest that stopped before its purge; never waits
                unless_busy(db, articles.purge_retired)
        if default_sources is not None and not read_only:
            sources = list(default_sources)
            if demo.should_fill(db, sources):
                library._ingest(sources, own=False)

    def close(self) -> None:
        health.leave(self._users)
        self._users = None
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- ingest ---------------------------------------------------------------------------------

    def ingest(
        self, paths: Iterable[str | Path], sync: bool = False, progress: Progress | None = None
    ) -> IngestReport:
        """Add new and changed articles from ``paths`` (files, folders, feed/OPML files, and
        http(s) URLs of feeds, OPML lists and article pages) in one transaction.

        A file whose modification time and size are those it had when it was last read whole
        is not read again, nor a web source that answers 304 to the validators it last sent:
        their articles count as unchanged. With ``sync``, the articles under the local
        ``paths`` that they no longer hold are removed (see ``ingest._removals``). One ingest
        writes at a time, across processes; a failure leaves the previous library serving.

        The first ingest that stores articles into a library that holds only the bundled demo
        removes the demo (``IngestReport.demo_removed``).
        """
        return self._ingest(paths, sync, progress)

    def _ingest(
        self,
        paths: Iterable[str | Path],
        sync: bool = False,
        progress: Progress | None = None,
        *,
        own: bool = True,
    ) -> IngestReport:
        """``ingest``; not ``own``: the library filled as it opens (nothing replaced)."""
        started = time.perf_counter()
        paths = list(paths)
        # Fetch before taking the locks: fetching can take long, and must not hold up an ingest
        # that writes meanwhile (a channel post, another process's ingest). The local files are
        # only listed here: they are read as they are stored, a batch at a time.
        db = self._db()
        reading_since = now(precise=True)
        read = ingest.read(db, paths, self.fetch_options)
        with self._lock.writing():
            sync_paths = Sync(paths, reading_since) if sync else None
            report = self._apply(db, read, sync_paths, progress, own)
        report.seconds = time.perf_counter() - started
        logger.info("ingest: %s", report.as_json())
        return report

    def add_articles(self, articles: Iterable[Article], *, wait: bool = True) -> IngestReport:
        """Add or update articles that do not come from files (a channel post, a feed item):
        the same checks, transaction and index swap as ``ingest``; nothing is removed. An
        article older than the stored version of it (``Article.version``) is ignored.

        Raises ``IngestRunning`` while another process ingests; without ``wait``, also (at
        once) while another ingest of this process runs, instead of waiting for it.
        """
        started = time.perf_counter()
        with self._lock.writing(wait):
            report = self._apply(self._db(), ReadResult(articles=list(articles)), None, None, True)
        report.seconds = time.perf_counter() - started
        logger.info("add: %s", report.as_json())
        return report

    def _apply(
        self,
        db: sqlite_utils.Database,
        read: ReadResult,
        sync: Sync | None,
        progress: Progress | None,
        own: bool,
    ) -> IngestReport:
        """Under the write locks: store what was read, and serve the index of what is stored.
        The user's ``own`` articles mark the library as theirs before anything is written, and
        replace the demo if it is all the library holds."""
        demo_ids: list[int] = []
        if own:
            demo.mark_ingest_started(db)
            demo_ids = demo.demo_only_ids(db)
        report, written = ingest.apply(db, read, sync, progress, self.params, demo_ids)
        if own:
            demo.mark_ingest_finished(db)
        if written:
            self._serving.build(db)
            articles.purge_retired(db)
        else:
            # An earlier ingest may have stored its articles but never swapped its index in
            # (it failed, or was killed, after its commit): they count as unchanged now, so
            # nothing else would ever make them searchable.
            self._serving.catch_up(db, "the index lacks articles stored earlier: building it again")
        return report

    # -- passage vectors ------------------------------------------------------------------------

    def embed(
        self,
        progress: Progress | None = None,
        workers: int | None = None,
        limit: int | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> int:
        """Embed the passages that have no vector of ``embedder``'s model yet (at most
        ``limit``), a batch at a time, each stored at once; returns how many were stored.

        Runs apart from ingests (it never holds their write lock: questions and ingests go on
        meanwhile) on ``workers`` processes (by default, the CPUs this process may use).
        Resumable: an interrupted run loses only the batches in flight. ``stop`` is asked after
        each batch. Raises ``EmbeddingRunning`` while another process or thread embeds this
        library. Without an embedder there is nothing to do (0).
        """
        if self.embedder is None:
            return 0
        with embed.embedding_lock(self.path):
            return embed.embed_missing(
                self._db(),
                self.embedder,
                progress=progress,
                workers=workers,
                limit=limit,
                stop=stop,
            )

    def vectors(self) -> PassageVectors | None:
        """The stored vectors of ``embedder``'s model, as a snapshot for searches (refreshed
        apart as more are stored, see ``serving_vectors``); None when there are none yet, or no
        embedder. A passage it lacks is ranked by BM25 alone."""
        if self._vectors is None:
            return None
        return self._vectors.current(self._db(), self.recheck_seconds)

    # -- index ----------------------------------------------------------------------------------

    @property
    def index(self) -> BM25Index:
        """The index serving searches now (reloaded if another process changed the library)."""
        return self._current_index()

    def documents(self) -> Iterable[tuple[int, list[str]]]:
        """(passage id, terms) of every passage, as indexed (for comparisons and checks)."""
        db = self._db()
        terms = vocabulary.vocabulary(db)
        for passage_id, ids in term_ids(db):
            yield passage_id, [terms[i] for i in np.frombuffer(ids, dtype=np.int32).tolist()]

    def rebuild_index(self) -> None:
        """Build the index from the stored terms again, and save it."""
        with self._lock.local():
            self._serving.build(self._db())

    def _current_index(self) -> BM25Index:
        return self._serving.current(self._db(), self.recheck_seconds)

    # -- search ---------------------------------------------------------------------------------

    def search(self, query: str, k: int = 5) -> SearchResult:
        """The passages that best answer ``query``, best first, and whether they answer it."""
        query = clean_text(query, MAX_QUERY_CHARS)
        if not any(ch.isalnum() for ch in query):
            return SearchResult(query=query, answered=False, reason="empty")
        while True:
            index = self._current_index()
            result = self._search_with(index, query, max(k, 1), partial=False)
            if result is not None:
                return result
            # A reload purged passages of the index this search started with. In this process
            # the new index is serving by then: ask it. Otherwise answer with what is left.
            if self._serving.index is index:
                result = self._search_with(index, query, max(k, 1), partial=True)
                assert result is not None
                return result

    def _search_with(
        self, index: BM25Index, query: str, k: int, *, partial: bool
    ) -> SearchResult | None:
        return searching.search_index(
            index, query, k, self.ranker, self.vectors(), self._passage_rows, partial=partial
        )

    def _passage_rows(self, ids: list[int]) -> dict[int, dict]:
        # Retired rows too: an ingest that committed after the index was read retired the
        # passages this index points at, and they are still what it found.
        return articles.passages_by_id(self._db(), ids, retired=True)

    # -- reading --------------------------------------------------------------------------------

    def latest(self, n: int = 5, offset: int = 0) -> list[ArticleInfo]:
        """The newest articles by publish date."""
        return articles.latest(self._db(), n, offset)

    def article(self, article_id: int) -> StoredArticle | None:
        """One article with its text, or None if there is no such article (any more)."""
        return articles.article(self._db(), article_id)

    def passage(self, passage_id: int) -> Hit | None:
        """One passage as a ``Hit`` with score 0, or None if it is gone."""
        row = articles.passages_by_id(self._db(), [passage_id]).get(passage_id)
        return None if row is None else hit(row, 0.0, {})

    def is_demo(self) -> bool:
        """Whether nothing of the user's was ever ingested into the library (it holds the
        bundled demo article, or nothing)."""
        return demo.never_ingested(self._db())

    def ingest_interrupted(self) -> bool:
        """Whether the library is empty because the first ingest into it never finished (it was
        killed, or failed): running that ingest again finishes it."""
        return demo.interrupted(self._db())

    def stats(self) -> LibraryStats:
        db = self._db()
        count, passages, undated = articles.counts(db)
        model = None if self.embedder is None else self.embedder.name
        vectors = (
            0
            if model is None
            else stored_vectors.count_vectors(db, stored_vectors.model_id(db, model))
        )
        return LibraryStats(
            path=str(self.path),
            articles=count,
            passages=passages,
            last_ingest=get_meta(db, "last_ingest"),
            undated=undated,
            analyser_version=analysis.ANALYSER_VERSION,
            bm25=self.params.as_json(),
            vectors=min(vectors, passages),
            vector_model=model,
        )

    def coverage(self) -> Coverage:
        """What the library covers: article count and newest article per origin (source name,
        else folder), and when it last changed."""

        def count(db: sqlite_utils.Database, last_refresh: str | None) -> Coverage:
            origins = [Origin(*row) for row in articles.origins(db)]
            total = sum(o.articles for o in origins)
            return Coverage(articles=total, origins=origins, last_refresh=last_refresh)

        return self._kept_until_change("coverage", count)

    def last_change(self) -> str | None:
        """When the library's articles last changed (UTC, ISO 8601: an ingest, a reload or a
        channel post that wrote something), or None if not known (none since this was
        recorded). An ingest that found nothing new does not count."""
        return get_meta(self._db(), "changed_at")

    def language_mix(self) -> dict[str, int]:
        """How many current articles are mostly in Arabic script (``"ar"``) and how many in
        Latin script (``"en"``), judged on their title and opening; kept until the library
        changes."""
        mix = self._kept_until_change("mix", lambda db, _: articles.language_mix(db))
        return dict(mix)

    def _kept_until_change(
        self, name: str, read: Callable[[sqlite_utils.Database, str | None], T]
    ) -> T:
        """``read(db, last ingest)``, kept until the library changes (a new generation, or an
        ingest that found nothing new): it reads every article row, and anyone may ask."""
        db = self._db()
        key = (get_meta(db, "generation"), get_meta(db, "last_ingest"))
        kept = self._kept.get(name)
        if kept is None or kept[0] != key:
            kept = self._kept[name] = (key, read(db, key[1]))
        return cast(T, kept[1])

    # -- what alerts need -----------------------------------------------------------------------

    def last_article_id(self) -> int:
        """The highest article id ever given (ids are never reused): the articles stored after
        it are the ones to come."""
        return articles.highest_article_id(self._db())

    def current_articles(self, article_ids: Iterable[int]) -> set[int]:
        """Those of ``article_ids`` still in the library."""
        return articles.current_articles(self._db(), list(article_ids))

    def new_matches(self, phrases: Iterable[str], after_article_id: int) -> NewMatches:
        """Which passages of the articles stored after ``after_article_id`` match each of
        ``phrases`` (see ``matching``), and up to which article id that is complete.

        Only articles that the serving index holds are ready: the new articles are taken in id
        order up to the first one that it does not hold yet (an ingest not swapped in yet, or
        another process's not loaded yet). When the database has held articles that no saved
        index holds for ``index_repair_seconds`` (an ingest died before saving its index), the
        index is rebuilt here, unless an ingest is running."""
        return matching.new_matches(
            self._db(),
            self._serving,
            self._lock,
            list(phrases),
            after_article_id,
            recheck_seconds=self.recheck_seconds,
            repair_seconds=self.index_repair_seconds,
        )

    def match_hits(self, phrase: str, matches: Iterable[Match]) -> dict[int, Hit]:
        """The hits to quote for ``matches`` of ``phrase``, by passage id; a passage that an
        edit purged since it matched is missing."""
        matches = list(matches)
        index = self._current_index()
        weights = term_weights(index, matching.phrase_terms(index, phrase))
        rows = self._passage_rows([m.passage_id for m in matches])
        return {
            m.passage_id: hit(rows[m.passage_id], m.score, weights)
            for m in matches
            if m.passage_id in rows
        }

    def _db(self) -> sqlite_utils.Database:
        """This thread's connection: SQLite connections must not be shared between threads."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = connect(self.path)
        return db
