"""The bot's background embedding: the passages without a vector are embedded in a thread of
its own while the bot serves, one run at a time, after the start and after each reload or batch
of channel posts (``ARTICLEBOT_EMBED``; off where the platform has no model).

One worker (the run's own copy of the model, one thread): the other cores stay with the
questions and the ingests. Batches are small, so a stop (at shutdown) is heard within one.
A passage without a vector yet is ranked by BM25 alone meanwhile.
"""

from __future__ import annotations

import logging
import threading

from knowledge import KnowledgeError, Library
from knowledge.embed import EmbeddingRunning

logger = logging.getLogger(__name__)

__all__ = ["BackgroundEmbedding"]


class BackgroundEmbedding:
    """Embeds ``library``'s missing passages apart, on request, until closed."""

    def __init__(self, library: Library, enabled: bool = True) -> None:
        self.library = library
        self.enabled = enabled and library.embedder is not None
        self._wanted = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.embedded = 0
        """Passages embedded so far (for the log and tests)."""

    def request(self) -> None:
        """Embed what is missing, soon (a run under way goes on to the new passages too)."""
        if not self.enabled or self._stop.is_set():
            return
        with self._lock:
            self._idle.clear()
            self._wanted.set()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="embedding", daemon=True)
                self._thread.start()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until nothing requested is left to do (for tests); False on a timeout."""
        return self._idle.wait(timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Stop after the batch under way (blocking: call it off the event loop)."""
        self._stop.set()
        self._wanted.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        # The vectors already stored are loaded here, at start, not by the first question.
        self.library.vectors()
        while not self._stop.is_set():
            self._wanted.wait()
            if self._stop.is_set():
                break
            self._wanted.clear()
            try:
                count = self.library.embed(workers=1, stop=self._stop.is_set)
            except EmbeddingRunning:
                logger.info("another process is embedding the library")
                count = 0
            except (KnowledgeError, OSError) as error:
                logger.warning("background embedding stopped: %s", error)
                count = 0
            except Exception:  # a bug must not end the bot: logged, tried again on request
                logger.exception("background embedding failed")
                count = 0
            if count:
                self.embedded += count
                logger.info("embedded %d passages in the background", count)
            if not self._wanted.is_set():
                self._idle.set()
        self._idle.set()
