"""Feeds, OPML lists and article pages as sources, served by a local site (tests/web_helpers.py)."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings
from knowledge import Library
from knowledge.feeds import html_paragraphs
from knowledge.fetch import FetchOptions
from knowledge.store import articles as store_articles
from knowledge.web_reading import MIN_SUMMARY_WORDS

from .conftest import write
from .web_helpers import ATOM, HTML, Site

SENTENCES = [
    "أعلن الوسطاء فجر الجمعة بدء وقف إطلاق النار في قطاع غزة بعد أحد عشر يوما من القتال",
    "وقال المتحدث إن الهدنة صامدة حتى الآن وإن المعابر ستفتح لدخول المساعدات الإنسانية",
    "وخرج السكان إلى الشوارع لتفقد منازلهم التي دمرها القصف في الأحياء الشرقية من المدينة",
]


def paragraphs(topic: str) -> list[str]:
    """Three paragraphs of news text about ``topic`` (a word the tests search for)."""
    return [f"{sentence} {topic}." for sentence in SENTENCES]


def rss(items: list[dict], *, title: str = "أخبار المدينة", encoding: str = "utf-8") -> bytes:
    """An RSS 2.0 feed; an item's ``content`` becomes content:encoded (its full text)."""
    parts = []
    for item in items:
        fields = "".join(
            f"<{tag}>{html.escape(item[key])}</{tag}>"
            for key, tag in [("title", "title"), ("link", "link"), ("date", "pubDate")]
            if key in item
        )
        if "guid" in item:
            fields += f'<guid isPermaLink="false">{item["guid"]}</guid>'
        if "summary" in item:
            fields += f"<description>{html.escape(item['summary'])}</description>"
        if "content" in item:
            body = "".join(f"<p>{p}</p>" for p in item["content"])
            fields += f"<content:encoded><![CDATA[{body}]]></content:encoded>"
        parts.append(f"<item>{fields}</item>")
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>{title}</title><language>ar</language>{''.join(parts)}"
        "</channel></rss>"
    ).encode(encoding)


def atom(entries: list[dict], *, title: str = "وكالة الأنباء") -> str:
    """An Atom feed in Arabic whose entries hold only a summary and a link."""
    parts = [
        f"<entry><id>{e['id']}</id><title>{e['title']}</title>"
        f'<link rel="alternate" href="{e["link"]}"/><updated>{e["updated"]}</updated>'
        f"<summary>{e['summary']}</summary></entry>"
        for e in entries
    ]
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ar">'
        f"<title>{title}</title><id>urn:test:feed</id><updated>2021-05-21T10:00:00Z</updated>"
        f"{''.join(parts)}</feed>"
    )


def page(title: str, body: list[str], charset: str | None = None) -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    return (
        f'<html lang="ar"><head>{meta}<title>{title} | الموقع</title></head><body>'
        f"<nav>الرئيسية</nav><article><h1>{title}</h1>"
        + "".join(f"<p>{p}</p>" for p in body)
        + "</article><footer>حقوق النشر محفوظة</footer></body></html>"
    )


def summary_feed(site: Site, names: list[str]) -> str:
    """An Atom feed of summary-only entries, one per name, each linking to a page about it."""
    return atom(summary_entries(site, names))


def summary_entries(
    site: Site, names: list[str], updated: str = "2021-05-21T10:00:00Z"
) -> list[dict]:
    """Summary-only entries, one per name, and the pages they link to."""
    entries = []
    for name in names:
        link = site.add(f"/news/{name}.html", page(f"خبر {name}", paragraphs(name)), **_html())
        entries.append(
            {
                "id": f"tag:test,2021:{name}",
                "title": f"خبر {name}",
                "link": link,
                "updated": updated,
                "summary": "ملخص قصير",
            }
        )
    return entries


def local(**options: object) -> FetchOptions:
    """Fetch options for the test site on 127.0.0.1."""
    return FetchOptions(allow_private=True, **options)  # type: ignore[arg-type]


def _html() -> dict:
    return {"content_type": HTML}


def _articles(library: Library) -> dict[str, object]:
    return {a.key: a for a in library.latest(100)}


