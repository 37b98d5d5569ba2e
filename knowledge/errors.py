"""The library's errors: each one's message says what the user can do about it."""

from __future__ import annotations


class KnowledgeError(Exception):
    """A library problem that the user can act on; the message says what."""


class LibraryBusy(KnowledgeError):
    """The library is being updated; try again in a moment."""


class IngestRunning(LibraryBusy):
    """Another ingest of this library is running; try again when it is done."""


class SchemaError(Exception):
    """The database was made by another version of articlebot."""


INGEST_RUNNING = "another ingest of this library is running; try again when it is done"
"""The message of ``IngestRunning``."""
