"""JSON and JSON lines files (``knowledge.readers.json_records``)."""

import json
from pathlib import Path

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
