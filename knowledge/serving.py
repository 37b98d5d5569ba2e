"""The index that serves searches: loaded or built, saved beside the library, swapped in whole,
caught up when another process changed the library, repaired when no ingest saved it.

Searches read an immutable index snapshot; a new one replaces it in one assignment, so readers
see either the old library or the new one, never a mix. A saved index records the library's id,
generation and analyser version, and is rebuilt, never served, when they are not the database's.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import sqlite_utils

from . import analysis
from .errors import IngestRunning
from .index import BM25Index, BM25Params, IndexFileError, count_postings
from .locking import WriteLock
from .store import articles, vocabulary
from .store.connection import get_meta, library_id

logger = logging.getLogger(__name__)


class ServingIndex:
    """The library's serving index and the saved file it comes from."""

    def __init__(self, path: Path, params: BM25Params) -> None:
        self.database = path
        self.path = path.with_name(path.name + ".bm25")
        self.params = params
        self.index: BM25Index | None = None
        self.read_only = False
        """A read-only library: an index built is served from memory, never saved."""
        self._checked_at = time.monotonic()
        self._lag: tuple[str | None, float] | None = None
        """The database generation no saved index held yet, and when that was first seen."""

    def load_or_build(self, db: sqlite_utils.Database) -> BM25Index:
        """Serve the saved index if it is current, else one built now (and saved)."""
        index = self.saved(db)
        if index is None:
            logger.info("building the index")
            index = self.build(db)
        self.index = index
        return index

    def saved(self, db: sqlite_utils.Database) -> BM25Index | None:
        """The saved index if it is this library's current one; None if it is missing, stale
        (another library, generation, analyser or BM25 parameters) or damaged."""
        try:
            index = BM25Index.load(self.path)
        except FileNotFoundError:
            return None
        except IndexFileError as error:
            logger.warning(
                "the saved index cannot be used, rebuilding it from the database: %s", error
            )
            return None
        if index.meta == self._meta(db) and index.params == self.params:
            return index
        logger.debug("the saved index is stale")  # debug: a running bot checks every second
        return None

    def build(self, db: sqlite_utils.Database) -> BM25Index:
        """Build the index from the stored terms, save it, and serve it."""
        vocab = {term: i for i, term in enumerate(vocabulary.vocabulary(db))}
        ids, lengths, terms = corpus_arrays(db)
        postings = count_postings(terms, lengths, len(vocab))
        del terms  # before the postings' weights take its room: the peak of a big ingest
        index = BM25Index.from_postings(*postings, lengths, vocab, ids, self.params, self._meta(db))
        if self.read_only:
            logger.info("a read-only library: the index built is served from memory")
        else:
            try:
                index.save(self.path)
                # whoever may read the library may read its index (mkstemp made it private)
                os.chmod(self.path, stat.S_IMODE(self.database.stat().st_mode))
            except OSError as error:  # a read-only folder still serves, from memory
                logger.warning("cannot save the index next to the library: %s", error)
        self.index = index
        return index

    def current(self, db: sqlite_utils.Database, recheck_seconds: float) -> BM25Index:
        """The serving index, reloaded when another process (a CLI ingest, another bot
        instance) has changed the library; checked at most every ``recheck_seconds``."""
        index = self.index
        assert index is not None
        if not index.intact():
            # Someone cut the saved file short under this process (it was written over in
            # place): its pages are gone, and touching one would kill the process.
            logger.error("the index file %s was cut short while in use: rebuilding it", self.path)
            return self.build(db)
        now = time.monotonic()
        if now - self._checked_at < recheck_seconds:
            return index
        self._checked_at = now
        if self.behind(db):
            # Only load what the other process saved: never rebuild inside a search. Until its
            # new index is saved, the old one keeps serving (and this is tried again).
            fresh = self.saved(db)
            if fresh is not None:
                self.index = fresh
        assert self.index is not None
        return self.index

    def behind(self, db: sqlite_utils.Database) -> bool:
        """Whether the database holds a generation that the serving index was not built from."""
        assert self.index is not None
        return get_meta(db, "generation", "0") != self.index.meta.get("generation")

    def catch_up(self, db: sqlite_utils.Database, warning: str) -> None:
        """Under the write locks: serve the index of the database's generation if the serving
        one is behind it (the saved one, else one built now), then purge the retired rows."""
        if self.behind(db):
            logger.warning(warning)
            self.load_or_build(db)
            articles.purge_retired(db)

    def lag_seconds(self, db: sqlite_utils.Database) -> float:
        """How long the database has held a generation that the serving index was not built
        from, as far as this process has looked (0 when the index is current)."""
        generation = get_meta(db, "generation", "0")
        if not self.behind(db):
            self._lag = None
            return 0.0
        now = time.monotonic()
        if self._lag is None or self._lag[0] != generation:
            self._lag = (generation, now)
        return now - self._lag[1]

    def repair(self, db: sqlite_utils.Database, lock: WriteLock) -> bool:
        """Build the index of the database's generation, which no ingest saved (it died or
        failed before saving it); True if the serving index changed. Never waits: while an
        ingest of this library runs, here or in another process, that is its job."""
        try:
            with lock.writing(wait=False):
                self.catch_up(db, "no index was saved for the stored articles: building it")
                return True
        except IngestRunning:
            return False

    def _meta(self, db: sqlite_utils.Database) -> dict:
        # The library's own id too: a database restored or copied over this one starts its
        # generations again, and must not be served the index of the one it replaced.
        return {
            "library": library_id(db),
            "generation": get_meta(db, "generation", "0"),
            "analyser_version": analysis.ANALYSER_VERSION,
        }


def term_ids(db: sqlite_utils.Database) -> Iterator[tuple[int, bytes]]:
    """(passage id, int32 term ids) of every passage, as indexed: the title counts toward
    each of its passages (measured: dropping it costs 3-6 points of R@1 on Arabic sets)."""
    for passage_id, title_terms, terms in articles.corpus(db):
        yield passage_id, title_terms + terms


def corpus_arrays(db: sqlite_utils.Database) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(passage ids, lengths in terms, int32 term ids end to end) of every passage, as
    ``term_ids`` yields them: sized once from the database and filled in place as the rows
    stream, never held as a list of blobs and joined (each a second copy of the library's
    terms; at a million passages, half a gigabyte each)."""
    count, size = articles.corpus_size(db)
    ids = np.empty(count, dtype=np.int64)
    lengths = np.empty(count, dtype=np.int64)
    terms = np.empty(size // 4, dtype=np.int32)
    room = terms.data.cast("B")
    row = used = 0
    for passage_id, blob in term_ids(db):
        end = used + len(blob)
        if row == len(ids) or end > len(room):  # the library grew since it was measured
            ids, lengths = np.resize(ids, 2 * row + 1), np.resize(lengths, 2 * row + 1)
            terms = np.resize(terms, 2 * (end // 4) + 1)
            room = terms.data.cast("B")
        room[used:end] = blob
        ids[row] = passage_id
        lengths[row] = len(blob) // 4
        row += 1
        used = end
    room.release()
    return ids[:row], lengths[:row], terms[: used // 4]
