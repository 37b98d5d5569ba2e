"""Fixtures for the bot's tests: a library of the test articles and initialised bots on it,
whose HTML is checked after each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_application
from knowledge import Article, Library
from tests.bot.helpers import (
    Bot,
    make_settings,
)
from tests.telegram_helpers import (
    assert_telegram_html,
    make_recording_request,
    write_articles,
)


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    return write_articles(tmp_path / "articles")


@pytest.fixture
def library(tmp_path: Path, sources: Path) -> Library:
    lib = Library.open(tmp_path / "lib.db")
    lib.ingest([sources])
    yield lib
    lib.close()


@pytest.fixture
async def make_bot(
    tmp_path: Path, sources: Path, library: Library
) -> AsyncIterator[Callable[..., Any]]:
    """Builds initialised bots; afterwards checks that all they sent as HTML was valid."""
    bots: list[Bot] = []

    async def factory(
        responder: Callable | None = None, lib: Any = None, people: Any = None, **env: str
    ) -> Bot:
        request = make_recording_request(responder)
        app = build_application(
            make_settings(tmp_path, sources, **env),
            lib or library,
            request=request,
            get_updates_request=make_recording_request(),
            people=people,
        )
        await app.initialize()
        bots.append(Bot(app, request))
        return bots[-1]

    yield factory
    for b in bots:
        await b.app.post_stop(b.app)  # as run_polling does: stores the queued channel posts
        await b.app.shutdown()  # a no-op for those already shut down
        for call in b.sent():
            if call.params.get("parse_mode") == "HTML":
                assert_telegram_html(call.params["text"])


@pytest.fixture
async def bot(make_bot: Callable[..., Any]) -> Bot:
    return await make_bot()


@pytest.fixture
def many(library: Library) -> list[int]:
    """25 more articles about the truce in Gaza, for paging."""

    report = library.add_articles(
        Article(
            f"truce-{i}",
            f"تقرير رقم {i} عن الهدنة",
            f"صمدت الهدنة في غزة لليوم رقم {i} على التوالي بحسب الوسطاء في القاهرة.",
            published=f"2020-01-{i + 1:02}",
        )
        for i in range(25)
    )
    return report.added_ids
