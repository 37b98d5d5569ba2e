"""Markdown and plain-text files (``knowledge.readers.text``)."""

import os
from pathlib import Path

import pytest

from knowledge.readers import read_file
from knowledge.sources import SourceError

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
    assert article.published is None  # undated: never dated by its file's time
    assert not article.date_from_mtime
    assert article.key == str(path)


def test_markdown_heading_becomes_the_title(tmp_path: Path) -> None:
    (article,) = read_file(write(tmp_path / "a.md", "# The title\n\nBody text here."))
    assert (article.title, article.text) == ("The title", "Body text here.")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1256", "utf-16"])
def test_encodings(tmp_path: Path, encoding: str) -> None:
    text = (ARABIC + "\n") * 3
    (article,) = read_file(write(tmp_path / "a.txt", text.encode(encoding)))
    assert article.text.split("\n\n")[0] == ARABIC


def test_english_in_windows_1252_is_not_taken_for_cjk(tmp_path: Path) -> None:
    text = "The deal was worth \u00a315.8m, the company said on Tuesday.\n"
    (article,) = read_file(write(tmp_path / "bbc.txt", text.encode("cp1252")))
    assert article.text == text.strip()
    accents = "Le café « Flore » a rouvert ses portes à Paris, dit le propriétaire.\n"
    (french,) = read_file(write(tmp_path / "fr.txt", accents.encode("cp1252")))
    assert french.text == accents.strip()


def test_front_matter_over_its_limit_is_refused(tmp_path: Path) -> None:
    from knowledge.readers.text import MAX_FRONT_MATTER

    path = write(tmp_path / "a.md", "---\n" + "k: v\n" * (MAX_FRONT_MATTER // 4) + "---\nBody.")
    with pytest.raises(SourceError, match="front matter over 64 KB"):
        read_file(path)
