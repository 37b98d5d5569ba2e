"""The ``articlebot`` command line: a thin layer of click commands over ``knowledge.Library``,
and the bot's commands (``run``, ``chat``), imported only when used."""

from __future__ import annotations

import importlib
import json
import logging
import sqlite3
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import click

from bot.launch import DB_META, db_option, load_env_file, open_library
from bot.people import People
from bot.progress import ingest_progress, progress_bar
from knowledge import Hit, KnowledgeError, Library, LibraryStats, SearchResult
from knowledge.embed import EmbeddingRunning
from knowledge.errors import READ_ONLY
from knowledge.records import Duplicate, IngestReport
from knowledge.store.health import explain as explain_storage_error

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
embed_option = click.option(
    "--embed/--no-embed",
    default=True,
    show_default=True,
    help="Then embed the passages without a vector (where this platform has the model).",
)


class _Commands(click.Group):
    """The library commands, plus the bot's ``run`` and ``chat``, imported only when used so
    that ``ask`` does not pay for importing Telegram."""

    lazy: ClassVar[dict[str, str]] = {"run": "bot.serve", "chat": "bot.chat"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        load_env_file()  # every command, not only run and chat: one library for all of them
        return super().make_context(info_name, args, parent, **extra)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy and name not in self.commands:
            module = importlib.import_module(self.lazy[name])
            self.add_command(getattr(module, name))
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a full disk or a damaged database is said, not a traceback."""
        try:
            return super().invoke(ctx)
        except (OSError, sqlite3.DatabaseError) as error:
            known = explain_storage_error(error, ctx.meta.get(DB_META, ""))
            if known is None:
                raise
            raise click.ClickException(str(known)) from error


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="articlebot")
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """Answer questions about a library of news articles by quoting them."""
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def _echo_json(value: object) -> None:
    """Print ``value`` as indented JSON, Arabic as it is (not as \\u escapes)."""
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


@cli.command()
@click.argument("question", required=False)
@click.option(
    "-k", "k", type=click.IntRange(1, 100), default=3, show_default=True, help="How many passages."
)
@click.option(
    "--batch",
    type=click.File("r", encoding="utf-8-sig"),
    default=None,
    help='JSON lines {"id": ..., "question": ...} ("-" for stdin); one JSON line out each.',
)
@json_option
@db_option
def ask(question: str | None, k: int, batch: Any, as_json: bool, db_path: Path) -> None:
    """Answer QUESTION with the best passages of the library.

    A library that does not exist yet is first built from the bundled articles.
    """
    if (question is None) == (batch is None):
        raise click.UsageError("give a QUESTION or --batch FILE (not both)")
    with open_library(db_path) as library:
        if question is None:  # so a batch was given
            for line in _batch_answers(library, batch, k):
                click.echo(json.dumps(line, ensure_ascii=False))
            return
        result = library.search(question, k)
        if as_json:
            _echo_json(result.as_json())
        else:
            click.echo(format_result(result, color=sys.stdout.isatty()))


def _batch_answers(library: Library, lines: Any, k: int) -> Iterator[dict]:
    """One answer a JSON line; a bad line gets an ``error`` instead of stopping the batch."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            yield {"id": None, "error": f"line {number}: not JSON ({error.msg})"}
            continue
        record = record if isinstance(record, dict) else {}
        question = record.get("question")
        if not isinstance(question, str):
            yield {"id": record.get("id"), "error": f'line {number}: no "question" string'}
            continue
        yield {"id": record.get("id"), **library.search(question, k).as_json()}


def format_result(result: SearchResult, *, color: bool = False) -> str:
    """A search result as readable terminal text, matched words marked."""
    if not result.answered:  # never a passage that only shares a word with the question
        return _UNANSWERED.get(result.reason or "", _UNANSWERED["off_topic"])
    # The passages grouped by article (in the order of each article's best passage), numbered.
    articles: dict[int, list[tuple[int, Hit]]] = {}
    for number, hit in enumerate(result.hits, 1):
        articles.setdefault(hit.article_id, []).append((number, hit))
    return "\n\n".join(_format_article(hits, color) for hits in articles.values())


_UNANSWERED = {
    "empty": "Please ask a question in words.",
    "stopwords": "That question has only very common words; please ask something more specific.",
    "no_match": "The library has nothing on that. Try other words, or `articlebot latest`.",
    "off_topic": "The library does not seem to answer that. Try other words, "
    "or `articlebot latest`.",
}


def _format_article(hits: list[tuple[int, Hit]], color: bool) -> str:
    first = hits[0][1]
    date = (first.published or "")[:10]
    head = first.title + (f" — {date}" if date else "") + (f"\n{first.url}" if first.url else "")
    lines = [click.style(head, bold=True) if color else head]
    for number, hit in hits:
        lines.append(f"  {number}. {_marked(hit, color)}")
        lines += [f"     also in: {_source(other)}" for other in hit.also_in]
    return "\n".join(lines)


def _source(other: Duplicate) -> str:
    """Another article that carries a hit's passage: its paper, title, date and link."""
    date = (other.published or "")[:10]
    parts = [other.source, other.title, date, other.url]
    return " — ".join(part for part in parts if part)


def _marked(hit: Hit, color: bool) -> str:
    mark: Callable[[str], str] = (
        (lambda s: click.style(s, bold=True, fg="yellow")) if color else (lambda s: f"**{s}**")
    )
    out, last = [], 0
    for start, end in hit.matches:
        out += [hit.text[last:start], mark(hit.text[start:end])]
        last = end
    out.append(hit.text[last:])
    return "".join(out).replace("\n\n", "\n     ")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option(
    "--sync",
    is_flag=True,
    help="Also remove articles that the given files and folders no longer contain.",
)
@embed_option
@json_option
@db_option
def ingest(paths: tuple[str, ...], sync: bool, embed: bool, as_json: bool, db_path: Path) -> None:
    """Add or update the articles in PATHS: files or folders (read recursively), and http(s)
    URLs of RSS/Atom feeds, OPML lists of feeds and article pages.

    Formats: .md/.txt (optional YAML front matter), .html/.htm, .json/.jsonl, feeds (.rss,
    .atom, .xml) and OPML lists (.opml). The articles are searchable once stored; then the
    passages without a vector are embedded (--no-embed: later, with `articlebot embed`).
    Exits 0 when anything was stored, 1 when every source failed.
    """
    with open_library(db_path, None) as library:
        with ingest_progress(not as_json) as bar:
            try:
                report = library.ingest(paths, sync=sync, progress=bar)
            except KnowledgeError as error:  # e.g. another ingest of this library is running
                raise click.ClickException(str(error)) from error
        if as_json:
            _echo_json(report.as_json())
        else:
            _echo_ingest(report)
        # The articles are searchable already (and the ingest's lock released): a bot or
        # another ingest goes on while this embeds.
        if embed:
            _embed(library, not as_json, None)
    if not report.stored_anything and report.failed:
        sys.exit(1)


def _echo_ingest(report: IngestReport) -> None:
    """The summary of an ingest, then what it skipped, noted and failed, a line each."""
    skipped = f", skipped {len(report.ignored)}" if report.ignored else ""
    click.echo(
        f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
        f"removed {report.removed}, failed {len(report.failed)}{skipped}; "
        f"{report.passages} passages written in {report.seconds:.2f} s"
    )
    if report.demo_removed:
        click.echo("the bundled demo article was removed: the library holds your articles")
    for label, problems in (
        ("skipped", report.ignored),
        ("note", report.notes),
        ("failed", report.failed),
    ):
        for problem in problems:
            click.echo(f"  {label}: {problem.path}: {problem.reason}", err=True)


@cli.command()
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=None,
    help="Worker processes (default: the CPUs this process may use).",
)
@click.option("--limit", type=click.IntRange(1), default=None, help="Embed at most this many.")
@db_option
def embed(workers: int | None, limit: int | None, db_path: Path) -> None:
    """Embed the passages that have no vector yet (the semantic signal): resumable, an
    interrupted run loses only the batches in flight."""
    with open_library(db_path, None, create=False) as library:
        if library.embedder is None:
            raise click.ClickException(SEMANTIC_OFF)
        if library.read_only:
            raise click.ClickException(READ_ONLY.format(path=library.path))
        _embed(library, True, workers, limit)