def test_rss_items_with_their_full_text_become_articles(library: Library, site: Site) -> None:
    feed = site.add(
        "/feed.xml",
        rss(
            [
                {
                    "title": "الهدنة صامدة",
                    "link": "http://news.invalid/1",
                    "guid": "http://news.invalid/1",
                    "date": "Fri, 21 May 2021 10:00:00 +0300",
                    "content": paragraphs("الهدنة"),
                },
                {
                    "title": "المعابر",
                    "link": "http://news.invalid/2",
                    "guid": "42",
                    "content": paragraphs("المعابر"),
                },
            ]
        ),
    )
    report = library.ingest([feed])
    assert (report.added, report.failed) == (2, [])
    articles = _articles(library)
    first = articles["http://news.invalid/1"]
    assert first.title == "الهدنة صامدة"
    assert first.published == "2021-05-21T07:00:00+00:00"
    assert (first.source, first.lang, first.path, first.url) == (
        "أخبار المدينة",
        "ar",
        feed,
        "http://news.invalid/1",
    )
    assert library.article(first.id).text == "\n\n".join(paragraphs("الهدنة"))
    assert f"{feed}#42" in articles  # a bare id is unique only within its feed
    assert library.search("المعابر الهدنة صامدة", 1).answered
    (request,) = site.hits("/feed.xml")
    assert request.headers["User-Agent"].startswith("articlebot/")


def test_summary_only_entries_get_the_text_of_their_pages(library: Library, site: Site) -> None:
    feed = site.add("/atom", summary_feed(site, ["القدس", "رفح"]), content_type=ATOM)
    report = library.ingest([feed])
    assert (report.added, report.failed) == (2, [])
    article = _articles(library)["tag:test,2021:رفح"]
    assert article.title == "خبر رفح"  # the entry's title, not the page's "… | الموقع"
    assert article.published == "2021-05-21T10:00:00+00:00"
    assert article.url == site.url("/news/رفح.html")
    assert (article.source, article.lang) == ("وكالة الأنباء", "ar")
    text = library.article(article.id).text
    assert text == "\n\n".join(paragraphs("رفح"))  # the page's main text, not the summary
    assert "حقوق النشر" not in text


@pytest.mark.parametrize(
    ("validator", "header"),
    [
        ({"etag": '"v1"'}, ("If-None-Match", '"v1"')),
        ({"last_modified": "Fri, 21 May 2021 08:00:00 GMT"}, ("If-Modified-Since", None)),
    ],
)
def test_an_unchanged_feed_is_asked_conditionally_and_counts_unchanged(
    library: Library, site: Site, validator: dict, header: tuple[str, str | None]
) -> None:
    feed = site.add("/atom", summary_feed(site, ["أ", "ب"]), content_type=ATOM, **validator)
    assert library.ingest([feed]).added == 2
    again = library.ingest([feed])
    assert (again.added, again.updated, again.unchanged, again.failed) == (0, 0, 2, [])
    first, second = site.hits("/atom")
    name, value = header
    assert name not in first.headers
    assert second.headers[name] == (value or validator["last_modified"])
    assert [len(site.hits(f"/news/{n}.html")) for n in ("أ", "ب")] == [1, 1]
    assert library.stats().articles == 2


def test_a_changed_feed_fetches_only_the_pages_of_new_and_changed_entries(
    library: Library, site: Site
) -> None:
    feed = site.add("/atom", summary_feed(site, ["أول", "ثان", "ثالث"]), content_type=ATOM)
    site.routes["/atom"].etag = '"v1"'
    library.ingest([feed])
    # The first entry rolls off, the second changes (and so does its page), a fourth is new.
    changed = summary_entries(site, ["ثان"], updated="2021-05-22T09:00:00Z")
    site.add("/news/ثان.html", page("خبر ثان", paragraphs("ثان معدل")), **_html())
    entries = changed + summary_entries(site, ["ثالث", "رابع"])
    site.add("/atom", atom(entries), content_type=ATOM, etag='"v2"')
    report = library.ingest([feed], sync=True)
    assert (report.added, report.updated, report.unchanged, report.removed) == (1, 1, 1, 0)
    assert site.hits("/atom")[1].headers["If-None-Match"] == '"v1"'
    fetched = {n: len(site.hits(f"/news/{n}.html")) for n in ("أول", "ثان", "ثالث", "رابع")}
    assert fetched == {"أول": 1, "ثان": 2, "ثالث": 1, "رابع": 1}
    articles = _articles(library)
    assert "tag:test,2021:أول" in articles  # rolled off the feed, not removed
    assert library.search("ثان معدل", 1).hits[0].title == "خبر ثان"


