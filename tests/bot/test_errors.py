"""The error handler, and the token kept out of reports and logs (``bot.errors``,
``bot.app``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from knowledge import Library
from tests.bot.helpers import (
    SpyLibrary,
)
from tests.telegram_helpers import (
    user,
)


async def test_errors_are_reported_to_user_and_admin_chat(
    make_bot: Callable[..., Any], library: Library
) -> None:
    spy = SpyLibrary(library)

    def broken(*_: Any, **__: Any) -> Any:
        raise ValueError("index <broken>")

    spy.search = broken
    b = await make_bot(lib=spy, ARTICLEBOT_ADMIN_CHAT_ID="-777")
    await b.say("غزة", from_user=user(1, "en"))
    by_chat = {c.params["chat_id"]: c.params["text"] for c in b.sent("sendMessage")}
    assert "went wrong" in by_chat[1]
    assert "ValueError" in by_chat[-777] and "&lt;broken&gt;" in by_chat[-777]
    await b.app.shutdown()


async def test_error_report_never_shows_the_token(
    make_bot: Callable[..., Any], library: Library
) -> None:
    spy = SpyLibrary(library)

    def broken(*_: Any, **__: Any) -> Any:
        raise ValueError("GET https://api.telegram.org/bot123:TEST/getMe failed")

    spy.search = broken
    b = await make_bot(lib=spy, ARTICLEBOT_ADMIN_CHAT_ID="-777")
    await b.say("غزة", from_user=user(1, "en"))
    report = next(c.params["text"] for c in b.sent("sendMessage") if c.params["chat_id"] == -777)
    assert "ValueError" in report and "123:TEST" not in report
    await b.app.shutdown()


def test_logs_never_show_the_token() -> None:
    import io
    import logging

    from bot.app import RedactToken

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactToken("123:TEST"))
    log = logging.getLogger("tests.redact")
    log.addHandler(handler)
    try:
        log.warning("calling %s", "https://api.telegram.org/bot123:TEST/getMe")
        try:
            raise RuntimeError("url https://api.telegram.org/bot123:TEST/sendMessage")
        except RuntimeError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
    out = stream.getvalue()
    assert "getMe" in out and "RuntimeError" in out and "<token>" in out
    assert "123:TEST" not in out


async def test_error_report_never_shows_the_token_lower_cased(
    make_bot: Callable[..., Any], library: Library
) -> None:
    spy = SpyLibrary(library)

    def broken(*_: Any, **__: Any) -> Any:
        raise ValueError("forbidden: token 123:test is not allowed")  # as Telegram words it

    spy.search = broken
    b = await make_bot(lib=spy, ARTICLEBOT_ADMIN_CHAT_ID="-777")
    await b.say("غزة", from_user=user(1, "en"))
    report = next(c.params["text"] for c in b.sent("sendMessage") if c.params["chat_id"] == -777)
    assert "ValueError" in report and "123:test" not in report.lower()
    await b.app.shutdown()
