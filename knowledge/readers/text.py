"""Markdown and plain-text files (.md, .markdown, .txt), with optional YAML front matter."""

from __future__ import annotations

import re

import yaml

from ..sources import (
    SourceError,
    decode,
    error_text,
    split_paragraphs,
    starts_with_heading,
    text_field,
)
from . import FileRead, SourceFile, register

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.DOTALL)


@register(".md", ".markdown", ".txt")
def read_text(file: SourceFile) -> FileRead:
    """A Markdown or plain-text article, with optional YAML front matter.

    Paragraphs are separated by blank lines; a file without any blank line has one paragraph a
    line. A Markdown file that opens with a heading is titled by it; ``id`` in the front matter
    keys the article instead of its path.
    """
    text = decode(file.data)
    meta, body = split_front_matter(text)
    paragraphs = split_paragraphs(body, one_per_line=True)
    title = text_field(meta, "title")
    markdown = file.path.suffix.lower() != ".txt"
    if not title and paragraphs and markdown and starts_with_heading(body):
        title = paragraphs.pop(0)
    key = str(meta["id"]) if meta.get("id") is not None else None
    return FileRead([file.article(meta, title, paragraphs, key)])


def split_front_matter(text: str) -> tuple[dict, str]:
    """YAML front matter (a dict) and the rest of ``text``."""
    text = text.lstrip("\ufeff")
    match = _FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1) or "") or {}
    except yaml.YAMLError as error:
        raise SourceError(f"invalid YAML front matter: {error_text(error)}") from error
    if not isinstance(meta, dict):
        raise SourceError("front matter must be a YAML mapping (key: value lines)")
    return meta, text.replace("\r\n", "\n")[match.end() :]
