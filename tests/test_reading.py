"""Reading an ingest's sources: folders walked, each file once (``knowledge.reading``)."""

import os
from pathlib import Path

import pytest

from knowledge.reading import read_paths

from .conftest import write


def test_folders_are_read_recursively_skipping_hidden_files(tmp_path: Path) -> None:
    write(tmp_path / "a" / "b" / "deep.md", "Deep.")
    write(tmp_path / ".hidden" / "x.md", "Hidden.")
    write(tmp_path / ".x.md", "Hidden too.")
    result = read_paths([tmp_path, tmp_path / "missing"])
    assert [Path(a.path).name for a in result.articles] == ["deep.md"]
    assert result.failed[0].reason == "no such file or folder"


def test_a_folder_that_cannot_be_listed_is_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import knowledge.reading as reading

    write(tmp_path / "ok" / "a.md", "Body.")
    real_walk = os.walk

    def walk(top, onerror=None, followlinks=False):
        onerror(PermissionError(13, "Permission denied", str(tmp_path / "locked")))
        yield from real_walk(top, onerror=onerror, followlinks=followlinks)

    monkeypatch.setattr(reading.os, "walk", walk)
    result = read_paths([tmp_path])
    assert [f.path for f in result.failed] == [str(tmp_path / "locked")]
    assert "cannot list the folder" in result.failed[0].reason


def test_a_path_given_twice_is_read_once(tmp_path: Path) -> None:
    path = write(tmp_path / "a.md", "Body.")
    result = read_paths([tmp_path, path])
    assert len(result.articles) == 1 and not result.failed