def test_failing_sources_are_reported_and_the_others_are_stored(
    library: Library, site: Site
) -> None:
    library.fetch_options = local(timeout=0.5, max_bytes=256 * 2**10)
    good = site.add("/good", summary_feed(site, ["جيد"]), content_type=ATOM)
    failing = {
        site.add("/slow", hang=True): "timed out after 0.5 s",
        site.url("/missing"): "HTTP 404",
        site.add("/huge", endless=b" " * 2**16): "larger than 256 KB",
        site.add("/malformed", '<?xml version="1.0"?><rss version="2.0"><channel><title>T &'): (
            "not a feed: malformed XML"
        ),
        site.add("/photo.html", '<html><body><img src="a.jpg"></body></html>', **_html()): (
            "no article text found"
        ),
        site.add("/section.html", "<html><body><main><p>أخبار الرياضة</p></main>", **_html()): (
            "not an article: only 2 words"
        ),
        site.add("/data.json", '{"a": 1}', content_type="application/json"): (
            "neither an article page nor a feed"
        ),
    }
    report = library.ingest([*failing, good])
    assert report.added == 1
    reasons = {f.path: f.reason for f in report.failed}
    assert set(reasons) == set(failing)
    for url, reason in failing.items():
        assert reason in reasons[url], url
    assert 0 < site.streamed < 32 * 2**20  # the cap stopped the download, not the server
    assert library.search("جيد", 1).answered


def test_an_item_whose_page_fails_is_reported_unless_its_summary_can_stand_in(
    library: Library, site: Site
) -> None:
    long_summary = " ".join(["ملخص طويل عن وقف إطلاق النار في غزة"] * 10)
    assert len(long_summary.split()) >= MIN_SUMMARY_WORDS
    base = {"updated": "2021-05-21T10:00:00Z"}
    feed = site.add(
        "/atom",
        atom(
            [
                {"id": "tag:x:ok", "title": "سليم", "link": site.url("/ok"), "summary": "قصير"}
                | base,
                {"id": "tag:x:short", "title": "قصير", "link": site.url("/gone1"), "summary": "ج"}
                | base,
                {"id": "tag:x:long", "title": "طويل", "link": site.url("/gone2")}
                | base
                | {"summary": long_summary},
            ]
        ),
        content_type=ATOM,
        etag='"v1"',
    )
    site.add("/ok", page("سليم", paragraphs("سليم")), **_html())
    report = library.ingest([feed])
    assert report.added == 2
    (failure,) = report.failed
    assert failure.path == site.url("/gone1")
    assert "HTTP 404" in failure.reason and "too short to stand in" in failure.reason
    stood_in = _articles(library)["tag:x:long"]
    assert library.article(stood_in.id).text == long_summary
    # Next time the feed is read again in full and the failed pages are tried again; the page
    # that was read is not fetched again.
    again = library.ingest([feed])
    assert "If-None-Match" not in site.hits("/atom")[1].headers
    assert (len(site.hits("/gone1")), len(site.hits("/gone2")), len(site.hits("/ok"))) == (2, 2, 1)
    assert (again.unchanged, [f.path for f in again.failed]) == (2, [site.url("/gone1")])


def test_windows_1256_feeds_and_pages(library: Library, site: Site) -> None:
    cp1256 = "application/rss+xml; charset=windows-1256"
    link = site.add(
        "/old.html",
        page("خبر قديم", paragraphs("النقب")).encode("cp1256"),
        content_type="text/html; charset=windows-1256",
    )
    undeclared = site.add(
        "/meta.html",
        page("خبر آخر", paragraphs("الجليل"), charset="windows-1256").encode("cp1256"),
        content_type="text/html",
    )
    items = [
        {"title": "خبر قديم", "link": link, "guid": link, "summary": "ملخص"},
        {"title": "خبر آخر", "link": undeclared, "guid": undeclared, "summary": "ملخص"},
    ]
    feed = site.add("/old.rss", rss(items, title="جريدة قديمة", encoding="windows-1256"))
    site.routes["/old.rss"].content_type = cp1256
    report = library.ingest([feed])
    assert (report.added, report.failed) == (2, [])
    articles = _articles(library)
    assert articles[link].source == "جريدة قديمة"
    assert library.article(articles[link].id).text == "\n\n".join(paragraphs("النقب"))
    assert library.article(articles[undeclared].id).text == "\n\n".join(paragraphs("الجليل"))


