"""What every entry point shares: the ``--db`` option, the one place that resolves the database
path (``--db``, else ``$ARTICLEBOT_DB``, else the data folder), the bot's settings, and
``open_library``, the one way to open the library.

The library commands (``bot.cli``) and the bot's (``bot.serve``, ``bot.chat``) import this
module; it imports neither of them, nor Telegram.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from dotenv import load_dotenv

from bot.config import ConfigError, Settings, default_db_path
from knowledge import BUNDLED_ARTICLES, KnowledgeError, Library

__all__ = [
    "DB_ENV",
    "DB_META",
    "BotCommand",
    "db_option",
    "load_env_file",
    "load_settings",
    "open_library",
]

DB_ENV = "ARTICLEBOT_DB"
DB_META = "articlebot.db_path"
"""Where a command's ``--db`` path is kept in click's ``ctx.meta``."""

INTERRUPTED = (
    "The library at {path} is empty: an ingest into it started but did not finish (it was "
    "stopped or failed). Run the same `articlebot ingest` again to finish it."
)
"""Said when a library opens empty after its first ingest was interrupted: it is the user's
library (never filled with the demo), and nothing is in it yet."""


def _db_path(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    # click skips an empty $ARTICLEBOT_DB; one of blanks is as unset
    path = default_db_path() if not str(value).strip() else value.expanduser()
    ctx.meta[DB_META] = path  # (shared by the context chain: errors can name the library)
    return path


db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar=DB_ENV,
    default=default_db_path,
    callback=_db_path,
    help=f"Library database. Default: ${DB_ENV}, else articlebot.db in your data folder.",
)


def load_env_file() -> None:
    """Read a ``.env`` file in the working folder into the environment (what is set already
    wins), before any command's options: it sets them as the environment does."""
    load_dotenv(dotenv_path=Path.cwd() / ".env", override=False)


class BotCommand(click.Command):
    """A command of the bot: a ``.env`` file in the working folder is read before its options,
    so that it can set them as the environment does (``ARTICLEBOT_DB`` among them)."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        load_env_file()
        return super().make_context(info_name, args, parent, **extra)


def load_settings(db_path: Path) -> Settings:
    """The bot's settings from the environment (and ``.env``), with the library at
    ``db_path``; a click error if they are invalid. ``BotCommand`` has read ``.env``."""
    try:
        return Settings.from_env(db_path=db_path)
    except ConfigError as error:
        raise click.ClickException(str(error)) from error


def open_library(
    db_path: Path,
    sources: Sequence[str | Path] | None = (BUNDLED_ARTICLES,),
    *,
    create: bool = True,
    check: bool = False,
) -> Library:
    """The library at ``db_path``; a new one is filled from ``sources`` (the bundled articles
    unless given, and those only when nothing was ever ingested into it; None leaves it empty),
    and one left empty by an interrupted first ingest says so (on stderr). With ``create``
    false, a library that does not exist is an error (a mistyped --db); ``check`` checks the
    database's pages first. Errors are click errors that say what went wrong (a damaged
    database: how to recover)."""
    if not create and not db_path.exists():
        raise click.ClickException(f"no library at {db_path} (build one with `articlebot ingest`)")
    try:
        library = Library.open(db_path, default_sources=sources, check=check)
    except KnowledgeError as error:
        raise click.ClickException(str(error)) from error
    if sources is not None and library.ingest_interrupted():
        click.echo(INTERRUPTED.format(path=db_path), err=True)
    return library
