"""Progress on the terminal for the long commands (``ingest``, ``embed``): a bar while the
work can be counted, and a line as each later phase of an ingest begins."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from knowledge import ingest as ingest_phases


def terminal() -> bool:
    """Whether progress can be drawn: stderr is a terminal."""
    return sys.stderr.isatty()


@contextmanager
def progress_bar(wanted: bool, label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress callback drawing a bar on a terminal (from its first call, closed once at
    its total); None when piped or not wanted."""
    if not (wanted and terminal()):
        yield None
        return
    bar: click._termui_impl.ProgressBar[int] | None = None
    closed = False
    try:

        def update(done: int, total: int) -> None:
            nonlocal bar, closed
            if closed:
                return
            if bar is None:
                bar = click.progressbar(length=max(total, 1), label=label, file=sys.stderr)
                bar.__enter__()
            bar.update(done - bar.pos)
            if done >= total:
                closed = True
                bar.__exit__(None, None, None)

        yield update
    finally:
        if bar is not None and not closed:
            bar.__exit__(None, None, None)


INGEST_PHASES = {
    ingest_phases.READING: "Reading",
    ingest_phases.STORING: "Storing the last articles read…",
    ingest_phases.INDEXING: "Building the search index…",
}


class _IngestBar:
    """An ingest's progress: the reading's bar, then a line as each later phase begins."""

    def __init__(self, bar: Callable[[int, int], None]) -> None:
        self.bar = bar
        self.total = 0

    def __call__(self, done: int, total: int) -> None:
        self.total = total
        self.bar(done, total)

    def phase(self, name: str) -> None:
        self.bar(self.total, self.total)  # (closes the reading's bar)
        click.echo(INGEST_PHASES.get(name, name), err=True)


@contextmanager
def ingest_progress(wanted: bool) -> Iterator[Callable[[int, int], None] | None]:
    """An ingest's progress on a terminal: a bar while it reads (from its first second), then
    a line for each phase after (none sits silent at 100%); None when piped or not wanted."""
    if not (wanted and terminal()):
        yield None
        return
    with progress_bar(True, INGEST_PHASES[ingest_phases.READING]) as bar:
        yield None if bar is None else _IngestBar(bar)
