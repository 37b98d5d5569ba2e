import json
import os
from pathlib import Path

import pytest

from knowledge.reading import read_paths
from knowledge.sources import SourceError, decode, derive_title, read_file

from .conftest import write

ARABIC = "وقف إطلاق النار في قطاع غزة بدأ فجر الجمعة بعد أحد عشر يوما من القتال."


def test_markdown_with_front_matter(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.md",
        "---\ntitle: عنوان\ndate: 2021-05-21\nurl: https://example.com/a\nsource: مصدر\n"
        "lang: ar\nid: my-id\n---\nالفقرة الأولى.\n\nالفقرة الثانية.\n",
    )
    (article,) = read_file(path)
    assert article.title == "عنوان"
    assert article.published == "2021-05-21"
    assert (article.url, article.source, article.lang, article.key) == (
        "https://example.com/a",
        "مصدر",
        "ar",
        "my-id",
    )
    assert article.text == "الفقرة الأولى.\n\nالفقرة الثانية."
    assert not article.date_from_mtime


def test_text_without_title_or_date(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", ARABIC + "\nسطر ثان.\n")
    os.utime(path, (1621555200, 1621555200))
    (article,) = read_file(path)
    assert article.title == "وقف إطلاق النار في قطاع غزة بدأ فجر الجمعة بعد أحد عشر يوما من القتال"
    assert article.text == ARABIC + "\n\nسطر ثان."
    assert article.published.startswith("2021-05-21")
    assert article.date_from_mtime
    assert article.key == str(path)


def test_derived_title_is_cut_at_a_word_boundary() -> None:
    title = derive_title("كلمة " * 50)
    assert title.endswith("…") and len(title) <= 91 and " كلم…" not in title


def test_markdown_heading_becomes_the_title(tmp_path: Path) -> None:
    (article,) = read_file(write(tmp_path / "a.md", "# The title\n\nBody text here."))
    assert (article.title, article.text) == ("The title", "Body text here.")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1256", "utf-16"])
def test_encodings(tmp_path: Path, encoding: str) -> None:
    text = (ARABIC + "\n") * 3
    (article,) = read_file(write(tmp_path / "a.txt", text.encode(encoding)))
    assert article.text.split("\n\n")[0] == ARABIC


def test_binary_and_undecodable_files_are_refused() -> None:
    with pytest.raises(SourceError, match="binary"):
        decode(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(SourceError, match="undecodable"):
        decode(b"\xef\xbb\xbf\xff\xfe broken utf-8 after a BOM")


def test_html_page(tmp_path: Path) -> None:
    html = (
        '<html lang="ar"><head><title>عنوان | موقع</title>'
        '<link rel="canonical" href="https://example.com/news/1">'
        '<meta property="article:published_time" content="2021-05-21T10:00:00Z">'
        '<meta property="og:title" content="عنوان الخبر"></head><body><nav>الرئيسية</nav>'
        "<article><h1>عنوان الخبر</h1>"
        f"<p>{ARABIC}</p><p>{ARABIC.replace('غزة', 'القدس')}</p></article>"
        "<footer>حقوق النشر</footer></body></html>"
    )
    (article,) = read_file(write(tmp_path / "page.html", html))
    assert article.title == "عنوان الخبر"
    assert article.url == "https://example.com/news/1"
    assert article.published == "2021-05-21"
    assert article.text.split("\n\n")[0] == ARABIC
    assert "حقوق النشر" not in article.text


def test_json_and_jsonl_records(tmp_path: Path) -> None:
    records = [
        {"id": 7, "title": "One", "text": "First body.", "date": "2024-01-02", "url": "u"},
        {"title": "Two", "body": "Second body."},
        {"title": "Three", "content": "Third body."},
    ]
    jsonl = write(tmp_path / "a.jsonl", "\n".join(json.dumps(r) for r in records))
    articles = read_file(jsonl)
    assert [a.title for a in articles] == ["One", "Two", "Three"]
    assert articles[0].key == f"{jsonl}#7" and articles[1].key == f"{jsonl}#2"
    assert articles[0].published == "2024-01-02"
    (single,) = read_file(write(tmp_path / "b.json", json.dumps(records[0])))
    assert single.text == "First body."


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("bad.json", "{not json", "unparseable JSON"),
        ("empty.md", "---\ntitle: x\n---\n\n", "empty article"),
        ("notext.json", '[{"title": "no text"}]', "no 'text'"),
        ("image.png", b"\x89PNG", "unknown file type"),
        ("bin.txt", b"abc\x00\x00def", "binary"),
        ("date.md", "---\ndate: yesterday\n---\nbody", "unreadable date"),
        ("yaml.md", "---\ntitle: [unclosed\n---\nbody", "invalid YAML"),
        ("nothing.html", "<html><body></body></html>", "no article text"),
        (
            "home.html",
            "<html><body><nav><a href=/>الرئيسية</a></nav><main><p>آخر الأخبار</p></main></body>",
            "not an article: only",
        ),
    ],
)
def test_bad_files_are_reported_and_skipped(
    tmp_path: Path, name: str, content: str | bytes, reason: str
) -> None:
    write(tmp_path / name, content)
    good = write(tmp_path / "good.md", "Good article body.")
    result = read_paths([tmp_path])
    assert [a.path for a in result.articles] == [str(good)]
    (failure,) = result.failed
    assert failure.path == str(tmp_path / name)
    assert reason in failure.reason


