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
    (tmp_path / "locked").mkdir()
    real_listdir = os.listdir

    def listdir(folder):  # (the tests run as root, whom chmod does not stop)
        if Path(folder) == tmp_path / "locked":
            raise PermissionError(13, "Permission denied", str(folder))
        return real_listdir(folder)

    monkeypatch.setattr(reading.os, "listdir", listdir)
    result = read_paths([tmp_path])
    assert [f.path for f in result.failed] == [str(tmp_path / "locked")]
    assert "cannot list the folder" in result.failed[0].reason


def test_a_path_given_twice_is_read_once(tmp_path: Path) -> None:
    path = write(tmp_path / "a.md", "Body.")
    result = read_paths([tmp_path, path])
    assert len(result.articles) == 1 and not result.failed


def test_only_regular_files_are_read_and_the_others_reported(tmp_path: Path) -> None:
    good = write(tmp_path / "good.md", "Good article body.")
    os.mkfifo(tmp_path / "pipe.md")  # (reading it would block forever)
    (tmp_path / "zero.txt").symlink_to("/dev/zero")  # (reading it would never end)
    (tmp_path / "gone.md").symlink_to(tmp_path / "nowhere.md")
    result = read_paths([tmp_path])
    assert [a.path for a in result.articles] == [str(good)]
    reasons = {Path(f.path).name: f.reason for f in result.failed}
    assert reasons == {
        "pipe.md": "not a regular file (a named pipe): not read",
        "zero.txt": "not a regular file (a device): not read",
        "gone.md": "a broken link",
    }


def test_a_named_pipe_given_on_its_own_is_reported(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.md")
    result = read_paths([tmp_path / "pipe.md"])
    assert not result.articles
    assert result.failed[0].reason == "not a regular file (a named pipe): not read"


def test_symbolic_link_loops_read_each_folder_once(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(src / "a.md", "The only article.")
    write(src / "sub" / "b.md", "The other article.")
    (src / "loop").symlink_to(src)  # two loops: one to the top, one to a subfolder's parent
    (src / "sub" / "up").symlink_to(src)
    result = read_paths([src])
    assert sorted(a.path for a in result.articles) == [str(src / "a.md"), str(src / "sub/b.md")]
    assert sorted(Path(f.path).name for f in result.ignored) == ["loop", "up"]
    assert all("a link to a folder read already" in f.reason for f in result.ignored)
    assert not result.failed


def test_a_symbolic_link_loop_given_as_a_source_is_reported(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to(tmp_path / "loop")  # a link to itself
    write(tmp_path / "ok" / "a.md", "The only article.")
    result = read_paths([tmp_path / "loop", tmp_path / "ok"])
    assert [Path(a.path).name for a in result.articles] == ["a.md"]
    assert len(result.failed) == 1 and "symbolic link loop" in result.failed[0].reason


def test_a_linked_folder_outside_is_read_once(tmp_path: Path) -> None:
    write(tmp_path / "elsewhere" / "x.md", "Linked in.")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "one").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "src" / "two").symlink_to(tmp_path / "elsewhere")
    result = read_paths([tmp_path / "src"])
    assert [a.path for a in result.articles] == [str(tmp_path / "src/one/x.md")]
    assert [Path(f.path).name for f in result.ignored] == ["two"]


def test_project_files_in_a_folder_are_not_articles(tmp_path: Path) -> None:
    good = write(tmp_path / "news" / "a.md", "An article.")
    for name in (
        "README.md",
        "readme.txt",
        "LICENSE",
        "LICENSE.md",
        "COPYING",
        "CHANGELOG.md",
        "CONTRIBUTING.md",
        "AUTHORS",
    ):
        write(tmp_path / "news" / name, "Not an article at all.")
    history = write(tmp_path / "news" / "history.md", "A history of the region.")
    result = read_paths([tmp_path])
    assert sorted(a.path for a in result.articles) == [str(good), str(history)]
    assert not result.failed
    assert len(result.ignored) == 8
    assert {f.reason for f in result.ignored} == {"not an article (a project file)"}
    # named on its own, a README is read: it was asked for
    (readme,) = read_paths([tmp_path / "news" / "README.md"]).articles
    assert readme.text == "Not an article at all."


def test_a_file_over_the_size_limit_is_reported_and_the_rest_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import knowledge.readers as readers

    monkeypatch.setitem(readers._LIMITS, ".txt", 1000)
    write(tmp_path / "big.txt", "word " * 300)
    good = write(tmp_path / "good.md", "Good article body.")
    result = read_paths([tmp_path])
    assert [a.path for a in result.articles] == [str(good)]
    (failure,) = result.failed
    assert failure.path == str(tmp_path / "big.txt")
    assert failure.reason.startswith("too big: the file is 0.0 MB (the limit is 0 MB)")


def test_the_size_limits() -> None:
    import knowledge.readers as readers

    readers.suffixes()
    assert readers.MAX_FILE_BYTES == 20 * 2**20
    assert readers._LIMITS[".md"] == readers._LIMITS[".html"] == readers.MAX_FILE_BYTES
    assert readers._LIMITS[".json"] == readers.MAX_COLLECTION_BYTES == 200 * 2**20
