"""The webhook: a small HTTP server that checks Telegram's secret header before it reads a
request's body and caps the body's size, then hands the update to the application; and the
bot's life around it (what python-telegram-bot's ``run_webhook`` does).

python-telegram-bot's own webhook server reads each body whole (up to 100 MB) before it looks
at the secret: a few large requests with a wrong secret could fill the memory.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import signal
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import tornado.routing
import tornado.web
from telegram import Update
from tornado.httpserver import HTTPServer

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bot.context import BotApplication

logger = logging.getLogger(__name__)

__all__ = ["MAX_BODY", "SECRET_HEADER", "run_webhook"]

MAX_BODY = 1 << 20
"""The largest request body read, in bytes. An update is a few KB (a message is at most 4096
characters, with its entities and the message it replies to)."""
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
BODY_SECONDS = 30.0
"""How long a body may take to arrive."""


def run_webhook(
    application: BotApplication,
    *,
    listen: str,
    port: int,
    url: str,
    secret: str,
    allowed_updates: Sequence[str],
) -> None:
    """Serve updates sent to ``url`` (received on ``listen``:``port`` at its path) until
    SIGINT or SIGTERM. Errors at start-up (the token refused) are raised."""
    asyncio.run(_serve(application, listen, port, url, secret, allowed_updates))


async def _serve(
    app: BotApplication,
    listen: str,
    port: int,
    url: str,
    secret: str,
    allowed_updates: Sequence[str],
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await app.initialize()
    try:
        if app.post_init:
            await app.post_init(app)
        server = _server(app, urlparse(url).path or "/", secret)
        server.listen(port, listen)  # before setWebhook: Telegram may send at once
        try:
            await app.bot.set_webhook(url, allowed_updates=allowed_updates, secret_token=secret)
            await app.start()
            await stop.wait()
            logger.info("stopping")
        finally:
            server.stop()
            if app.running:
                await app.stop()
                if app.post_stop:
                    await app.post_stop(app)
    finally:
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)


def _server(app: BotApplication, path: str, secret: str) -> HTTPServer:
    # The path exactly (tornado takes it as a regular expression).
    match = tornado.routing.PathMatches(re.escape(path))
    routes = [(match, _UpdateHandler, {"app": app, "secret": secret})]
    # The cap holds for every request, to any path, with or without a length announced.
    return HTTPServer(
        tornado.web.Application(routes, log_function=_quiet),
        max_body_size=MAX_BODY,
        body_timeout=BODY_SECONDS,
        # (tornado's default keeps an idle connection an hour: a client trickling its headers
        # would hold a socket that long)
        idle_connection_timeout=BODY_SECONDS,
    )


def _quiet(handler: tornado.web.RequestHandler) -> None:
    """Refused requests are logged at debug level only: anyone can send them."""
    logger.debug("%d %s", handler.get_status(), handler.request.method)


@tornado.web.stream_request_body
class _UpdateHandler(tornado.web.RequestHandler):
    """One update from Telegram: the secret and the announced size are checked as soon as the
    headers arrive (``prepare``), before any of the body is read."""

    def initialize(self, app: BotApplication, secret: str) -> None:
        self.app, self.secret = app, secret
        self.body = bytearray()

    def prepare(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN)
        length = self.request.headers.get("Content-Length", "0")
        if not length.isdigit() or int(length) > MAX_BODY:
            raise tornado.web.HTTPError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)

    def data_received(self, chunk: bytes) -> None:
        self.body += chunk  # never beyond MAX_BODY: the server closes the connection first

    async def post(self) -> None:
        try:
            data = json.loads(self.body)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update")
            update = Update.de_json(data, self.app.bot)
        except Exception:  # anything that is no update (from someone who has the secret)
            logger.debug("a request that is no update", exc_info=True)
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST) from None
        await self.app.update_queue.put(update)

    def write_error(self, status_code: int, **kwargs: object) -> None:
        self.finish()  # no page, no traceback: only the status
