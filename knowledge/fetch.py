"""Fetch feeds and pages over HTTP as a good citizen: a clear User-Agent, conditional requests
(ETag / Last-Modified), a timeout, a size cap on the streamed body and a limit on concurrent
requests per host.

Every problem becomes a ``FetchError`` whose message is the reason to report ("timed out after
10 s", "HTTP 404 Not Found", "larger than 5 MB"); nothing else escapes a fetch.
"""

from __future__ import annotations

import importlib.metadata
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx

logger = logging.getLogger(__name__)

TIMEOUT = 10.0
"""Seconds a whole request may take (connecting, waiting, reading the body)."""
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


def user_agent() -> str:
    """``articlebot/<version>``, with the project's home page when the package declares one,
    so that a site's operator can tell who is fetching and why."""
    try:
        metadata = importlib.metadata.metadata("articlebot")
    except importlib.metadata.PackageNotFoundError:
        return "articlebot"
    urls = [u.split(",", 1)[-1].strip() for u in metadata.get_all("Project-URL") or []]
    homepage = metadata.get("Home-page") or next(iter(urls), None)
    version = metadata.get("Version")
    return f"articlebot/{version}" + (f" (+{homepage})" if homepage else "")


@dataclass(frozen=True)
class FetchOptions:
    """How web sources are fetched (tests shorten the timeout and the cap)."""

    timeout: float = TIMEOUT
    max_bytes: int = MAX_BYTES
    per_host: int = PER_HOST
    workers: int = WORKERS
    user_agent: str = field(default_factory=user_agent)


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
    """One HTTP client shared by the threads of a small pool, at most ``per_host`` requests to
    a host at a time. Use as a context manager."""

    def __init__(self, options: FetchOptions | None = None) -> None:
        self.options = options or FetchOptions()
        self._client = httpx.Client(
            timeout=self.options.timeout,
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            headers={"User-Agent": self.options.user_agent, "Accept": ACCEPT},
            limits=httpx.Limits(max_connections=self.options.workers),
        )
        self._hosts: dict[str, threading.Semaphore] = {}
        self._hosts_lock = threading.Lock()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def fetch_all(
        self, requests: Iterable[tuple[str, Validators]]
    ) -> dict[str, Fetched | FetchError]:
        """Fetch each URL once (with its validators), in parallel; the result or error of each."""
        wanted = dict(requests)
        if not wanted:
            return {}
        workers = min(self.options.workers, len(wanted))
        with ThreadPoolExecutor(workers, thread_name_prefix="fetch") as pool:
            futures = {url: pool.submit(self._result, url, v) for url, v in wanted.items()}
        return {url: future.result() for url, future in futures.items()}

    def _result(self, url: str, validators: Validators) -> Fetched | FetchError:
        try:
            return self.fetch(url, validators)
        except FetchError as error:
            logger.info("cannot fetch %s: %s", url, error)
            return error

    def fetch(self, url: str, validators: Validators = NO_VALIDATORS) -> Fetched:
        """GET ``url``, conditionally when ``validators`` are given. Raises ``FetchError``."""
        try:
            with self._host_slot(url):
                return self._get(url, validators)
        except httpx.TimeoutException:
            raise FetchError(f"timed out after {self.options.timeout:g} s") from None
        except httpx.TooManyRedirects:
            raise FetchError(f"more than {MAX_REDIRECTS} redirects") from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as error:
            raise FetchError(f"not a valid http(s) URL: {error}") from None
        except httpx.HTTPError as error:
            raise FetchError(f"cannot fetch: {error or type(error).__name__}") from None

    def _get(self, url: str, validators: Validators) -> Fetched:
        # The timeout bounds each step; the deadline bounds a body that trickles in slowly.
        deadline = time.monotonic() + self.options.timeout
        with self._client.stream("GET", url, headers=_conditional(validators)) as response:
            sent = (response.headers.get("etag"), response.headers.get("last-modified"))
            if response.status_code == 304:
                return Fetched(url, 304, validators=sent if any(sent) else validators)
            if not response.is_success:
                raise FetchError(f"HTTP {response.status_code} {response.reason_phrase}".strip())
            self._refuse_declared_size(response)
            return Fetched(
                url,
                response.status_code,
                content=self._read_body(response, deadline),
                content_type=response.headers.get("content-type", "").split(";")[0].strip().lower(),
                charset=response.charset_encoding,
                final_url=str(response.url),
                validators=sent,
            )

    def _refuse_declared_size(self, response: httpx.Response) -> None:
        declared = response.headers.get("content-length", "")
        encoded = response.headers.get("content-encoding", "identity") != "identity"
        if declared.isdigit() and not encoded and int(declared) > self.options.max_bytes:
            raise FetchError(f"larger than {_size(self.options.max_bytes)}")

    def _read_body(self, response: httpx.Response, deadline: float) -> bytes:
        """The body, streamed: reading stops as soon as it exceeds the cap or the deadline."""
        chunks, total = [], 0
        for chunk in response.iter_bytes():
            total += len(chunk)
            if total > self.options.max_bytes:
                raise FetchError(f"larger than {_size(self.options.max_bytes)}")
            if time.monotonic() > deadline:
                raise FetchError(f"timed out after {self.options.timeout:g} s")
            chunks.append(chunk)
        return b"".join(chunks)

    @contextmanager
    def _host_slot(self, url: str) -> Iterator[None]:
        host = httpx.URL(url).host
        with self._hosts_lock:
            slots = self._hosts.setdefault(host, threading.Semaphore(self.options.per_host))
        with slots:
            yield


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