def test_an_opml_list_of_feeds_as_a_file_or_a_url(
    library: Library, site: Site, tmp_path: Path
) -> None:
    one = site.add("/one", summary_feed(site, ["واحد"]), content_type=ATOM)
    two = site.add("/two", summary_feed(site, ["اثنان"]), content_type=ATOM)
    opml = (
        '<?xml version="1.0"?><opml version="2.0"><head><title>feeds</title></head><body>'
        f'<outline text="news"><outline text="one" type="rss" xmlUrl="{one}"/>'
        f'<outline text="two" type="rss" xmlUrl="{two}"/></outline>'
        '<outline text="local" xmlUrl="file:///etc/passwd"/></body></opml>'
    )
    listed = write(tmp_path / "feeds.opml", opml)
    report = library.ingest([listed])
    assert report.added == 2
    assert [(f.path, f.reason) for f in report.failed] == [
        (str(listed), "not an http(s) feed URL: 'file:///etc/passwd'")
    ]
    assert {a.path for a in library.latest(10)} == {one, two}
    # The same list served over HTTP, with relative feed URLs.
    site.add("/feeds.opml", opml.replace(site.url(""), ""), content_type="text/x-opml")
    again = library.ingest([site.url("/feeds.opml")])
    assert (again.added, again.unchanged) == (0, 2)


def test_fetches_to_one_host_are_limited_and_hosts_are_fetched_in_parallel(
    library: Library, site: Site
) -> None:
    library.fetch_options = local(per_host=1)
    entries = []
    for number in range(4):
        host = ("127.0.0.1", "localhost")[number % 2]
        path = f"/page{number}"
        site.add(path, page(f"خبر {number}", paragraphs(f"رقم{number}")), meet=True, **_html())
        link = site.url(path, host)
        entries.append(
            {"id": link, "title": f"خبر {number}", "link": link, "summary": "ملخص"}
            | {"updated": "2021-05-21T10:00:00Z"}
        )
    feed = site.add("/atom", atom(entries), content_type=ATOM)
    report = library.ingest([feed])
    assert (report.added, report.failed) == (4, [])
    assert site.most_in_flight["127.0.0.1"] == 1 and site.most_in_flight["localhost"] == 1
    assert site.most_in_flight_overall == 2


def test_sync_keeps_the_articles_of_an_unreachable_feed_and_still_syncs_folders(
    library: Library, site: Site, tmp_path: Path
) -> None:
    folder = tmp_path / "src"
    write(folder / "a.md", "\n\n".join(paragraphs("ملف")))
    gone = write(folder / "b.md", "\n\n".join(paragraphs("محذوف")))
    feed = site.add("/atom", summary_feed(site, ["بعيد"]), content_type=ATOM)
    assert library.ingest([folder, feed]).added == 3
    gone.unlink()
    site.routes["/atom"].status = 500
    report = library.ingest([folder, feed], sync=True)
    assert report.removed == 1
    assert [(f.path, f.reason) for f in report.failed] == [(feed, "HTTP 500 Internal Server Error")]
    assert {a.path for a in library.latest(10)} == {str(folder / "a.md"), feed}


