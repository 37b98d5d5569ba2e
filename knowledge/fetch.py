"""Fetch feeds and pages over HTTP as a good citizen: a clear User-Agent, conditional requests
(ETag / Last-Modified), a time limit on each whole exchange, a size cap on the (decompressed)
body, a limit on concurrent requests per host, and no requests to private addresses that the
operator did not name.

Every problem becomes a ``FetchError`` whose message is the reason to report ("timed out after
10 s", "HTTP 404 Not Found", "larger than 5 MB"); nothing else escapes a fetch.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import ipaddress
import logging
import re
import socket
import zlib
from collections import defaultdict
from collections.abc import Callable, Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

logger = logging.getLogger(__name__)

TIMEOUT = 10.0
"""Seconds a whole exchange may take: resolving, connecting, redirects, headers and body."""
MAX_BYTES = 5 * 2**20
"""The largest body read (after decompression); a larger one is refused, not cut."""
PER_HOST = 2
"""Requests in flight to one host at a time."""
WORKERS = 8
"""Requests in flight at a time, over all hosts."""
MAX_REDIRECTS = 5

Validators = tuple[str | None, str | None]
"""(ETag, Last-Modified) that a server sent with a body: sent back, they let it answer 304."""
NO_VALIDATORS: Validators = (None, None)

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, "
    "text/html;q=0.8, */*;q=0.5"
)
ACCEPT_ENCODING = "gzip, deflate"
"""Only what ``_inflater`` decompresses a bounded piece at a time."""

_T = TypeVar("_T")


def user_agent() -> str:
    """``articlebot/<version>``, with the project's home page when the package declares one,
    so that a site's operator can tell who is fetching and why."""
    try:
        metadata = importlib.metadata.metadata("articlebot")
    except importlib.metadata.PackageNotFoundError:
        return "articlebot"
    urls = [u.split(",", 1)[-1].strip() for u in metadata.get_all("Project-URL") or []]
    homepage = next(iter(metadata.get_all("Home-page") or urls), None)
    version = next(iter(metadata.get_all("Version") or []), None)
    return f"articlebot/{version}" + (f" (+{homepage})" if homepage else "")


@dataclass(frozen=True)
class FetchOptions:
    """How web sources are fetched (tests shorten the timeout and the cap)."""

    timeout: float = TIMEOUT
    max_bytes: int = MAX_BYTES
    per_host: int = PER_HOST
    workers: int = WORKERS
    user_agent: str = field(default_factory=user_agent)
    allow_private: bool = False
    """Fetch from loopback, private, link-local and reserved addresses too (tests, whose site
    is on 127.0.0.1). Without it, only the hosts the operator names may be private."""


@dataclass(frozen=True)
class Fetched:
    """A response worth reading: a body (2xx), or 304 Not Modified (no body)."""

    url: str
    """The URL asked for (the source's name, whatever the redirects)."""
    status: int
    content: bytes = b""
    content_type: str = ""
    """The media type, lower case, without its parameters."""
    charset: str | None = None
    final_url: str = ""
    validators: Validators = NO_VALIDATORS

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class FetchError(Exception):
    """A URL that could not be fetched; the message says why."""


