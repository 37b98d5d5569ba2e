"""JSON files (.json: one record or a list of them) and JSON lines (.jsonl: one record a line),
each record an article."""

from __future__ import annotations

import json

from ..records import Article, FileError
from ..sources import SourceError, decode, split_paragraphs, text_field
from . import FileRead, SourceFile, register


@register(".json", ".jsonl")
def read_json(file: SourceFile) -> FileRead:
    """The articles of the file's records, and the records that could not be used (as
    ``path#n``). A record's text is its ``text``, ``body`` or ``content``; its ``id`` keys it
    within the file."""
    text = decode(file.data)
    try:
        if file.path.suffix.lower() == ".jsonl":
            # split on newlines only: str.splitlines() also cuts at U+2028, legal inside JSON
            records = [json.loads(line) for line in text.split("\n") if line.strip()]
        else:
            data = json.loads(text)
            records = data if isinstance(data, list) else [data]
    except json.JSONDecodeError as error:
        raise SourceError(f"unparseable JSON: {error.msg} at line {error.lineno}") from error
    articles, problems = [], []
    for number, record in enumerate(records, 1):
        try:
            articles.append(_record_article(file, record, number))
        except SourceError as error:
            problems.append(FileError(f"{file.path}#{number}", str(error)))
    if not articles:
        reasons = "; ".join(f"record {p.path.rsplit('#', 1)[1]}: {p.reason}" for p in problems)
        raise SourceError(reasons or "no records in the file")
    return FileRead(articles, problems)


def _record_article(file: SourceFile, record: object, number: int) -> Article:
    if not isinstance(record, dict):
        raise SourceError("a record must be a JSON object")
    body = next((record[k] for k in ("text", "body", "content") if record.get(k)), None)
    if not isinstance(body, str):
        raise SourceError("no 'text', 'body' or 'content' string")
    paragraphs = split_paragraphs(body, one_per_line=True)
    ident = record["id"] if record.get("id") is not None else number
    key = f"{file.path}#{ident}"
    return file.article(record, text_field(record, "title"), paragraphs, key)