def test_folders_are_read_recursively_skipping_hidden_files(tmp_path: Path) -> None:
    write(tmp_path / "a" / "b" / "deep.md", "Deep.")
    write(tmp_path / ".hidden" / "x.md", "Hidden.")
    write(tmp_path / ".x.md", "Hidden too.")
    result = read_paths([tmp_path, tmp_path / "missing"])
    assert [Path(a.path).name for a in result.articles] == ["deep.md"]
    assert result.failed[0].reason == "no such file or folder"


def test_parser_crashes_become_reported_failures(tmp_path: Path) -> None:
    write(tmp_path / "deep.json", "[" * 100_000 + "]" * 100_000)
    write(tmp_path / "good.md", "Good article body.")
    result = read_paths([tmp_path])
    assert [Path(a.path).name for a in result.articles] == ["good.md"]
    assert result.failed[0].path.endswith("deep.json")


def test_json_lines_may_hold_line_separators_inside_strings(tmp_path: Path) -> None:
    line = json.dumps({"title": "t", "text": "one\u2028two"}, ensure_ascii=False)
    (article,) = read_file(write(tmp_path / "a.jsonl", line + "\n"))
    assert article.title == "t"


def test_bad_records_are_reported_beside_the_good_ones(tmp_path: Path) -> None:
    lines = [json.dumps({"title": "ok", "text": "fine"}), json.dumps({"title": "x", "date": "y"})]
    path = write(tmp_path / "a.jsonl", "\n".join(lines))
    result = read_paths([path])
    assert [a.title for a in result.articles] == ["ok"]
    assert [f.path for f in result.failed] == [f"{path}#2"]
    assert str(path) in result.files and str(path) not in result.settled  # read again next time


def test_a_folder_that_cannot_be_listed_is_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import knowledge.sources as sources

    write(tmp_path / "ok" / "a.md", "Body.")
    real_walk = os.walk

    def walk(top, onerror=None, followlinks=False):
        onerror(PermissionError(13, "Permission denied", str(tmp_path / "locked")))
        yield from real_walk(top, onerror=onerror, followlinks=followlinks)

    monkeypatch.setattr(sources.os, "walk", walk)
    result = read_paths([tmp_path])
    assert [f.path for f in result.failed] == [str(tmp_path / "locked")]
    assert "cannot list the folder" in result.failed[0].reason


def test_a_path_given_twice_is_read_once(tmp_path: Path) -> None:
    path = write(tmp_path / "a.md", "Body.")
    result = read_paths([tmp_path, path])
    assert len(result.articles) == 1 and not result.failed


@pytest.mark.parametrize(
    "paragraph",
    [
        "a  b",
        "a\tb",
        "a\u00a0b",
        "a\u2028b",
        "a\u3000b",
        " a b ",
        "\u200fa b",
        "a \u200c b",
        "plain words here",
        "## heading  here",
    ],
)
def test_paragraph_spacing_is_made_single(paragraph: str) -> None:
    from knowledge.sources import _HEADING, _tidy

    expected = " ".join(_HEADING.sub("", paragraph.strip(), count=1).split())
    assert _tidy(paragraph) == expected