def test_a_failed_ingest_does_not_remember_validators(
    library: Library, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = site.add("/atom", summary_feed(site, ["ذاكرة"]), content_type=ATOM, etag='"v1"')

    def crash(self, articles):
        raise RuntimeError("disk on fire")

    with monkeypatch.context() as patch:
        patch.setattr(store_articles.ArticleWriter, "write", crash)
        with pytest.raises(RuntimeError):
            library.ingest([feed])
    assert library.ingest([feed]).added == 1
    assert library.ingest([feed]).unchanged == 1
    assert [r.headers.get("If-None-Match") for r in site.hits("/atom")] == [None, None, '"v1"']
    assert len(site.hits("/news/ذاكرة.html")) == 2  # fetched again: it was never stored


def test_feed_files_in_a_folder(library: Library, site: Site, tmp_path: Path) -> None:
    items = [
        {"title": "محلي", "guid": "tag:local:1", "content": paragraphs("محلي")},
        {"title": "آخر", "guid": "tag:local:2", "content": paragraphs("آخر")},
    ]
    news = write(tmp_path / "src" / "news.rss", rss(items))
    notes = write(tmp_path / "src" / "notes.xml", '<?xml version="1.0"?><notes><a/></notes>')
    report = library.ingest([tmp_path / "src"])
    assert report.added == 2
    assert [(f.path, f.reason) for f in report.failed] == [
        (str(notes), "not a feed: no RSS or Atom document found")
    ]
    assert {a.path for a in library.latest(10)} == {str(news)}
    write(news, rss(items[1:]))  # the first item rolls off the feed
    synced = library.ingest([tmp_path / "src"], sync=True)
    assert (synced.unchanged, synced.removed) == (1, 0)
    assert library.stats().articles == 2


def test_an_item_listed_by_two_feeds_is_stored_once(library: Library, site: Site) -> None:
    item = {"title": "مشترك", "guid": "tag:shared:1", "content": paragraphs("مشترك")}
    first = site.add("/first", rss([item], title="الأولى"))
    second = site.add("/second", rss([item], title="الثانية"))
    report = library.ingest([first, second])
    assert (report.added, report.failed) == (1, [])
    assert _articles(library)["tag:shared:1"].source == "الأولى"


def test_an_article_page_url(library: Library, site: Site) -> None:
    html_page = page("مقال", paragraphs("صفحة")).replace(
        "<head>", '<head><link rel="canonical" href="https://news.invalid/article">'
    )
    url = site.add("/article?id=7", html_page, etag='"p1"', **_html())
    assert library.ingest([url]).added == 1
    (article,) = library.latest(1)
    assert (article.key, article.path, article.url) == (url, url, "https://news.invalid/article")
    assert library.ingest([url], sync=True).unchanged == 1
    assert site.hits("/article?id=7")[1].headers["If-None-Match"] == '"p1"'


def test_a_redirected_page_keeps_the_url_asked_for_and_a_declared_size_is_checked_first(
    library: Library, site: Site
) -> None:
    library.fetch_options = local(max_bytes=2**10)
    site.add("/final", page("منقول", paragraphs("منقول")), **_html())  # under 1 KB
    moved = site.add("/moved", status=301, location=site.url("/final"))
    # It claims 10 GB but sends 10 bytes: read at all, it would end in a protocol error.
    big = site.add("/big", "x" * 10, declared_length=10 * 2**30, **_html())
    report = library.ingest([moved, big])
    assert [(f.path, f.reason) for f in report.failed] == [(big, "larger than 1 KB")]
    (article,) = library.latest(1)
    assert (article.key, article.path, article.url) == (moved, moved, site.url("/final"))


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("<p>one</p><p>two &amp; three</p>", ["one", "two & three"]),
        ("line<br>wrapped<br/><br/>new", ["line wrapped", "new"]),
        ("<div>a<script>alert(1)</script></div><style>p{}</style>b", ["a", "b"]),
        ("plain text", ["plain text"]),
    ],
)
def test_html_fragments_become_paragraphs(fragment: str, expected: list[str]) -> None:
    assert html_paragraphs(fragment) == expected


def test_configured_sources_keep_urls_whole() -> None:
    env = {
        "ARTICLEBOT_SOURCES": "https://news.invalid:8443/feed.xml , /srv/a:/srv/b,x.opml,"
        "https://news.invalid/feed?cat=1%2C2"
    }
    assert Settings.from_env(env).sources == (
        "https://news.invalid:8443/feed.xml",
        Path("/srv/a"),
        Path("/srv/b"),
        Path("x.opml"),
        "https://news.invalid/feed?cat=1%2C2",  # a comma inside a URL, as it is written
    )
    for glued in ["/srv/a:https://news.invalid/feed", "https://news.invalid/rss.xml:/srv/a"]:
        with pytest.raises(ConfigError, match=r"separate URLs .* %2C"):
            Settings.from_env({"ARTICLEBOT_SOURCES": glued})


