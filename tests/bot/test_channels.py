"""Channel posts as articles, and their queue (``bot.channels``)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot import channels, following
from knowledge import Library
from tests.bot.helpers import (
    ADMIN,
    MARS,
    POST,
    eventually,
)
from tests.telegram_helpers import (
    channel,
    channel_post,
    update,
    user,
)

DESALINATION = "محطة تحلية مياه البحر في العقبة"


async def test_a_channel_post_becomes_a_searchable_article(
    make_bot: Callable[..., Any], library: Library
) -> None:
    b = await make_bot(ARTICLEBOT_CHANNELS="@News_Channel")
    await b.post(POST, 77)
    hit = library.search(DESALINATION, 1).hits[0]
    assert hit.title == "افتتاح محطة لتحلية مياه البحر في العقبة"
    assert hit.url == "https://t.me/news_channel/77" and hit.source == "Channel News"
    article = library.article(hit.article_id)
    assert article.published == "2023-11-14T22:13:20+00:00"  # the post's date, in UTC
    assert article.text.split("\n\n") == POST.split("\n")[2:]  # one paragraph a line
    assert b.sent("sendMessage") == []  # nothing is posted in the channel
    await b.say("متى افتتحت محطة تحلية المياه في العقبة؟", from_user=user(2, "ar"))
    assert "خمسين مليون" in b.last()["text"] and "https://t.me/news_channel/77" in b.last()["text"]


async def test_an_edited_channel_post_replaces_its_article(
    make_bot: Callable[..., Any], library: Library
) -> None:
    b = await make_bot(ARTICLEBOT_CHANNELS="@news_channel")
    await b.post(POST, 78)
    first = library.search(DESALINATION, 1).hits[0].article_id
    edited = POST.replace("خمسين مليون", "ستين مليون")
    await b.post(edited, 78, edited=True)
    assert library.stats().articles == 4
    article = library.article(first)
    assert "ستين مليون" in article.text and "خمسين" not in article.text


async def test_a_private_channel_by_id_and_a_caption(
    make_bot: Callable[..., Any], library: Library
) -> None:
    b = await make_bot(ARTICLEBOT_CHANNELS="-1009876543210")
    private = channel(-1009876543210, None, "قناة خاصة")
    await b.send(
        update("channel_post", channel_post(POST, chat=private, message_id=5, caption=True))
    )
    await b.posts_stored()
    hit = library.search(DESALINATION, 1).hits[0]
    assert hit.url == "https://t.me/c/9876543210/5" and hit.source == "قناة خاصة"


async def test_other_channels_and_posts_without_text_are_ignored(
    make_bot: Callable[..., Any], library: Library, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG", logger="bot.channels")
    b = await make_bot(ARTICLEBOT_CHANNELS="@news_channel")
    other = channel(-1005555555555, "other_channel", "Other")
    await b.send(update("channel_post", channel_post(POST, chat=other)))
    await b.send(update("channel_post", channel_post(None, caption=True)))  # a bare photo
    await b.send(update("channel_post", channel_post("🔴 ... 🔴")))
    assert len(b.posts) == 0  # nothing was queued
    assert library.stats().articles == 3
    assert not library.search(DESALINATION, 1).answered
    assert "not listed" in caplog.text and caplog.text.count("no text") == 2
    unlisted = await make_bot()  # no ARTICLEBOT_CHANNELS: every channel is ignored
    await unlisted.send(update("channel_post", channel_post(POST)))
    assert library.stats().articles == 3


async def test_new_articles_reach_articles_arrived_from_posts_and_reloads(
    make_bot: Callable[..., Any],
    library: Library,
    sources: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reports = []

    async def spy(context: Any, report: Any) -> None:
        reports.append(report)

    monkeypatch.setattr(following, "articles_arrived", spy)
    b = await make_bot(ARTICLEBOT_CHANNELS="@news_channel")
    await b.send(update("channel_post", channel_post(POST)))
    await b.posts_stored()
    (sources / "mars.md").write_text(MARS, encoding="utf-8")
    await b.say("/reload", from_user=user(ADMIN, "en"))
    assert [len(r.added_ids) for r in reports] == [1, 1]
    assert library.article(reports[0].added_ids[0]).source == "Channel News"
    assert library.article(reports[1].added_ids[0]).title.startswith("Rover finds")
    assert library.search(DESALINATION, 1).answered  # a sync leaves channel posts alone


class OtherIngest:
    """What a command-line ingest of the library holds while it runs: its ingest lock."""

    def __init__(self, library: Library) -> None:
        import fcntl

        self.handle = open(library.path.with_name(library.path.name + ".lock"), "a")  # noqa: SIM115
        fcntl.flock(self.handle, fcntl.LOCK_EX)

    def end(self) -> None:
        import fcntl

        fcntl.flock(self.handle, fcntl.LOCK_UN)


@pytest.fixture
def other_ingest(library: Library) -> Any:
    ingest = OtherIngest(library)
    yield ingest
    ingest.handle.close()


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(channels.PostQueue, "backoff", channels.Backoff(0.01, 0.05))


@pytest.fixture
def arrivals(monkeypatch: pytest.MonkeyPatch) -> list:
    """The reports ``following.articles_arrived`` is called with."""
    reports = []

    async def spy(context: Any, report: Any) -> None:
        reports.append(report)

    monkeypatch.setattr(following, "articles_arrived", spy)
    return reports


async def test_a_post_waits_as_long_as_another_process_ingests(
    make_bot: Callable[..., Any],
    library: Library,
    other_ingest: OtherIngest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waited: list[float] = []
    stored_meanwhile = []

    async def simulated_pause(seconds: float) -> None:
        waited.append(seconds)
        stored_meanwhile.append(library.search(DESALINATION, 1).answered)
        if sum(waited) > 2 * (2 + 10 + 60):  # twice as long as the retries used to last
            other_ingest.end()
        await asyncio.sleep(0)

    monkeypatch.setattr(channels, "pause", simulated_pause)
    b = await make_bot(ARTICLEBOT_CHANNELS="@news_channel")
    await b.send(update("channel_post", channel_post(POST)))
    await b.posts_stored()
    assert library.search(DESALINATION, 1).answered
    assert not any(stored_meanwhile)
    assert waited == sorted(waited) and max(waited) == channels.PostQueue.backoff.most == 30


async def test_an_edit_queued_while_busy_wins_over_its_original(
    make_bot: Callable[..., Any],
    library: Library,
    other_ingest: OtherIngest,
    quick_retries: None,
    arrivals: list,
) -> None:
    b = await make_bot(ARTICLEBOT_CHANNELS="@news_channel")
    edited = POST.replace("خمسين مليون", "ستين مليون")
    await b.send(update("channel_post", channel_post(POST, message_id=80)))
    await b.send(update("edited_channel_post", channel_post(edited, message_id=80, edited=True)))
    await b.send(update("channel_post", channel_post(POST, message_id=80)))  # delivered again
    assert len(b.posts) == 1
    other_ingest.end()
    await b.posts_stored()

    def text() -> str:
        return library.article(library.search(DESALINATION, 1).hits[0].article_id).text

    assert "ستين مليون" in text() and "خمسين" not in text()
    assert [(r.added, r.updated) for r in arrivals] == [(1, 0)]
    # After a restart, the original delivered once more does not undo the edit either.
    restarted = await make_bot(ARTICLEBOT_CHANNELS="@news_channel")
    await restarted.post(POST, 80)
    assert "ستين مليون" in text() and arrivals[-1].outdated == 1


class HeldReload:
    """A real library whose reload holds the write lock (as a long ingest does) until
    released, and which records the size of each batch that ``add_articles`` stored."""

    def __init__(self, library: Library) -> None:
        self._library = library
        self.entered = threading.Event()
        self.release = threading.Event()
        self.stored: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._library, name)

    def ingest(self, paths: Any, sync: bool = False) -> Any:
        return self._library.ingest(paths, sync=sync, progress=self._hold)

    def _hold(self, done: int, total: int) -> None:
        self.entered.set()
        self.release.wait(10)

    def add_articles(self, articles: Any, **kwargs: Any) -> Any:
        articles = list(articles)
        report = self._library.add_articles(articles, **kwargs)
        self.stored.append(len(articles))
        return report


async def test_posts_during_a_reload_are_stored_in_one_batch_and_questions_go_on(
    make_bot: Callable[..., Any],
    library: Library,
    sources: Path,
    quick_retries: None,
    arrivals: list,
) -> None:
    held = HeldReload(library)
    b = await make_bot(lib=held, ARTICLEBOT_CHANNELS="@news_channel")
    (sources / "mars.md").write_text(MARS, encoding="utf-8")
    reload = asyncio.create_task(b.say("/reload", from_user=user(ADMIN, "en")))
    await asyncio.to_thread(held.entered.wait, 5)
    # More posts than the default executor has threads (at most 32).
    for i in range(40):
        post = channel_post(f"{POST}\nالخبر رقم {i}", message_id=100 + i)
        await b.send(update("channel_post", post))
    await b.say("ما عدد الضحايا في غزة؟", from_user=user(2, "ar"))
    assert "مئتين" in b.last()["text"]  # answered while the reload still holds the library
    assert held.stored == [] and len(b.posts) == 40
    held.release.set()
    await reload
    await b.posts_stored()
    assert held.stored == [40]
    assert [len(r.added_ids) for r in arrivals] == [1, 40]  # the reload's mars.md, the posts
    assert library.stats().articles == 3 + 1 + 40


async def test_shutdown_stores_the_queued_posts(
    make_bot: Callable[..., Any],
    library: Library,
    other_ingest: OtherIngest,
    arrivals: list,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="bot.channels")
    monkeypatch.setattr(channels.PostQueue, "backoff", channels.Backoff(3600, 3600))
    b = await make_bot(ARTICLEBOT_CHANNELS="@news_channel")
    await b.send(update("channel_post", channel_post(POST)))
    await eventually(lambda: "1 channel posts wait" in caplog.text)  # now in an hour's pause
    other_ingest.end()
    await asyncio.wait_for(b.app.post_stop(b.app), 10)  # as run_polling does when stopping
    assert library.search(DESALINATION, 1).answered
    assert [len(r.added_ids) for r in arrivals] == [1]


async def test_posts_that_cannot_be_stored_at_shutdown_are_logged(
    make_bot: Callable[..., Any],
    library: Library,
    other_ingest: OtherIngest,
    quick_retries: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    b = await make_bot(ARTICLEBOT_CHANNELS="@news_channel")
    await b.send(update("channel_post", channel_post(POST, message_id=81)))
    await b.send(update("channel_post", channel_post("خبر آخر عن الطقس", message_id=82)))
    await asyncio.wait_for(b.app.post_stop(b.app), 10)  # the other ingest still runs
    lost = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(lost) == 2
    assert "telegram:-1001234567890:81 «افتتاح محطة" in lost[0]
    assert "telegram:-1001234567890:82 «خبر آخر عن الطقس»" in lost[1]
    assert library.stats().articles == 3


class SlowAttempt:
    """A real library whose first ``add_articles`` call waits until ``go`` is set."""

    def __init__(self, library: Library) -> None:
        self._library = library
        self.entered, self.go = threading.Event(), threading.Event()
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._library, name)

    def add_articles(self, articles: Any, **kwargs: Any) -> Any:
        self.calls += 1
        self.entered.set()
        self.go.wait(10)
        return self._library.add_articles(articles, **kwargs)


async def test_shutdown_during_an_attempt_waits_for_it_but_not_for_a_pause(
    make_bot: Callable[..., Any],
    library: Library,
    other_ingest: OtherIngest,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(channels.PostQueue, "backoff", channels.Backoff(3600, 3600))
    slow = SlowAttempt(library)
    b = await make_bot(lib=slow, ARTICLEBOT_CHANNELS="@news_channel")
    await b.send(update("channel_post", channel_post(POST, message_id=85)))
    await asyncio.to_thread(slow.entered.wait, 5)
    stopping = asyncio.create_task(b.app.post_stop(b.app))
    await asyncio.sleep(0)  # the shutdown now waits for the attempt
    assert not stopping.done()
    slow.go.set()  # the attempt finds the library busy: no pause of an hour follows
    await asyncio.wait_for(stopping, 10)
    assert slow.calls == 2  # the attempt, and the one more at shutdown
    assert "not stored at shutdown: telegram:-1001234567890:85" in caplog.text


class BadPosts:
    """A real library that fails (as a bug would) to store any batch holding a post with
    ``bad`` in its text."""

    def __init__(self, library: Library, bad: str) -> None:
        self._library, self.bad = library, bad
        self.tries: list[list[str]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._library, name)

    def add_articles(self, articles: Any, **kwargs: Any) -> Any:
        articles = list(articles)
        self.tries.append([a.key for a in articles])
        if any(self.bad in a.text for a in articles):
            raise RuntimeError("a bug")
        return self._library.add_articles(articles, **kwargs)


async def test_a_post_that_keeps_failing_is_dropped_without_holding_up_the_others(
    make_bot: Callable[..., Any],
    library: Library,
    other_ingest: OtherIngest,
    quick_retries: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bad = BadPosts(library, "مستحيل")
    b = await make_bot(lib=bad, ARTICLEBOT_CHANNELS="@news_channel")
    await b.send(update("channel_post", channel_post("خبر\nنص مستحيل التخزين", message_id=83)))
    await b.send(update("channel_post", channel_post(POST, message_id=84)))
    other_ingest.end()
    await b.posts_stored()
    assert library.search(DESALINATION, 1).answered
    assert library.stats().articles == 4
    bad_key, good_key = "telegram:-1001234567890:83", "telegram:-1001234567890:84"
    # Together once; then one at a time, the good one as soon as the bad one failed alone.
    assert bad.tries == [[bad_key, good_key], [bad_key], [good_key]] + [[bad_key]] * 3
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert f"{bad_key} «خبر نص مستحيل التخزين»; {good_key} «افتتاح" in errors[0]
    assert errors[-1].startswith("channel post dropped after 5 failures: " + bad_key)
    assert len(errors) == channels.PostQueue.attempts + 1


class FlakyLibrary(BadPosts):
    """A real library whose disk is full for the first ``times`` batches."""

    def __init__(self, library: Library, times: int) -> None:
        super().__init__(library, bad="")
        self.times = times

    def add_articles(self, articles: Any, **kwargs: Any) -> Any:
        articles = list(articles)
        self.tries.append([a.key for a in articles])
        if len(self.tries) <= self.times:
            raise sqlite3.OperationalError("database or disk is full")
        return self._library.add_articles(articles, **kwargs)


async def test_a_full_disk_makes_posts_wait_not_drop(
    make_bot: Callable[..., Any], library: Library, quick_retries: None
) -> None:
    flaky = FlakyLibrary(library, times=3 * channels.PostQueue.attempts)
    b = await make_bot(lib=flaky, ARTICLEBOT_CHANNELS="@news_channel")
    await b.post(POST, 85)
    assert len(flaky.tries) == 3 * channels.PostQueue.attempts + 1
    assert library.search(DESALINATION, 1).answered


async def test_the_queue_outlives_a_failure_after_storing(
    make_bot: Callable[..., Any], library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    async def arrived_then_fail(context: Any, report: Any) -> None:
        calls.append(report.added_ids)
        if len(calls) == 1:
            raise RuntimeError("a bug after storing")

    monkeypatch.setattr(following, "articles_arrived", arrived_then_fail)
    b = await make_bot(ARTICLEBOT_CHANNELS="@news_channel")
    await b.post(POST, 86)
    later = POST.replace("العقبة", "أيلة")
    await b.post(later, 87)
    assert len(calls) == 2 and library.stats().articles == 5
