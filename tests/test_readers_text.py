"""Markdown and plain-text files (``knowledge.readers.text``)."""

import os
from pathlib import Path

import pytest

from knowledge.readers import read_file

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


def test_markdown_heading_becomes_the_title(tmp_path: Path) -> None:
    (article,) = read_file(write(tmp_path / "a.md", "# The title\n\nBody text here."))
    assert (article.title, article.text) == ("The title", "Body text here.")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1256", "utf-16"])
def test_encodings(tmp_path: Path, encoding: str) -> None:
    text = (ARABIC + "\n") * 3
    (article,) = read_file(write(tmp_path / "a.txt", text.encode(encoding)))
    assert article.text.split("\n\n")[0] == ARABIC