class Fetcher:
    """Fetches URLs concurrently: at most ``workers`` requests in flight, ``per_host`` to a
    host. A URL waiting for its host's turn does not hold up the URLs of other hosts.

    ``trusted`` (the URLs the operator named) may be on private addresses, on their host *and
    port* only; any other host or port, whether a feed's link, an OPML list's feed or a
    redirect, must resolve to public addresses only, so that a feed cannot make the bot read and
    quote an internal service (another port of the feed's own host among them)."""

    def __init__(self, options: FetchOptions | None = None, trusted: Iterable[str] = ()) -> None:
        self.options = options or FetchOptions()
        self.trusted = {origin for url in trusted if (origin := _origin(url)) is not None}

    def fetch_all(
        self, requests: Iterable[tuple[str, Validators]]
    ) -> dict[str, Fetched | FetchError]:
        """Fetch each URL once (with its validators), in parallel; the result or error of each."""
        wanted = dict(requests)
        if not wanted:
            return {}
        return _run(self._fetch_all(wanted))

    def fetch(self, url: str, validators: Validators = NO_VALIDATORS) -> Fetched:
        """GET ``url``, conditionally when ``validators`` are given. Raises ``FetchError``."""
        result = self.fetch_all([(url, validators)])[url]
        if isinstance(result, FetchError):
            raise result
        return result

    async def _fetch_all(self, wanted: dict[str, Validators]) -> dict[str, Fetched | FetchError]:
        overall = asyncio.Semaphore(self.options.workers)
        hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(self.options.per_host)
        )
        async with httpx.AsyncClient(
            timeout=self.options.timeout,
            follow_redirects=False,  # followed by _get, which checks each hop's host
            headers={
                "User-Agent": self.options.user_agent,
                "Accept": ACCEPT,
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            limits=httpx.Limits(max_connections=self.options.workers),
        ) as client:

            async def one(url: str, validators: Validators) -> Fetched | FetchError:
                try:
                    host = _host(url)
                except FetchError as error:
                    return error
                # The host's turn first, then a worker: a busy host does not hold workers.
                async with hosts[host], overall:
                    return await self._result(client, url, validators)

            results = await asyncio.gather(*(one(url, v) for url, v in wanted.items()))
        return dict(zip(wanted, results, strict=True))

    async def _result(
        self, client: httpx.AsyncClient, url: str, validators: Validators
    ) -> Fetched | FetchError:
        try:
            # One limit for the whole exchange: httpx's timeout bounds each read, not the sum
            # of reads that trickle in, nor redirects, nor resolving the name.
            return await asyncio.wait_for(self._get(client, url, validators), self.options.timeout)
        except FetchError as error:
            problem = error
        except (asyncio.TimeoutError, httpx.TimeoutException):
            problem = FetchError(f"timed out after {self.options.timeout:g} s")
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, UnicodeError, ValueError):
            problem = FetchError("not a valid http(s) URL")
        except httpx.HTTPError as error:
            problem = FetchError(f"cannot fetch: {error or type(error).__name__}")
        except Exception as error:  # a bug here or in httpx must not stop the other fetches
            logger.exception("unexpected error fetching %s", url)
            problem = FetchError(f"cannot fetch: {error or type(error).__name__}")
        logger.info("cannot fetch %s: %s", url, problem)
        return problem

    async def _get(self, client: httpx.AsyncClient, url: str, validators: Validators) -> Fetched:
        request = client.build_request("GET", url, headers=_conditional(validators))
        for _ in range(MAX_REDIRECTS + 1):
            await self._refuse_private(request.url)
            response = await client.send(request, stream=True)
            try:
                if response.next_request is None:
                    return await self._take(url, response, validators)
                request = response.next_request
            finally:
                await response.aclose()
        raise FetchError(f"more than {MAX_REDIRECTS} redirects")

    async def _take(self, url: str, response: httpx.Response, validators: Validators) -> Fetched:
        sent = (response.headers.get("etag"), response.headers.get("last-modified"))
        if response.status_code == 304:
            return Fetched(url, 304, validators=sent if any(sent) else validators)
        if not response.is_success:
            raise FetchError(f"HTTP {response.status_code} {response.reason_phrase}".strip())
        self._refuse_declared_size(response)
        return Fetched(
            url,
            response.status_code,
            content=await self._read_body(response),
            content_type=response.headers.get("content-type", "").split(";")[0].strip().lower(),
            charset=response.charset_encoding,
            final_url=str(response.url),
            validators=sent,
        )

    async def _refuse_private(self, url: httpx.URL) -> None:
        host = _host(str(url))
        port = _port(url)
        if self.options.allow_private or (host, port) in self.trusted:
            return
        # The port is named when the host is trusted on another one.
        named = f"{host}:{port}" if any(host == h for h, _ in self.trusted) else host
        for address in await _addresses(host, port):
            if not _public(address):
                raise FetchError(f"refused: {named} is a private or reserved address ({address})")

    def _refuse_declared_size(self, response: httpx.Response) -> None:
        declared = response.headers.get("content-length", "")
        encoded = response.headers.get("content-encoding", "identity") != "identity"
        if declared.isdigit() and not encoded and int(declared) > self.options.max_bytes:
            raise FetchError(f"larger than {_size(self.options.max_bytes)}")

    async def _read_body(self, response: httpx.Response) -> bytes:
        """The body, streamed and decompressed a bounded piece at a time: reading stops as soon
        as it exceeds the cap, and a compressed body never inflates past it in memory."""
        inflate = _inflater(response.headers.get("content-encoding", ""))
        cap = self.options.max_bytes
        chunks, total = [], 0
        async for raw in response.aiter_raw():
            chunk = inflate(raw, cap - total + 1)
            total += len(chunk)
            if total > cap:
                raise FetchError(f"larger than {_size(cap)}")
            chunks.append(chunk)
        return b"".join(chunks)


