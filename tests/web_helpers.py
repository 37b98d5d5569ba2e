"""A local web site for the feed tests: an ``http.server`` on 127.0.0.1, with routes each test
sets, a record of every request, and the number of requests in flight per host.

No test reaches the network: every URL is on 127.0.0.1 (or ``localhost``, the same server under
another host name, to observe the per-host limit).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

RSS = "application/rss+xml; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
HTML = "text/html; charset=utf-8"


@dataclass
class Route:
    body: bytes = b""
    content_type: str = RSS
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    location: str | None = None
    """Where a redirect (status 301, 302...) points."""
    hang: bool = False
    """Answer only when the test ends: slower than any timeout."""
    endless: bytes | None = None
    """Stream this chunk again and again, without a Content-Length, until the client hangs up
    (or 32 MB are sent)."""
    trickle: float = 0.0
    """Send the status line and headers a byte at a time, this many seconds apart (each byte
    well within any read timeout, the whole far beyond it)."""
    content_encoding: str | None = None
    """Sent as Content-Encoding; the body is sent as it is (already compressed by the test)."""
    declared_length: int | None = None
    """The Content-Length to claim instead of the body's."""
    meet: bool = False
    """Wait (up to 1 s) until another request is in flight, and a little more, so that a client
    fetching in parallel is seen doing so, then answer."""


@dataclass(frozen=True)
class Request:
    path: str
    host: str
    headers: dict[str, str]


@dataclass
class Site:
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    in_flight: Counter = field(default_factory=Counter)
    most_in_flight: Counter = field(default_factory=Counter)
    """Per host, the most requests in flight at once."""
    most_in_flight_overall: int = 0
    streamed: int = 0
    """Bytes an ``endless`` route sent before the client hung up."""
    port: int = 0
    done: threading.Event = field(default_factory=threading.Event)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def add(self, path: str, body: str | bytes = b"", **options: object) -> str:
        """Serve ``body`` at ``path``; returns its URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(body=data, **options)  # type: ignore[arg-type]
        return self.url(path)

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]


def serve(site: Site) -> ThreadingHTTPServer:
    """Start serving ``site`` on 127.0.0.1 in a thread; ``site.port`` is set."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            host = self.headers.get("Host", "").rsplit(":", 1)[0]
            path = unquote(self.path)  # clients send non-ASCII paths percent-encoded
            with site.changed:
                site.requests.append(Request(path, host, dict(self.headers.items())))
                site.in_flight[host] += 1
                site.most_in_flight[host] = max(site.most_in_flight[host], site.in_flight[host])
                overall = sum(site.in_flight.values())
                site.most_in_flight_overall = max(site.most_in_flight_overall, overall)
                site.changed.notify_all()
            try:
                self._answer(site.routes.get(path))
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client hung up: what the size-cap and timeout tests expect
            finally:
                with site.changed:
                    site.in_flight[host] -= 1
                    site.changed.notify_all()

        def _answer(self, route: Route | None) -> None:
            if route is None:
                self.send_error(404, "Not Found")
                return
            if route.hang:
                site.done.wait(30)
                return
            if route.meet:
                with site.changed:
                    site.changed.wait_for(lambda: sum(site.in_flight.values()) >= 2, timeout=1)
                time.sleep(0.05)  # so that a request the client should not send yet shows up
            if route.trickle:
                self._trickle(route)
                return
            if self._not_modified(route):
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(route.status)
            if route.content_type:  # (none at all: "")
                self.send_header("Content-Type", route.content_type)
            if route.etag:
                self.send_header("ETag", route.etag)
            if route.last_modified:
                self.send_header("Last-Modified", route.last_modified)
            if route.location:
                self.send_header("Location", route.location)
            if route.content_encoding:
                self.send_header("Content-Encoding", route.content_encoding)
            if route.endless is not None:
                self.end_headers()  # no Content-Length: the body ends when the server stops
                while site.streamed < 32 * 2**20:
                    self.wfile.write(route.endless)
                    site.streamed += len(route.endless)
                return
            length = route.declared_length
            self.send_header("Content-Length", str(len(route.body) if length is None else length))
            self.end_headers()
            self.wfile.write(route.body)

        def _trickle(self, route: Route) -> None:
            head = (
                f"HTTP/1.1 200 OK\r\nContent-Type: {route.content_type}\r\n"
                f"X-Padding: {'a' * 100}\r\nContent-Length: {len(route.body)}\r\n\r\n"
            ).encode()
            for byte in head:
                if site.done.wait(route.trickle):
                    return  # the test is over
                self.wfile.write(bytes([byte]))
            self.wfile.write(route.body)

        def _not_modified(self, route: Route) -> bool:
            etag = self.headers.get("If-None-Match")
            since = self.headers.get("If-Modified-Since")
            return bool(
                (route.etag and etag == route.etag)
                or (route.last_modified and since == route.last_modified)
            )

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet tests

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    site.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server