SEMANTIC_OFF = "semantic: off (BM25 only: no model for this platform)"


def _embed(library: Library, say: bool, workers: int | None, limit: int | None = None) -> None:
    """Embed what is missing with a progress bar; another run embedding it already, or Ctrl-C,
    is said, not an error (what was stored stays, and the next run goes on)."""
    if library.embedder is None:
        return
    try:
        with progress_bar(say, "Embedding") as bar:
            count = library.embed(progress=bar, workers=workers, limit=limit)
    except EmbeddingRunning as running:
        click.echo(str(running), err=True)
        return
    except KeyboardInterrupt:
        click.echo("embedding interrupted: `articlebot embed` goes on from here", err=True)
        sys.exit(130)
    stats = library.stats()
    if say and (count or stats.passages):  # (nothing to say of an empty library)
        click.echo(f"{count} passages embedded; {_vectors_line(stats)}")


def _vectors_line(stats: LibraryStats) -> str:
    if stats.vector_model is None:
        return SEMANTIC_OFF
    return (
        f"vectors: {stats.vectors:,} of {stats.passages:,} passages "
        f"({stats.vectors_share:.0%}), model {stats.vector_model}"
    )


@cli.command()
@click.option("-n", "n", type=click.IntRange(1, 1000), default=10, show_default=True)
@json_option
@db_option
def latest(n: int, as_json: bool, db_path: Path) -> None:
    """List the newest articles by publish date."""
    with open_library(db_path) as library:
        articles = library.latest(n)
    if as_json:
        _echo_json([vars(a) for a in articles])
        return
    for a in articles:
        date = (a.published or "undated")[:10]
        click.echo(f"{a.id:>5}  {date}  {a.title}" + (f"  <{a.url}>" if a.url else ""))


