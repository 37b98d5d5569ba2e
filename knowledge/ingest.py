"""The ingest pipeline: read -> keep what changed -> prepare -> store -> sync removals.

The web sources are read before the write lock is taken (fetching can take long); the local
files are read while their articles are stored, a batch at a time, in one transaction, and the
caller swaps the new index in. Analysing again after the
analyser changed (``reanalyse``) is here too: it is an ingest of what is stored.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from . import analysis, passages
from .fetch import FetchOptions, is_url
from .index import BM25Params
from .prepare import Prepared, Vocabulary, prepare_all, prepare_stream
from .reading import FileReading, scan_paths
from .records import Article, FileError, IngestReport, ReadResult, WebMemory
from .store import articles as stored
from .store import memory, vocabulary
from .store.connection import get_meta, now, set_meta, write_transaction

logger = logging.getLogger(__name__)


Progress = Callable[[int, int], None]
"""Called with (done, total) as an ingest reads and stores articles: bytes of the files to read
(and characters of the articles read before, from the web), read and taken in so far, from 0
as soon as the ingest may write. A callback with a ``phase`` method is also told, by name,
when each phase after the reading begins: ``STORING`` (the last articles read are analysed
and written), then ``INDEXING`` (the transaction commits and the search index is built), so
that a display never sits at 100% without saying what goes on."""

READING = "reading"
STORING = "storing"
INDEXING = "indexing"


@dataclass(frozen=True)
class Sync:
    """What a sync may remove: articles under ``paths``, written before ``since`` (when its
    reading began)."""

    paths: list[str | Path]
    since: str


def read(db: sqlite_utils.Database, paths: list[str | Path], options: FetchOptions) -> ReadResult:
    """Read the web sources among ``paths`` and list their local files (``pending``: ``apply``
    reads them), skipping what earlier ingests stored and has not changed since."""
    web = WebMemory(
        memory.web_validators(db), memory.entry_fingerprints(db), memory.web_listings(db)
    )
    return scan_paths(paths, memory.file_signatures(db), web, options)


def apply(
    db: sqlite_utils.Database,
    read: ReadResult,
    sync: Sync | None,
    progress: Progress | None,
    params: BM25Params,
    replace: Sequence[int] = (),
) -> tuple[IngestReport, bool]:
    """Store what was read, and read and store the files ``read`` lists as pending, in one
    transaction; with ``sync``, also remove the stored articles under its paths that they no
    longer hold. Returns the report, and whether a new generation was written (the caller then
    builds and swaps in its index). The articles ``replace`` names (the demo) are removed once
    this ingest has added or updated any, in the same transaction.

    The files are read one at a time, a batch of articles at a time, each batch analysed and
    written before more is read: memory stays bounded by a few batches, whatever the size of
    the library."""
    report = IngestReport()
    duplicates: list[FileError] = []
    versions: dict[str, int] = {}
    files = FileReading(read)
    with write_transaction(db):
        hashes = stored.article_hashes(db)
        skipped = stored.keys_from_files(db, read.skipped) | (read.unchanged_keys & hashes.keys())
        report.unchanged += len(skipped)
        total = files.total + sum(len(a.text) for a in read.articles)

        def batches() -> Iterator[list[Article]]:
            _report(progress, total - files.total, total)
            yield read.articles  # (web sources and posts, read before)
            for batch in files.batches():
                _report(progress, files.done + total - files.total, total)
                yield batch
            _phase(progress, STORING)

        keys: set[str] = set()
        changed = _changed(db, batches(), hashes, keys, versions, duplicates, report)
        _store_changed(db, changed, report)
        report.failed = read.failed + duplicates
        report.ignored = read.ignored
        removals = _removals(db, sync, read, keys | skipped) if sync is not None else []
        replaced = _replaced(replace, report, {hashes[k][0] for k in keys if k in hashes})
        written = bool(report.added or report.updated or removals)
        if written:
            _phase(progress, INDEXING)
        if written or report.stored_anything:
            memory.record_versions(db, versions)  # an unchanged newer version counts
            _remember_sources(db, read)
        if written:
            stored.retire_articles(db, removals + [i for i in replaced if i not in removals])
            report.removed = len(removals)
            report.demo_removed = len(replaced)
            finish_write(db, params)
        elif report.stored_anything:
            set_meta(db, last_ingest=now())
    return report, written


def _replaced(replace: Sequence[int], report: IngestReport, read_ids: set[int]) -> list[int]:
    """The articles of ``replace`` to remove: all but those this ingest read again, once it
    added or updated any."""
    if not (report.added or report.updated):
        return []
    return [i for i in replace if i not in read_ids]


def outdated(db: sqlite_utils.Database) -> bool:
    """Whether the stored passages were analysed, or split, by another analyser or splitter
    than this one (then ``reanalyse``). A library never written to is not."""
    if get_meta(db, "analyser_version") is None:
        return False
    return (get_meta(db, "analyser_version"), get_meta(db, "passages_version")) != (
        analysis.ANALYSER_VERSION,
        passages.PASSAGES_VERSION,
    )


def reanalyse(db: sqlite_utils.Database, params: BM25Params) -> None:
    """Analyse every stored article again (with a new vocabulary), after the analyser
    changed; passages may split differently too, so they are replaced."""
    logger.info("the analyser or the passage splitter changed: analysing the stored articles again")
    articles = stored.stored_articles(db)
    words = Vocabulary()
    prepared = prepare_all([(title, text) for _, title, text in articles], words)
    with db.atomic():
        vocabulary.replace_vocabulary(db, words.new_terms())
        for (article_id, _, text), p in zip(articles, prepared, strict=True):
            stored.replace_passages(db, article_id, p.title_terms, _passage_rows(text, p))
        finish_write(db, params)


def finish_write(db: sqlite_utils.Database, params: BM25Params) -> None:
    """Start the database's next generation (the one the next index is built from)."""
    generation = int(get_meta(db, "generation", "0") or "0") + 1
    set_meta(
        db,
        generation=generation,
        analyser_version=analysis.ANALYSER_VERSION,
        passages_version=passages.PASSAGES_VERSION,
        bm25=params.as_json(),
        last_ingest=now(),
        # Not moved by an ingest that finds nothing new (which moves last_ingest): what the
        # bot's "the library changed since" notes hang on.
        changed_at=now(),
    )


