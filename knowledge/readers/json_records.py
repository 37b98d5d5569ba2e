"""JSON files (.json: one record or a list of them) and JSON lines (.jsonl: one record a line,
read a batch of records at a time), each record an article."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator

from ..records import Article, FileError
from ..sources import SourceError, decode, split_paragraphs, title_field
from . import MAX_COLLECTION_BYTES, FileRead, SourceFile, SourceLines, register, register_stream

BATCH_RECORDS = 256
"""Records a stream of JSON lines yields at a time (a few MB of text)."""


@register(".json", ".jsonl", limit=MAX_COLLECTION_BYTES)
def read_json(file: SourceFile) -> FileRead:
    """The articles of the file's records, and the records that could not be used (as
    ``path#n``). A record's text is its ``text``, ``body`` or ``content``; its ``id`` keys it
    within the file."""
    text = decode(file.data)
    if file.path.suffix.lower() == ".jsonl":
        return FileRead(*_as_lines(file, text))
    articles, problems = [], []
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        if error.msg == "Extra data":  # one record a line: JSON lines named .json
            return FileRead(*_as_lines(file, text))
        data, cut = _list_cut_off(text, error)  # (or raises SourceError)
        problems.append(FileError(f"{file.path}#{len(data) + 1}", cut))
    records = data if isinstance(data, list) else [data]
    for number, record in enumerate(records, 1):
        try:
            articles.append(_record_article(file, record, number))
        except SourceError as error:
            problems.append(FileError(f"{file.path}#{number}", str(error)))
    if not articles:
        raise SourceError(_reasons(problems) or "no records in the file")
    return FileRead(articles, problems)


_SPACE = re.compile(r"\s*")


def _list_cut_off(text: str, error: json.JSONDecodeError) -> tuple[list, str]:
    """The records of a JSON list cut off (a dump interrupted while written) up to the cut,
    and the report of the cut. Raises ``SourceError`` when ``text`` is no such list."""
    decoder = json.JSONDecoder()
    records: list = []
    position = _SPACE.match(text).end()  # type: ignore[union-attr]
    if not text.startswith("[", position):
        raise SourceError(f"unparseable JSON: {error.msg} at line {error.lineno}") from error
    position += 1
    try:
        while True:
            record, position = decoder.raw_decode(text, _SPACE.match(text, position).end())  # type: ignore[union-attr]
            records.append(record)
            position = _SPACE.match(text, position).end()  # type: ignore[union-attr]
            if not text.startswith(",", position):
                break
            position += 1
    except json.JSONDecodeError as cut:
        if records:
            return records, f"cut off: unparseable JSON from line {cut.lineno} ({cut.msg})"
    raise SourceError(f"unparseable JSON: {error.msg} at line {error.lineno}") from error


@register_stream(".jsonl")
def stream_json_lines(file: SourceLines) -> Iterator[FileRead]:
    """``read_json`` of a JSON lines file, ``BATCH_RECORDS`` records at a time."""
    return _json_lines(file, file.lines(), BATCH_RECORDS)


def _json_lines(
    file: SourceFile | SourceLines, lines: Iterable[tuple[int, str | SourceError]], batch: int
) -> Iterator[FileRead]:
    """The records of JSON ``lines`` (blank ones skipped), in batches of ``batch`` (0: one
    batch). A record is numbered by its place among the records (which keys it without an
    ``id``); a line that is not JSON is that record's problem. Raises ``SourceError`` at the
    end when no record was an article (its problems were yielded before)."""
    articles: list[Article] = []
    problems: list[FileError] = []
    found = False
    number = 0
    for line_number, line in lines:
        if isinstance(line, str) and not line.strip():
            continue
        number += 1
        try:
            if isinstance(line, SourceError):
                raise line
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise SourceError(f"unparseable JSON on line {line_number}: {error.msg}") from None
            articles.append(_record_article(file, record, number))
        except SourceError as error:
            problems.append(FileError(f"{file.path}#{number}", str(error)))
        found = found or bool(articles)
        # (problems wait for the file's first article: without one, the file is what failed)
        if batch and found and len(articles) + len(problems) >= batch:
            yield FileRead(articles, problems)
            articles, problems = [], []
    if found and (articles or problems):
        yield FileRead(articles, problems)
    if not found:
        raise SourceError(_reasons(problems) or "no records in the file")


def _as_lines(file: SourceFile, text: str) -> tuple[list[Article], list[FileError]]:
    """The articles and bad records of ``text`` read as JSON lines."""
    # split on newlines only: str.splitlines() also cuts at U+2028, legal inside JSON
    batches = list(_json_lines(file, enumerate(text.split("\n"), 1), batch=0))
    return [a for b in batches for a in b.articles], [p for b in batches for p in b.problems]


def _reasons(problems: list[FileError]) -> str:
    return "; ".join(f"record {p.path.rsplit('#', 1)[1]}: {p.reason}" for p in problems)


def _record_article(file: SourceFile | SourceLines, record: object, number: int) -> Article:
    if not isinstance(record, dict):
        raise SourceError("a record must be a JSON object")
    body = next((record[k] for k in ("text", "body", "content") if record.get(k)), None)
    if not isinstance(body, str):
        raise SourceError("no 'text', 'body' or 'content' string")
    paragraphs = split_paragraphs(body, one_per_line=True)
    ident = record["id"] if record.get("id") is not None else number
    key = f"{file.path}#{ident}"
    title, notes = title_field(record)
    return file.article(record, title, paragraphs, key, notes)
