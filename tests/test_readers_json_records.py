"""JSON and JSON lines files (``knowledge.readers.json_records``)."""

import json
from pathlib import Path

import pytest

from knowledge.readers import read_file
from knowledge.reading import read_paths

from .conftest import write


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


def test_json_lines_stream_a_batch_of_records_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from knowledge.readers import json_records, stream_reader

    monkeypatch.setattr(json_records, "BATCH_RECORDS", 2)
    lines = [json.dumps({"title": f"t{i}", "text": f"body {i}"}) for i in range(5)]
    lines.insert(2, "{not json")
    path = write(tmp_path / "a.jsonl", "\n".join(lines) + "\n\n")
    stream = stream_reader(path)
    assert stream is not None
    batches = [(read.articles, read.problems, position) for read, position in stream()]
    assert [len(articles) + len(problems) for articles, problems, _ in batches] == [2, 2, 2]
    positions = [position for _, _, position in batches]  # (the progress of an ingest)
    assert positions == sorted(positions) and positions[-1] == path.stat().st_size - 1
    problems = [p for _, found, _ in batches for p in found]
    assert [p.path for p in problems] == [f"{path}#3"] and "unparseable JSON" in problems[0].reason
    # the same articles, keys and problems as the whole file read at once
    assert [a for articles, _, _ in batches for a in articles] == read_file(path)
    assert read_paths([path]).failed == problems


def test_a_json_lines_file_without_any_article_fails_whole(tmp_path: Path) -> None:
    from knowledge.readers import stream_reader
    from knowledge.sources import SourceError

    path = write(tmp_path / "a.jsonl", "{not json\n" + json.dumps({"title": "no text"}))
    stream = stream_reader(path)
    assert stream is not None
    with pytest.raises(SourceError, match=r"record 1: unparseable JSON.*record 2: no 'text'"):
        list(stream())
    (failure,) = read_paths([path]).failed
    assert failure.path == str(path)


def test_json_lines_in_another_encoding_are_read_whole(tmp_path: Path) -> None:
    from knowledge.readers import stream_reader

    line = json.dumps({"title": "t", "text": "نص عربي"}, ensure_ascii=False)
    path = tmp_path / "a.jsonl"
    path.write_bytes(line.encode("utf-16"))
    assert stream_reader(path) is None
    (article,) = read_paths([path]).articles
    assert article.text == "نص عربي"


@pytest.mark.parametrize(
    ("field", "value", "published"),
    [
        ("published", "2024-01-02T10:00:00Z", "2024-01-02T10:00:00+00:00"),
        ("pubDate", "Tue, 02 Jan 2024 10:00:00 GMT", "2024-01-02T10:00:00+00:00"),
        ("date_published", "Tue, 02 Jan 2024 13:00:00 +0300", "2024-01-02T13:00:00+03:00"),
        ("datePublished", "2024-01-02", "2024-01-02"),
        ("created_at", 1704189600, "2024-01-02T10:00:00+00:00"),
        ("created_at", 1704189600000, "2024-01-02T10:00:00+00:00"),
        ("date_extracted", "2024-01-02 10:00:00", "2024-01-02T10:00:00"),
    ],
)
def test_the_usual_date_fields_in_iso_or_rfc_2822(
    tmp_path: Path, field: str, value: object, published: str
) -> None:
    record = {"title": "t", "text": "Body.", field: value}
    (article,) = read_file(write(tmp_path / "a.json", json.dumps(record)))
    assert article.published == published


def test_the_publication_date_comes_before_a_crawls(tmp_path: Path) -> None:
    record = {"text": "Body.", "date_extracted": "2024-05-05", "pubDate": "2024-01-02"}
    (article,) = read_file(write(tmp_path / "a.json", json.dumps(record)))
    assert article.published == "2024-01-02"


def test_a_record_without_a_date_is_undated(tmp_path: Path) -> None:
    (article,) = read_file(write(tmp_path / "a.json", json.dumps({"text": "Body."})))
    assert article.published is None and not article.date_from_mtime


def test_a_line_over_the_size_limit_is_reported_and_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import knowledge.readers as readers

    monkeypatch.setattr(readers, "MAX_FILE_BYTES", 200)
    lines = [
        json.dumps({"id": 1, "text": "First."}),
        json.dumps({"id": 2, "text": "long " * 100}),
        json.dumps({"id": 3, "text": "Third."}),
    ]
    path = write(tmp_path / "a.jsonl", "\n".join(lines) + "\n")
    result = read_paths([path])
    assert [a.key for a in result.articles] == [f"{path}#1", f"{path}#3"]
    (failure,) = result.failed
    assert failure.path == f"{path}#2"
    assert failure.reason.startswith("too big: line 2 is over 0 MB")