def _store_changed(
    db: sqlite_utils.Database, changed: Iterator[tuple[Article, str]], report: IngestReport
) -> None:
    """Analyse and write the changed articles, a chunk at a time: the workers analyse the next
    chunks while this one is written, by a thread of its own (SQLite works without Python's
    lock, so the writing overlaps with taking in the next chunk). Counts the passages written
    and the ids added in ``report``."""
    first = next(changed, None)
    if first is None:
        return
    words = Vocabulary(vocabulary.vocabulary(db))  # (only read when it may grow)
    writer = stored.ArticleWriter(db)
    articles = ((pair, pair[0].title, pair[0].text) for pair in itertools.chain([first], changed))
    # (prepare_stream forks its workers, if it does, before the writer's thread starts)
    with ThreadPoolExecutor(1, thread_name_prefix="ingest-writer") as writing:
        pending: Future[int] | None = None
        for chunk in prepare_stream(articles, words):
            rows = [
                (_article_row(article, digest, p.title_terms), _passage_rows(article.text, p))
                for (article, digest), p in chunk
            ]
            if pending is not None:
                report.passages += pending.result()  # (and an error in the writer stops here)
            pending = writing.submit(writer.write, rows)
        if pending is not None:
            report.passages += pending.result()
    report.added_ids = writer.added
    vocabulary.add_terms(db, words.new_terms())


def _changed(
    db: sqlite_utils.Database,
    batches: Iterable[list[Article]],
    known: dict[str, tuple[int, str]],
    keys: set[str],
    versions: dict[str, int],
    duplicates: list[FileError],
    report: IngestReport,
) -> Iterator[tuple[Article, str]]:
    """The new and changed articles of ``batches`` with their content hashes, as they are read;
    counts all in ``report``, and adds to ``keys`` every key read, to ``versions`` the versions
    read (of articles not outdated), and to ``duplicates`` the articles read twice."""
    seen: set[str] = set()
    for read in batches:
        batch = [a.storable() for a in read]
        keys.update(a.key for a in batch)
        articles = _not_outdated(db, batch, report)
        versions.update((a.key, a.version) for a in articles if a.version is not None)
        for article in articles:
            if article.key in seen:
                duplicates.append(FileError(article.path, f"duplicate article id {article.key!r}"))
                continue
            seen.add(article.key)
            report.notes += [FileError(_named(article), note) for note in article.notes]
            digest = article.digest()
            previous = known.get(article.key)
            if previous and previous[1] == digest:
                report.unchanged += 1
                continue
            if previous:
                report.updated += 1
            else:
                report.added += 1
            yield article, digest


