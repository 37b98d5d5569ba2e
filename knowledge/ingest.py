"""The ingest pipeline: read -> keep what changed -> prepare -> store -> sync removals.

Reading happens before the write lock is taken (fetching can take long); what was read is then
stored in one transaction, and the caller swaps the new index in. Analysing again after the
analyser changed (``reanalyse``) is here too: it is an ingest of what is stored.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from . import analysis, passages
from .fetch import FetchOptions, is_url
from .index import BM25Params
from .prepare import Prepared, Vocabulary, prepare_all, prepare_chunks
from .reading import read_paths
from .records import Article, FileError, IngestReport, ReadResult, WebMemory
from .store import articles as stored
from .store import memory, vocabulary
from .store.connection import get_meta, now, set_meta, write_transaction

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""Called with (done, total) as an ingest reads and analyses articles."""


@dataclass(frozen=True)
class Sync:
    """What a sync may remove: articles under ``paths``, written before ``since`` (when its
    reading began)."""

    paths: list[str | Path]
    since: str


def read(db: sqlite_utils.Database, paths: list[str | Path], options: FetchOptions) -> ReadResult:
    """Read ``paths``, skipping what earlier ingests stored and has not changed since."""
    web = WebMemory(
        memory.web_validators(db), memory.entry_fingerprints(db), memory.web_listings(db)
    )
    return read_paths(paths, memory.file_signatures(db), web, options)


def apply(
    db: sqlite_utils.Database,
    read: ReadResult,
    sync: Sync | None,
    progress: Progress | None,
    params: BM25Params,
) -> tuple[IngestReport, bool]:
    """Store what was read in one transaction; with ``sync``, also remove the stored articles
    under its paths that ``read`` no longer holds. Returns the report, and whether a new
    generation was written (the caller then builds and swaps in its index)."""
    report = IngestReport(failed=list(read.failed))
    hashes = stored.article_hashes(db)
    skipped = stored.keys_from_files(db, read.skipped) | (read.unchanged_keys & hashes.keys())
    report.unchanged += len(skipped)
    articles = _not_outdated(db, read.articles, report)
    versions = {a.key: a.version for a in articles if a.version is not None}
    changed = _changed(articles, hashes, report)
    removals = _removals(db, sync, read, skipped) if sync is not None else []
    if not (changed or removals):
        if report.stored_anything:
            with db.atomic():
                memory.record_versions(db, versions)  # an unchanged newer version counts
                _remember_sources(db, read)
                set_meta(db, last_ingest=now())
        return report, False
    with write_transaction(db):
        words = Vocabulary(vocabulary.vocabulary(db))  # (only read when it may grow)
        writer = stored.ArticleWriter(db)
        report.passages = _store_changed(writer, changed, words, progress)
        report.added_ids = writer.added
        vocabulary.add_terms(db, words.new_terms())
        memory.record_versions(db, versions)
        _remember_sources(db, read)
        stored.retire_articles(db, removals)
        report.removed = len(removals)
        finish_write(db, params)
    return report, True


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
    )


def _store_changed(
    writer: stored.ArticleWriter,
    changed: list[tuple[Article, str]],
    words: Vocabulary,
    progress: Progress | None,
) -> int:
    """Analyse and write the changed articles, a chunk at a time: the workers analyse the next
    chunks while this one is written, by a thread of its own (SQLite works without Python's
    lock, so the writing overlaps with taking in the next chunk). Returns the number of
    passages written."""
    titles_and_texts = [(a.title, a.text) for a, _ in changed]
    written = 0
    done = 0
    with ThreadPoolExecutor(1, thread_name_prefix="ingest-writer") as writing:
        pending: Future[int] | None = None
        for prepared in prepare_chunks(titles_and_texts, words, progress):
            batch = changed[done : done + len(prepared)]
            done += len(prepared)
            rows = [
                (_article_row(article, digest, p.title_terms), _passage_rows(article.text, p))
                for (article, digest), p in zip(batch, prepared, strict=True)
            ]
            if pending is not None:
                written += pending.result()  # (and an error in the writer stops here)
            pending = writing.submit(writer.write, rows)
        if pending is not None:
            written += pending.result()
    return written


def _changed(
    articles: list[Article], known: dict[str, tuple[int, str]], report: IngestReport
) -> list[tuple[Article, str]]:
    """The new and changed articles with their content hashes; counts all in ``report``."""
    changed = []
    seen: set[str] = set()
    for article in articles:
        if article.key in seen:
            duplicate = FileError(article.path, f"duplicate article id {article.key!r}")
            report.failed.append(duplicate)
            continue
        seen.add(article.key)
        digest = _digest(article)
        previous = known.get(article.key)
        if previous and previous[1] == digest:
            report.unchanged += 1
            continue
        changed.append((article, digest))
        if previous:
            report.updated += 1
        else:
            report.added += 1
    return changed


def _removals(
    db: sqlite_utils.Database, sync: Sync, read: ReadResult, skipped: set[str]
) -> list[int]:
    """Stored articles from ``paths`` (files or folders) that they no longer hold.

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
    keys = {a.key for a in read.articles} | skipped
    protected = failed + sorted(read.feeds)
    return [
        article_id
        for article_id, key, path, written in stored.article_paths(db)
        if key not in keys
        and written < sync.since
        and any(_within(path, root) for root in roots)
        and not any(_within(path, p) for p in protected)
    ]


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
    memory.record_files(db, read.settled)
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


def _digest(article: Article) -> str:
    fields = (
        article.title,
        article.text,
        article.published,
        article.url,
        article.source,
        article.lang,
        article.path,
    )
    return hashlib.sha256("\x1f".join(str(f) for f in fields).encode()).hexdigest()


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)