@cli.command()
@click.option(
    "--check",
    is_flag=True,
    help="Check the database's pages first (exit 1 if it is damaged: say how to recover).",
)
@json_option
@db_option
def stats(check: bool, as_json: bool, db_path: Path) -> None:
    """Show what the library holds and how it is used."""
    with open_library(db_path, None, create=False, check=check) as library:
        figures = library.stats()
        if library.read_only:  # (questions are logged only where the library can be written)
            usage = None
        else:
            with People(library.path) as people:
                usage = people.stats(library)
    if as_json:
        _echo_json({**figures.as_json(), **(usage.as_json() if usage else {"read_only": True})})
        return
    if check:
        click.echo("database:    checked, no damage found")
    click.echo(f"library:     {figures.path}")
    click.echo(f"articles:    {figures.articles} ({figures.passages} passages)")
    if figures.undated:
        click.echo(f"undated:     {figures.undated} articles without a date")
    click.echo(f"last ingest: {figures.last_ingest or 'never'}")
    bm25 = ", ".join(f"{name} {value}" for name, value in figures.bm25.items())
    click.echo(f"analyser:    {figures.analyser_version}; BM25 {bm25}")
    label, _, text = _vectors_line(figures).partition(": ")
    click.echo(f"{label + ':':<13}{text}")
    if usage is None:
        click.echo("questions:   not recorded (a read-only library)")
        return
    click.echo(f"questions:   {usage.questions} asked, {usage.unanswered} unanswered")
    for q in usage.top_unanswered:
        click.echo(f"  {q.count:>4}  {q.question}")
    rate = usage.helpful_rate
    helpful = "" if rate is None else f" ({rate:.0%} helpful)"
    click.echo(f"feedback:    {usage.votes} votes, {usage.helpful} helpful{helpful}")
    for p in usage.top_unhelpful:
        start = " ".join(p.start.split())[:60]
        click.echo(f"  {p.unhelpful:>4}  {p.title}: {start}")


