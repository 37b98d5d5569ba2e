"""Shared fixtures: every test gets its own data folder and library, never the user's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.people import People
from knowledge import FetchOptions, Library

from .web_helpers import Site, serve


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the default library path and the XDG data folder at a temporary folder."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("ARTICLEBOT_DB", raising=False)


def write(path: Path, text: str | bytes) -> Path:
    """Write an article file, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib = Library.open(tmp_path / "lib.db")
    lib.fetch_options = FetchOptions(allow_private=True)  # the test site is on 127.0.0.1
    yield lib
    lib.close()


@pytest.fixture
def site() -> Iterator[Site]:
    """A local web site on 127.0.0.1 serving the routes a test adds."""
    site = Site()
    server = serve(site)
    yield site
    site.done.set()  # releases the requests left hanging
    server.shutdown()
    server.server_close()


@pytest.fixture
def people(library: Library) -> Iterator[People]:
    """People's state, in the library's file."""
    with People(library.path) as kept:
        yield kept


BODY = "نص المقال الأول عن وقف إطلاق النار في غزة بعد أحد عشر يوما من القتال والقصف."
"""An article's text, about a ceasefire in Gaza."""


def write_article(folder: Path, name: str, text: str = BODY, **meta: str) -> Path:
    """Write a Markdown article with front matter ``meta`` (title, date, url...)."""
    front = "".join(f"{k}: {v}\n" for k, v in meta.items())
    return write(folder / name, f"---\n{front}---\n{text}\n")