def _run(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """Run ``coroutine`` on an event loop of its own, in a thread of its own when this thread
    runs one already (an ingest called from async code). The loop's executor (name look-ups)
    is not waited for: a look-up that hangs past the timeout is abandoned, not awaited."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run_here(coroutine)
    with ThreadPoolExecutor(1, thread_name_prefix="fetch") as thread:
        return thread.submit(_run_here, coroutine).result()


def _run_here(coroutine: Coroutine[Any, Any, _T]) -> _T:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()  # (shuts the executor down without waiting, unlike asyncio.run)


def _host(url: str) -> str:
    """The URL's host, checked before any look-up: an empty label ("a..b") or one longer than
    63 characters would fail only deep inside the resolver, as a UnicodeError."""
    try:
        parsed = httpx.URL(url)
        parsed.raw_host.decode("ascii").encode("idna")
        host = parsed.host.lower()  # (decoding an "xn--" label may fail too)
    except (httpx.InvalidURL, UnicodeError, ValueError):
        raise FetchError("not a valid http(s) URL") from None
    if parsed.scheme not in ("http", "https") or not host:
        raise FetchError("not a valid http(s) URL")
    return host


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def _origin(url: str) -> tuple[str, int] | None:
    """The host and port of a URL the operator named; None if it is not a valid one (its
    fetch says so)."""
    try:
        return _host(url), _port(httpx.URL(url))
    except (FetchError, httpx.InvalidURL, ValueError):
        return None


async def _addresses(host: str, port: int) -> set[str]:
    try:
        return {str(ipaddress.ip_address(host))}
    except ValueError:
        pass  # a name, not an address
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise FetchError(f"cannot resolve {host}: {error.strerror}") from None
    return {str(info[4][0]).split("%", 1)[0] for info in infos}


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _inflater(content_encoding: str) -> Callable[[bytes, int], bytes]:
    """A function that decodes the next raw piece of a body into at most ``limit`` bytes."""
    codings = [c.strip().lower() for c in content_encoding.split(",")]
    codings = [c for c in codings if c not in ("", "identity")]
    if not codings:
        return lambda data, limit: data
    if codings not in (["gzip"], ["x-gzip"], ["deflate"]):
        raise FetchError(f"unsupported content encoding {content_encoding!r}")
    inflater = zlib.decompressobj(wbits=47)  # 32 + 15: a gzip or a zlib header

    def inflate(data: bytes, limit: int) -> bytes:
        try:
            return inflater.decompress(data, limit)
        except zlib.error as error:
            raise FetchError(f"corrupt {codings[0]} body: {error}") from None

    return inflate


def _conditional(validators: Validators) -> dict[str, str]:
    etag, last_modified = validators
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _size(n: int) -> str:
    if n >= 2**20:
        return f"{n / 2**20:g} MB"
    return f"{n / 2**10:g} KB"


_URL = re.compile(r"https?://", re.IGNORECASE)


def is_url(source: str | Path) -> bool:
    """Whether a source is an http(s) URL (a ``Path`` never is: it would have lost a slash)."""
    return isinstance(source, str) and _URL.match(source) is not None
