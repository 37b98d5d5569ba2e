"""The registry of source readers (``knowledge.readers``): a reader per format, and every
failure of a reader reported as its file's, never the ingest's."""

from pathlib import Path

import pytest

import knowledge.readers as readers
from knowledge.readers import FileRead, SourceFile, read_file
from knowledge.reading import read_paths
from knowledge.sources import SourceError

from .conftest import write


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


def test_parser_crashes_become_reported_failures(tmp_path: Path) -> None:
    write(tmp_path / "deep.json", "[" * 100_000 + "]" * 100_000)
    write(tmp_path / "good.md", "Good article body.")
    result = read_paths([tmp_path])
    assert [Path(a.path).name for a in result.articles] == ["good.md"]
    assert result.failed[0].path.endswith("deep.json")


def test_every_exception_of_a_reader_is_its_files_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(file: SourceFile) -> FileRead:
        raise KeyError("a reader's bug")

    monkeypatch.setitem(readers._readers(), ".boom", broken)
    write(tmp_path / "a.boom", b"\x00\x01")
    good = write(tmp_path / "good.md", "Good article body.")
    result = read_paths([tmp_path])
    assert [a.path for a in result.articles] == [str(good)]
    (failure,) = result.failed
    assert failure.path == str(tmp_path / "a.boom")
    assert failure.reason == 'unreadable: "a reader\'s bug"'


def test_a_reader_gets_the_files_bytes_and_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[SourceFile] = []

    def binary(file: SourceFile) -> FileRead:
        seen.append(file)
        return FileRead([file.article({}, "Title", ["One paragraph."])])

    monkeypatch.setitem(readers._readers(), ".bin", binary)
    path = write(tmp_path / "a.bin", b"\xff\xfe\x00raw")
    (article,) = read_file(path)
    assert seen[0].data == b"\xff\xfe\x00raw" and seen[0].path == path
    # (undated: the file's time is never an article's date)
    assert (article.key, article.title, article.published) == (str(path), "Title", None)


def test_a_reader_that_finds_nothing_is_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(readers._readers(), ".none", lambda file: FileRead([]))
    with pytest.raises(SourceError, match="no articles in the file"):
        read_file(write(tmp_path / "a.none", "x"))


def test_unknown_types_and_feeds_are_named(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as unknown:
        read_file(write(tmp_path / "a.png", b"\x89PNG"))
    assert str(unknown.value) == (
        "unknown file type '.png' (expected one of: .atom, .htm, .html, .json, .jsonl, "
        ".markdown, .md, .opml, .rss, .txt, .xml)"
    )
    with pytest.raises(SourceError, match="read it with read_paths"):
        read_file(write(tmp_path / "a.rss", "<rss/>"))


def test_one_reader_a_format() -> None:
    assert readers.suffixes() >= {".md", ".markdown", ".txt", ".html", ".htm", ".json", ".jsonl"}
    with pytest.raises(ValueError, match=r"two readers for \.md files"):
        readers.register(".md")(lambda file: FileRead([]))
