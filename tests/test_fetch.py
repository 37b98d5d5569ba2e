"""The fetcher's limits (time, size, addresses), against the local site (tests/web_helpers.py)."""

from __future__ import annotations

import gzip
import time
import tracemalloc
import zlib
from collections.abc import Iterator

import pytest

from knowledge.fetch import Fetcher, FetchError, FetchOptions

from .web_helpers import HTML, Site, serve

LOCAL = FetchOptions(allow_private=True)


def fetch_error(fetcher: Fetcher, url: str) -> str:
    with pytest.raises(FetchError) as error:
        fetcher.fetch(url)
    return str(error.value)


def test_the_timeout_bounds_the_whole_exchange_even_when_headers_trickle_in(site: Site) -> None:
    # About 190 header bytes 0.05 s apart: each read is quick, the whole takes some 10 s.
    url = site.add("/trickle", "<html></html>", trickle=0.05, content_type=HTML)
    started = time.monotonic()
    reason = fetch_error(Fetcher(FetchOptions(timeout=0.5, allow_private=True)), url)
    assert reason == "timed out after 0.5 s"
    assert time.monotonic() - started < 5  # generous: only proves the trickle was cut short
    assert site.hits("/trickle")


def test_a_compressed_body_is_decompressed(site: Site) -> None:
    body = "<html><body>" + "نص " * 1000 + "</body></html>"
    url = site.add("/gz", gzip.compress(body.encode()), content_encoding="gzip", content_type=HTML)
    fetched = Fetcher(LOCAL).fetch(url)
    assert fetched.content.decode() == body
    assert site.hits("/gz")[0].headers["Accept-Encoding"] == "gzip, deflate"


def test_a_compression_bomb_is_refused_without_inflating_it_in_memory(site: Site) -> None:
    squeezer = zlib.compressobj(9, wbits=31)  # gzip
    bomb = b"".join(squeezer.compress(bytes(2**20)) for _ in range(64)) + squeezer.flush()
    assert len(bomb) < 2**20 // 4  # 64 MB of zeros in well under 256 KB
    url = site.add("/bomb", bomb, content_encoding="gzip", content_type=HTML)
    options = FetchOptions(max_bytes=2**20, allow_private=True)
    tracemalloc.start()
    try:
        reason = fetch_error(Fetcher(options), url)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert reason == "larger than 1 MB"
    assert peak < 16 * 2**20  # a few times the cap, not the 64 MB it inflates to


def test_an_unsupported_content_encoding_is_refused(site: Site) -> None:
    url = site.add("/br", b"\x0b\x02\x80hello\x03", content_encoding="br", content_type=HTML)
    assert fetch_error(Fetcher(LOCAL), url) == "unsupported content encoding 'br'"


def test_a_declared_size_is_refused_before_the_body_is_read(site: Site) -> None:
    # A body shorter than declared would end in a protocol error if it were read at all.
    url = site.add("/big", "x" * 10, declared_length=10 * 2**30, content_type=HTML)
    options = FetchOptions(max_bytes=2**10, allow_private=True)
    assert fetch_error(Fetcher(options), url) == "larger than 1 KB"


@pytest.mark.parametrize(
    "url",
    [
        "http://a..b/x",
        "http://xn--a.com/",
        f"http://{'a' * 64}.com/",
        "http://[::1/",
        "http:///nohost",
        "ftp://example.invalid/feed",
    ],
)
@pytest.mark.parametrize("allow_private", [False, True])
def test_invalid_hosts_are_fetch_errors(url: str, allow_private: bool) -> None:
    fetched = Fetcher(FetchOptions(allow_private=allow_private)).fetch_all([(url, (None, None))])
    error = fetched[url]
    assert isinstance(error, FetchError)
    assert str(error) == "not a valid http(s) URL"  # found before any name look-up


def test_private_addresses_are_refused_unless_the_operator_named_the_host(site: Site) -> None:
    url = site.add("/page", "<html></html>", content_type=HTML)
    fetcher = Fetcher(FetchOptions(), trusted=[site.url("/")])
    assert fetcher.fetch(url).status == 200
    other = site.url("/page", host="localhost")
    assert fetch_error(fetcher, other).startswith("refused: localhost is a private")
    for address in ("169.254.169.254", "10.0.0.1", "[::ffff:127.0.0.1]"):
        assert fetch_error(fetcher, f"http://{address}/").startswith("refused:")
    assert fetch_error(Fetcher(FetchOptions()), url).startswith("refused: 127.0.0.1")
    assert len(site.hits("/page")) == 1  # refused before any request


def test_each_redirect_hop_is_checked(site: Site) -> None:
    inside = site.add("/secret", "<html></html>", content_type=HTML)
    hop = site.add("/hop", status=302, location=inside.replace("127.0.0.1", "localhost"))
    fetcher = Fetcher(FetchOptions(), trusted=[site.url("/")])
    assert fetch_error(fetcher, hop).startswith("refused: localhost is a private")
    assert site.hits("/secret") == []


def test_a_busy_host_does_not_hold_up_the_others(site: Site) -> None:
    # Four slow pages on one host, one page on another, one worker per host, two in all:
    # the other host's page is fetched while the first host's wait their turn.
    for number in range(4):
        site.add(f"/slow{number}", hang=True)
    site.add("/quick", "<html></html>", content_type=HTML)
    slow = [(site.url(f"/slow{n}"), (None, None)) for n in range(4)]
    quick = site.url("/quick", host="localhost")
    options = FetchOptions(timeout=0.3, per_host=1, workers=2, allow_private=True)
    results = Fetcher(options).fetch_all([*slow, (quick, (None, None))])
    assert results[quick].status == 200
    assert all(isinstance(results[url], FetchError) for url, _ in slow)
    # the two first requests, in whichever order they reach the server
    assert {r.path for r in site.requests[:2]} == {"/slow0", "/quick"}


def test_fetching_works_from_a_thread_that_runs_an_event_loop(site: Site) -> None:
    import asyncio

    url = site.add("/page", "<html></html>", content_type=HTML)

    async def inside() -> int:
        return Fetcher(LOCAL).fetch(url).status

    assert asyncio.run(inside()) == 200


@pytest.fixture
def other_site() -> Iterator[Site]:
    """A second local site: the same host (127.0.0.1), another port."""
    site = Site()
    server = serve(site)
    yield site
    site.done.set()
    server.shutdown()
    server.server_close()


def test_a_named_host_is_trusted_on_its_port_only(site: Site, other_site: Site) -> None:
    named = site.add("/feed", "<html></html>", content_type=HTML)
    inside = other_site.add("/internal", "<html>internal</html>", content_type=HTML)
    hop = site.add("/hop", status=302, location=inside)
    fetcher = Fetcher(FetchOptions(), trusted=[named])
    assert fetcher.fetch(named).status == 200
    port = other_site.port
    assert fetch_error(fetcher, inside).startswith(f"refused: 127.0.0.1:{port} is a private")
    assert fetch_error(fetcher, hop).startswith(f"refused: 127.0.0.1:{port} is a private")
    assert other_site.hits("/internal") == []