@cli.command()
@json_option
@db_option
def sources(as_json: bool, db_path: Path) -> None:
    """Show where the library's articles come from: count and newest article per source."""
    with open_library(db_path, None, create=False) as library:
        coverage = library.coverage()
    if as_json:
        _echo_json(coverage.as_json())
        return
    click.echo(f"{coverage.articles} articles, last refreshed {coverage.last_refresh or 'never'}")
    for origin in coverage.origins:
        newest = (origin.newest or "undated")[:10]
        title = f"  (newest: {origin.newest_title})" if origin.newest_title else ""
        click.echo(f"{origin.articles:>7}  {newest}  {origin.name or '-'}{title}")


@cli.command(name="eval")
@click.argument("squad_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-k", "k", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option(
    "--off-topic",
    type=click.File("r", encoding="utf-8"),
    multiple=True,
    help="Questions the set cannot answer, one a line: count those answered anyway, per "
    "language (repeatable: each file is counted apart).",
)
@click.option(
    "--questions",
    "questions_from",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Ask the questions of this parallel file (same articles, paragraphs and questions, "
    "e.g. XQuAD in another language) instead: questions across languages.",
)
@click.option("--bm25-only", is_flag=True, help="Skip the hybrid ranking (no model needed).")
@json_option
def eval_command(
    squad_file: Path,
    k: int,
    off_topic: tuple[Any, ...],
    questions_from: Path | None,
    bm25_only: bool,
    as_json: bool,
) -> None:
    """Measure retrieval on a SQuAD-format question file, in a temporary library.

    Each SQuAD article becomes an article and each paragraph a paragraph; a question is found
    when a top-k passage comes from its own paragraph (R@k, MRR) or contains a gold answer.
    BM25 alone and hybrid ranking (when the model is installed) side by side.
    """
    from knowledge.embedding import default_embedder
    from knowledge.evaluation import compare_rankers

    lists = {}
    for number, handle in enumerate(off_topic):
        name = "off_topic" if number == 0 else f"off_topic_{Path(handle.name).stem}"
        lists[name] = [line.strip() for line in handle if line.strip()]
    embedder = None if bm25_only else default_embedder()
    try:
        figures = compare_rankers(
            squad_file, k, lists, questions_from=questions_from, embedder=embedder
        )
    except ValueError as error:
        raise click.ClickException(f"{squad_file}: {error}") from error
    if as_json:
        _echo_json(figures)
        return
    names = list(figures)
    click.echo(f"{'':<28}" + "".join(f"{name:>10}" for name in names))
    for key in figures[names[0]]:
        values = [figures[name][key] for name in names]
        click.echo(
            f"{key:<28}"
            + "".join(f"{v:>10.1f}" if isinstance(v, float) else f"{v:>10}" for v in values)
        )


@cli.command()
@click.option(
    "--passages",
    type=click.IntRange(10, 10_000_000),
    default=100_000,
    show_default=True,
    help="Size of the synthetic library.",
)
@click.option("--queries", type=click.IntRange(10, 1_000_000), default=1000, show_default=True)
@click.option(
    "--source",
    "sources",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Benchmark these article files/folders instead of a synthetic library.",
)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--no-rank-bm25", is_flag=True, help="Skip the comparison with rank_bm25.")
@click.option(
    "--embed-sample",
    type=click.IntRange(0),
    default=200,
    show_default=True,
    help="Passages to measure embedding throughput on, one core (0: skip).",
)
@json_option
def bench(
    passages: int,
    queries: int,
    sources: tuple[Path, ...],
    seed: int,
    no_rank_bm25: bool,
    embed_sample: int,
    as_json: bool,
) -> None:
    """Measure ingest, index build, open time, query latency and memory, beside rank_bm25.

    Figures, not a test: compare them within one run on one machine.
    """
    from knowledge import bench as benchmark

    say = None if as_json else (lambda message: click.echo(f"... {message}", err=True))
    figures = benchmark.run(
        passages, queries, sources, seed, not no_rank_bm25, say, embed_sample=embed_sample
    )
    if as_json:
        click.echo(json.dumps(figures))
        return
    for name, value in figures.items():
        click.echo(f"{name:<22} {value}")


def main() -> None:
    cli(prog_name="articlebot")