def test_an_item_linking_to_an_invalid_host_is_reported_and_the_rest_stored(
    library: Library, site: Site
) -> None:
    bad = {"id": "tag:x:bad", "title": "معطوب", "link": "http://a..b/x", "summary": "ملخص"}
    feed = site.add(
        "/atom",
        atom([*summary_entries(site, ["سليم"]), bad | {"updated": "2021-05-21T10:00:00Z"}]),
        content_type=ATOM,
    )
    other = site.add("/other", summary_feed(site, ["آخر"]), content_type=ATOM)
    report = library.ingest([feed, other])
    assert report.added == 2
    ((path, reason),) = [(f.path, f.reason) for f in report.failed]
    assert path == "http://a..b/x" and reason.startswith("not a valid http(s) URL")


def test_an_item_that_cannot_be_read_is_reported_and_the_others_stored(
    library: Library, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    from knowledge import feeds

    original = feeds._text_paragraphs

    def fragile(value: str, media_type: str | None) -> list[str]:
        if "انكسار" in value:
            raise RuntimeError("parser bug")
        return original(value, media_type)

    monkeypatch.setattr(feeds, "_text_paragraphs", fragile)
    items = [
        {"title": "سليم", "guid": "tag:x:1", "content": paragraphs("سليم")},
        {"title": "انكسار", "guid": "tag:x:2", "content": paragraphs("انكسار")},
    ]
    feed = site.add("/feed", rss(items))
    report = library.ingest([feed])
    assert report.added == 1
    assert [(f.path, f.reason) for f in report.failed] == [
        (f"{feed}#2", "unreadable item: parser bug")
    ]


def test_markup_that_python_html_parser_rejects_is_read_as_text(
    library: Library, site: Site
) -> None:
    odd = ["<![ if gte mso 9]>" + p for p in paragraphs("مكتب")]
    feed = site.add("/feed", rss([{"title": "مكتب", "guid": "tag:x:1", "content": odd}]))
    report = library.ingest([feed])
    assert (report.added, report.failed) == (1, [])
    assert library.search("مكتب المعابر", 1).answered


def test_a_stored_article_is_kept_when_its_changed_entry_s_page_is_down(
    library: Library, site: Site
) -> None:
    long_summary = " ".join(["ملخص طويل عن وقف إطلاق النار في غزة"] * 10)
    link = site.add("/news/1.html", page("خبر", paragraphs("الهدنة")), **_html())

    def entry(updated: str) -> dict:
        return {"id": "tag:x:1", "title": "خبر", "link": link, "updated": updated}

    first = atom([entry("2021-05-21T10:00:00Z") | {"summary": long_summary}])
    feed = site.add("/atom", first, content_type=ATOM)
    assert library.ingest([feed]).added == 1
    site.add("/atom", atom([entry("2021-05-21T11:00:00Z") | {"summary": long_summary}]))
    site.routes["/atom"].content_type = ATOM
    site.routes["/news/1.html"].status = 503
    report = library.ingest([feed], sync=True)
    assert (report.added, report.updated, report.unchanged) == (0, 0, 1)
    ((path, reason),) = [(f.path, f.reason) for f in report.failed]
    assert path == link and "HTTP 503" in reason and "stored version is kept" in reason
    (article,) = library.latest(5)
    assert library.article(article.id).text == "\n\n".join(paragraphs("الهدنة"))
    # The page is back: the entry is read again and its page fetched.
    site.routes["/news/1.html"].status = 200
    assert library.ingest([feed]).failed == []
    assert len(site.hits("/news/1.html")) == 3


def _windows_1256_feed(items: list[dict]) -> bytes:
    """A Windows-1256 feed that does not say so (no XML encoding declaration)."""
    return rss(items, encoding="windows-1256").replace(b' encoding="windows-1256"', b"")


@pytest.mark.parametrize("content_type", ["application/rss+xml", "text/xml", "", None])
def test_an_undeclared_windows_1256_feed_is_detected(
    library: Library, site: Site, tmp_path: Path, content_type: str | None
) -> None:
    items = [{"title": "خبر قديم", "guid": "tag:x:1", "content": paragraphs("النقب")}]
    if content_type is None:  # a local file
        source: str | Path = write(tmp_path / "old.rss", _windows_1256_feed(items))
    else:
        source = site.add("/old", _windows_1256_feed(items), content_type=content_type)
    assert library.ingest([source]).added == 1
    (article,) = library.latest(1)
    assert (article.title, article.source) == ("خبر قديم", "أخبار المدينة")
    assert library.article(article.id).text == "\n\n".join(paragraphs("النقب"))


def test_a_stray_byte_garbles_only_its_own_item(library: Library, site: Site) -> None:
    items = [
        {"title": "الهدنة", "guid": "tag:x:1", "content": paragraphs("أول")},
        {"title": "المعابر", "guid": "tag:x:2", "content": paragraphs("ثان")},
    ]
    feed = site.add("/feed", rss(items))
    assert library.ingest([feed]).added == 2
    stray = rss(items).replace("<title>المعابر".encode(), "<title>المعابر".encode() + b"\xe9")
    site.routes["/feed"].body = stray
    report = library.ingest([feed])
    assert (report.updated, report.unchanged, report.failed) == (1, 1, [])
    titles = {a.key: a.title for a in library.latest(5)}
    assert titles == {"tag:x:1": "الهدنة", "tag:x:2": "المعابر\ufffd"}
    assert library.search("الهدنة أول", 1).answered


def test_items_and_lists_may_not_lead_to_private_addresses(
    library: Library, site: Site, tmp_path: Path
) -> None:
    library.fetch_options = FetchOptions()  # what a real deployment runs with
    inside = site.url("/news/داخلي.html", host="localhost")
    site.add("/news/داخلي.html", page("داخلي", paragraphs("داخلي")), **_html())
    entries = [
        *summary_entries(site, ["عام"]),
        {"id": "tag:x:in", "title": "داخلي", "link": inside, "summary": "ملخص"}
        | {"updated": "2021-05-21T10:00:00Z"},
    ]
    feed = site.add("/atom", atom(entries), content_type=ATOM)  # named: 127.0.0.1 is trusted
    listed = write(tmp_path / "feeds.opml", f'<opml><body><outline xmlUrl="{feed}"/></body></opml>')
    report = library.ingest([feed, listed])
    assert report.added == 1  # the page on the named host
    reasons = {f.path: f.reason for f in report.failed}
    assert reasons[inside].startswith("refused: localhost is a private or reserved address")
    assert site.hits("/news/داخلي.html") == []
    alone = library.ingest([listed])  # the OPML list's feed is not a host the operator named
    assert [f.reason[:38] for f in alone.failed] == ["refused: 127.0.0.1 is a private or res"]


def test_a_not_modified_feed_counts_the_items_it_lists_not_all_it_ever_listed(
    library: Library, site: Site
) -> None:
    feed = site.add("/atom", summary_feed(site, ["أ", "ب", "ج"]), content_type=ATOM, etag='"v1"')
    assert library.ingest([feed]).added == 3
    site.add("/atom", summary_feed(site, ["د"]), content_type=ATOM, etag='"v2"')  # 3 rolled off
    assert library.ingest([feed]).added == 1
    again = library.ingest([feed])  # 304
    assert site.hits("/atom")[-1].headers["If-None-Match"] == '"v2"'
    assert (again.added, again.updated, again.unchanged) == (0, 0, 1)
    assert library.stats().articles == 4


def test_items_of_a_named_feed_may_not_reach_another_port_of_its_host(
    library: Library, site: Site
) -> None:
    from .web_helpers import serve

    library.fetch_options = FetchOptions()  # what a real deployment runs with
    internal = Site()
    server = serve(internal)
    try:
        inside = internal.add("/admin.html", page("داخلي", paragraphs("داخلي")), **_html())
        hop = site.add("/go", status=302, location=inside)
        entries = [
            {"id": f"tag:x:{n}", "title": "داخلي", "link": link, "summary": "ملخص"}
            | {"updated": "2021-05-21T10:00:00Z"}
            for n, link in enumerate([inside, hop])
        ]
        feed = site.add("/atom", atom(entries), content_type=ATOM)
        report = library.ingest([feed])
    finally:
        internal.done.set()
        server.shutdown()
        server.server_close()
    assert report.added == 0 and internal.hits("/admin.html") == []
    assert all(f.reason.startswith("refused: 127.0.0.1:") for f in report.failed), report.failed
    assert not library.search("داخلي", 1).answered
