"""Hostile and odd input files, end to end through an ingest: each reported for its file,
the rest of the run stored (issue 12: nothing hangs, nothing aborts the whole ingest)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from knowledge import Library

from .conftest import BODY, write, write_article
from .test_feeds import paragraphs, rss

BILLION_LAUGHS = (
    "---\n"
    'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "title: *i\n---\nBody text.\n"
)


def reasons(report_list: list) -> dict[str, str]:
    return {Path(f.path).name: f.reason for f in report_list}


def test_yaml_aliases_are_refused_not_expanded(library: Library, tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(src / "laughs.md", BILLION_LAUGHS)  # 1 KB: gigabytes once expanded
    write(src / "date.md", "---\nd: &d 2021-05-21\ndate: *d\n---\nBody of the article.\n")
    write_article(src, "good.md", title="good")
    report = library.ingest([src])
    assert report.added == 1 and [a.title for a in library.latest(5)] == ["good"]
    failed = reasons(report.failed)
    assert set(failed) == {"laughs.md", "date.md"}
    assert all("aliases (*name) are not allowed in front matter" in r for r in failed.values())


def test_lone_surrogates_are_replaced_reported_and_the_rest_stored(
    library: Library, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    records = [{"id": "s", "title": "bad \ud800 title", "text": BODY + " \udc00 end"}]
    write(src / "records.json", json.dumps(records))  # ("\ud800" escapes: valid JSON)
    write_article(src, "good.md", BODY + " ب", title="good")
    report = library.ingest([src])
    assert (report.added, report.failed) == (2, [])
    (note,) = report.notes
    assert note.path == f"{src / 'records.json'}#s"
    assert "replaced by U+FFFD in its title, text" in note.reason
    stored = {a.key: a for a in library.latest(5)}
    assert stored[f"{src / 'records.json'}#s"].title == "bad \ufffd title"
    again = library.ingest([src])  # (unchanged files are skipped; nothing new fails)
    assert again.failed == [] and again.unchanged == 2


def test_a_file_name_that_is_not_utf8_is_stored_replaced_and_reported(
    library: Library, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    with open(os.fsencode(src) + b"/caf\xe9.md", "w") as file:  # (Latin-1: not UTF-8)
        file.write(BODY)
    write_article(src, "good.md", BODY + " ب", title="good")
    report = library.ingest([src])
    assert (report.added, report.failed) == (2, [])
    (note,) = report.notes
    assert note.path == str(src / "caf\ufffd.md")
    assert "in its key, path" in note.reason
    assert str(src / "caf\ufffd.md") in {a.path for a in library.latest(5)}
    synced = library.ingest([src], sync=True)  # read again (its name cannot be remembered)
    assert (synced.unchanged, synced.removed, synced.failed) == (2, 0, [])


def test_a_feed_item_with_a_reference_to_no_character_is_stored_replaced(
    library: Library, tmp_path: Path
) -> None:
    items = [
        {"title": "TITLE", "guid": "tag:x:1", "content": paragraphs("سيئ")},
        {"title": "جيد", "guid": "tag:x:2", "content": paragraphs("جيد")},
    ]
    data = rss(items).replace(b"TITLE", b"bad &#55296; title &#x1F600;")
    write(tmp_path / "src" / "news.rss", data)
    report = library.ingest([tmp_path / "src"])
    assert (report.added, report.failed) == (2, [])
    (note,) = report.notes
    assert note.path == str(tmp_path / "src" / "news.rss")
    assert "replaced by U+FFFD" in note.reason
    assert {a.title for a in library.latest(5)} == {"bad \ufffd title \U0001f600", "جيد"}


def test_a_json_lines_file_cut_off_stores_its_good_lines(library: Library, tmp_path: Path) -> None:
    lines = [json.dumps({"id": i, "title": f"t{i}", "text": f"{BODY} {i}"}) for i in range(100)]
    cut = json.dumps({"id": 100, "text": BODY}, ensure_ascii=False).encode()[:-9]  # mid-letter
    path = write(tmp_path / "dump.jsonl", "\n".join(lines).encode() + b"\n" + cut)
    report = library.ingest([path])
    assert report.added == 100 and library.stats().articles == 100
    (failure,) = report.failed
    assert failure.path == f"{path}#101"
    assert "on line 101" in failure.reason


def test_json_lines_named_json_and_a_json_list_cut_off(library: Library, tmp_path: Path) -> None:
    lines = [json.dumps({"id": i, "text": f"{BODY} {i}"}) for i in range(5)]
    as_json = write(tmp_path / "src" / "lines.json", "\n".join(lines) + '\n{"id": 5, "te')
    listed = write(tmp_path / "src" / "list.json", "[" + ",\n".join(lines) + ',\n{"id": 5, "te')
    report = library.ingest([tmp_path / "src"])
    assert report.added == 10
    assert sorted((f.path, f.reason.split(":")[0]) for f in report.failed) == [
        (f"{as_json}#6", "unparseable JSON on line 6"),
        (f"{listed}#6", "cut off"),
    ]


def test_titles_given_as_a_list_are_joined_and_objects_refused(
    library: Library, tmp_path: Path
) -> None:
    records = [
        {"id": "list", "title": ["Gaza ceasefire", "day two"], "text": "Listed title. " * 5},
        {"id": "object", "title": {"en": "An object"}, "text": "Object title here. More."},
    ]
    path = write(tmp_path / "records.json", json.dumps(records))
    report = library.ingest([path])
    assert report.added == 2 and report.failed == []
    titles = {a.key.rsplit("#")[1]: a.title for a in library.latest(5)}
    assert titles == {"list": "Gaza ceasefire day two", "object": "Object title here"}
    assert sorted((n.path.rsplit("#")[1], n.reason) for n in report.notes) == [
        ("list", "title given as a list of 2 strings: joined"),
        ("object", "title given as an object: not used (the title is the text's first line)"),
    ]


def test_a_long_single_line_costs_about_what_the_same_text_in_lines_costs(
    tmp_path: Path,
) -> None:
    words = [w for w in BODY.replace(".", "").split() if w]
    sentence = " ".join(words * 2)
    lines = [f"{sentence} {i}." for i in range(1_500)]  # ~400 KB
    write(tmp_path / "normal" / "a.txt", "\n\n".join(lines))
    write(tmp_path / "line" / "a.txt", " ".join(line.rstrip(".") for line in lines))

    def ingest_seconds(folder: str, name: str = "") -> float:
        with Library.open(tmp_path / f"{name or folder}.db") as library:
            started = time.perf_counter()
            report = library.ingest([tmp_path / folder])
            assert report.added == 1
            return time.perf_counter() - started

    ingest_seconds("normal", "warm")  # (warm: the analyser's first use)
    normal, line = ingest_seconds("normal"), ingest_seconds("line")
    # a sentence that never ends was cut with quadratic work: ~30 s here, 10 minutes for 50 MB
    assert line < 5 * normal
