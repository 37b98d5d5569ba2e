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
    title_field,
)
from . import FileRead, SourceFile, register

MAX_FRONT_MATTER = 64 * 1024
"""The longest YAML front matter read: a title, a date, a URL... are a few hundred bytes."""


class _NoAliases(yaml.SafeLoader):
    """YAML's safe loader, refusing aliases (``*name``): front matter has no use for them, and
    nested ones expand exponentially (a "billion laughs": a 1 KB file, gigabytes of memory)."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in front matter", mark
            )
        return super().compose_node(parent, index)


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
    title, notes = title_field(meta)
    markdown = file.path.suffix.lower() != ".txt"
    if not title and paragraphs and markdown and starts_with_heading(body):
        title = paragraphs.pop(0)
    key = str(meta["id"]) if meta.get("id") is not None else None
    return FileRead([file.article(meta, title, paragraphs, key, notes)])


def split_front_matter(text: str) -> tuple[dict, str]:
    """YAML front matter (a dict) and the rest of ``text``."""
    text = text.lstrip("\ufeff")
    match = _FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if not match:
        return {}, text
    front = match.group(1) or ""
    if len(front) > MAX_FRONT_MATTER:
        raise SourceError(f"front matter over {MAX_FRONT_MATTER // 1024} KB: not read")
    try:
        meta = yaml.load(front, Loader=_NoAliases) or {}  # (a safe loader, without aliases)
    except yaml.YAMLError as error:
        raise SourceError(f"invalid YAML front matter: {error_text(error)}") from error
    if not isinstance(meta, dict):
        raise SourceError("front matter must be a YAML mapping (key: value lines)")
    return meta, text.replace("\r\n", "\n")[match.end() :]
