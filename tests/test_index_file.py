"""The saved index file (``knowledge.index_file``): damage in place is refused, never served,
and the library rebuilds it; a file cut short under a serving process does not kill it."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from knowledge import Library
from knowledge.index import BM25Index, IndexFileError
from knowledge.index_file import MAGIC, aligned

from .conftest import BODY, write_article


def _layout(data: bytes) -> tuple[dict, int]:
    """The header of an index file, and where its arrays start."""
    size = int.from_bytes(data[len(MAGIC) : len(MAGIC) + 8], "little")
    return json.loads(data[len(MAGIC) + 8 : len(MAGIC) + 8 + size]), aligned(len(MAGIC) + 8 + size)


def _garble_array(name: str) -> Callable[[bytes], bytes]:
    """Flip the lowest bit of the middle value of array ``name``: a change that keeps the value
    plausible (an id one off, a float's last bit), as a damaged sector may."""

    def damage(data: bytes) -> bytes:
        header, start = _layout(data)
        spec = header["arrays"][name]
        at = start + spec["offset"] + spec["shape"][0] // 2 * np.dtype(spec["dtype"]).itemsize
        return data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]

    return damage


def _garble_vocabulary(data: bytes) -> bytes:
    """Two terms of the header's vocabulary swapped: still valid JSON."""
    assert b'"gaza", "ceasefire"' in data
    return data.replace(b'"gaza", "ceasefire"', b'"ceasefire", "gaza"', 1)


def _size_field(value: int) -> Callable[[bytes], bytes]:
    return lambda data: data[:16] + value.to_bytes(8, "little") + data[24:]


DOCS = [["gaza", "ceasefire", "friday"], ["jerusalem", "gaza"], ["rockets"] * 3, ["friday"]]


@pytest.mark.parametrize(
    "damage",
    [
        _garble_array("doc_ids"),
        _garble_array("post_docs"),
        _garble_array("post_weights"),
        _garble_array("idf"),
        _garble_array("indptr"),
        _garble_vocabulary,
        _size_field(2**63 - 1),
        _size_field(2**64 - 1),
        _size_field(10**12),
        lambda data: data[:-1],  # the trailer cut
        lambda data: data + b"\0" * 64,  # grown
    ],
    ids=[
        "doc_ids",
        "post_docs",
        "post_weights",
        "idf",
        "indptr",
        "vocabulary",
        "size-2**63",
        "size-2**64",
        "size-10**12",
        "cut",
        "grown",
    ],
)
def test_an_index_file_damaged_in_place_is_refused(tmp_path: Path, damage) -> None:
    path = tmp_path / "x.bm25"
    BM25Index.build(DOCS, [10, 20, 30, 40]).save(path)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(IndexFileError):
        BM25Index.load(path)


def test_a_header_that_lies_about_an_arrays_size_is_refused(tmp_path: Path) -> None:
    """A header whose checksum matches (made so) but whose shapes do not fit the file: refused
    without allocating or overflowing."""
    import zlib

    from knowledge.index_file import TRAILER

    path = tmp_path / "x.bm25"
    BM25Index.build(DOCS).save(path)
    data = path.read_bytes()
    header, start = _layout(data)
    for shape in ([2**62], [2**40, 2**40], [-1]):
        header["arrays"]["post_weights"]["shape"] = shape
        head = json.dumps(header).encode()
        prefix = MAGIC + len(head).to_bytes(8, "little") + head
        body = data[start : -4 - len(TRAILER)]
        trailer = zlib.crc32(head).to_bytes(4, "little") + TRAILER
        path.write_bytes(prefix.ljust(aligned(len(prefix)), b"\0") + body + trailer)
        with pytest.raises(IndexFileError):
            BM25Index.load(path)


def test_a_library_rebuilds_a_damaged_index_file_and_says_so(
    library: Library, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for i in range(6):
        write_article(tmp_path / "src", f"{i}.md", f"{BODY} رقم {i} مدينة{i}", title=f"t{i}")
    library.ingest([tmp_path / "src"])
    questions = [f"مدينة{i}" for i in range(6)] + ["وقف إطلاق النار"]
    expected = [library.search(q, 3) for q in questions]
    good = library.index_path.read_bytes()
    damages = [_garble_array(name) for name in ("doc_ids", "idf", "post_weights")]
    for damage in [*damages, _size_field(2**63 - 1)]:
        library.index_path.write_bytes(damage(good))
        caplog.clear()
        with caplog.at_level(logging.WARNING), Library.open(library.path) as reopened:
            assert [reopened.search(q, 3) for q in questions] == expected
        assert "cannot be used, rebuilding it" in caplog.text
        assert BM25Index.load(library.index_path).meta == library.index.meta  # saved again


SERVE = """
import sys
from knowledge import Library
lib = Library.open(sys.argv[1], embedder=None)
lib.recheck_seconds = 0.0
print(lib.search("وقف إطلاق النار", 1).hits[0].title, flush=True)
sys.stdin.readline()  # the file is cut short meanwhile
print(lib.search("وقف إطلاق النار", 1).hits[0].title, flush=True)
print(lib.search("مدينة3", 1).hits[0].title, flush=True)
"""


def test_a_process_serving_from_an_index_file_cut_short_keeps_answering(
    tmp_path: Path,
) -> None:
    with Library.open(tmp_path / "lib.db", embedder=None) as library:
        for i in range(40):
            write_article(tmp_path / "src", f"{i}.md", f"{BODY} رقم {i} مدينة{i}", title=f"t{i}")
        library.ingest([tmp_path / "src"])
        index_path = library.index_path
    serving = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(tmp_path / "lib.db")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    assert serving.stdout is not None and serving.stdin is not None
    first = serving.stdout.readline().strip()
    os.truncate(index_path, 4096)  # in place: the mapped pages beyond are gone
    serving.stdin.write("\n")
    serving.stdin.flush()
    out, err = serving.communicate(timeout=120)
    assert serving.returncode == 0, err  # not -SIGBUS
    assert out.split() == [first, "t3"]
    assert "cut short while in use" in err


def test_the_saved_index_is_readable_by_whoever_may_read_the_library(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import stat

    import knowledge.index_file

    write_article(tmp_path / "src", "a.md", title="a")
    library.ingest([tmp_path / "src"])
    mode = stat.S_IMODE(library.path.stat().st_mode)
    assert stat.S_IMODE(library.index_path.stat().st_mode) == mode

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")  # (another user's private file)

    monkeypatch.setattr(knowledge.index_file, "open", denied, raising=False)
    with pytest.raises(IndexFileError, match="Permission denied"):
        BM25Index.load(library.index_path)
    with Library.open(library.path, embedder=None) as reopened:  # rebuilt, not a crash
        assert reopened.search("غزة", 1).answered