def _removals(db: sqlite_utils.Database, sync: Sync, read: ReadResult, keys: set[str]) -> list[int]:
    """Stored articles from ``paths`` (files or folders) that they no longer hold (that are
    not among ``keys``, those read and skipped as unchanged).

    Articles from elsewhere stay (an article ingested from another folder is not this sync's
    business). Nothing is removed when every local source failed, nor the articles of a file
    or folder that failed this time: an unreachable source must not empty the library. An
    empty folder, though, means its articles are gone. A feed lists only its newest items, so
    an item that rolled off a feed (a URL or a file) is not removed, and URLs are never synced.
    Nor is an article written since this ingest began to read (by another ingest, from a file
    this read may have missed): the next sync decides.
    """
    roots = [str(Path(p).expanduser().resolve()) for p in sync.paths if not is_url(p)]
    failed = [f.path for f in read.failed if not is_url(f.path)]
    read_any = bool(read.files or read.skipped)
    if not roots or (failed and not read_any):
        return []  # nothing could be read: better stale than empty
    # A file with a record that could not be parsed keeps its stored articles: which one that
    # record was is unknown (a whole file that failed was its files' failure before it streamed).
    unkeyed = [f.path.rsplit("#", 1)[0] for f in read.failed if f.reason.startswith(UNKEYED)]
    protected = failed + unkeyed + sorted(read.feeds)
    return [
        article_id
        for article_id, key, path, written in stored.article_paths(db)
        if key not in keys
        and written < sync.since
        and any(_within(path, root) for root in roots)
        and not any(_within(path, p) for p in protected)
    ]


UNKEYED = ("unparseable JSON", "undecodable bytes", "too big", "cut off")
"""How the reason for a record that could not be parsed (nor its key known) begins."""


def _not_outdated(
    db: sqlite_utils.Database, articles: Iterable[Article], report: IngestReport
) -> list[Article]:
    """``articles`` without those older than the stored version of them (counted in
    ``report.outdated``)."""
    articles = list(articles)
    versions = memory.article_versions(db, [a.key for a in articles if a.version is not None])
    fresh = []
    for article in articles:
        newest = versions.get(article.key)
        if article.version is not None and newest is not None and article.version < newest:
            logger.info(
                "%s: version %d is older than the stored %d", article.key, article.version, newest
            )
            report.outdated += 1
        else:
            fresh.append(article)
    return fresh


def _remember_sources(db: sqlite_utils.Database, read: ReadResult) -> None:
    """Remember, in the transaction that stores their articles, what need not be read again."""
    # (a file whose name is not UTF-8 cannot be named in the database: it is read every time)
    memory.record_files(db, {p: s for p, s in read.settled.items() if _storable(p)})
    memory.record_web(db, read.validators, read.entries, read.listings)


def _article_row(article: Article, digest: str, title_terms: bytes) -> dict:
    return {
        "key": article.key,
        "title": article.title,
        "published": article.published,
        "url": article.url,
        "source": article.source,
        "lang": article.lang,
        "path": article.path,
        "date_from_mtime": article.date_from_mtime,
        "hash": digest,
        "text": article.text,
        "title_terms": title_terms,
    }


def _passage_rows(text: str, prepared: Prepared) -> list[stored.PassageRow]:
    return [
        (position, start, end, text[start:end], terms, spans)
        for position, start, end, terms, spans in prepared.passages
    ]


def _report(progress: Progress | None, done: int, total: int) -> None:
    if progress:
        progress(done, total)


def _phase(progress: Progress | None, name: str) -> None:
    announce = getattr(progress, "phase", None)
    if announce is not None:
        announce(name)


def _named(article: Article) -> str:
    """How a report names an article: its record (``path#id``) or its file."""
    return article.key if article.key.startswith(article.path) else article.path or article.key


def _storable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)
