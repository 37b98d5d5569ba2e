"""Read article files (Markdown/text, HTML, JSON/JSON lines) into ``Article`` records, and
walk folders for them (``reading`` hands feed and OPML files, and URLs, to ``feeds``).

Every problem with a file becomes a ``FileError`` with a reason a person can act on; reading never
raises for bad input, so one broken file never stops an ingest.
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import logging
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import charset_normalizer
import yaml

from .records import Article, FileError

logger = logging.getLogger(__name__)

TEXT_SUFFIXES = {".md", ".markdown", ".txt"}
HTML_SUFFIXES = {".html", ".htm"}
JSON_SUFFIXES = {".json", ".jsonl"}
SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES
FEED_SUFFIXES = {".rss", ".atom", ".xml"}
OPML_SUFFIXES = {".opml"}
WEB_SUFFIXES = FEED_SUFFIXES | OPML_SUFFIXES
"""Files read with the web sources: their items or feeds may need fetching."""
TITLE_CHARS = 90
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.DOTALL)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_HEADING = re.compile(r"^#{1,6}\s+")


class SourceError(Exception):
    """A file that cannot become an article; the message says why."""


def iter_files(paths: Iterable[str | Path], failed: list[FileError]) -> Iterator[Path]:
    """The files under ``paths``, each once, in a stable order. Missing paths and folders that
    cannot be listed are added to ``failed`` (so that a sync keeps their articles)."""
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw).expanduser().resolve()
        if path.is_dir():
            files = _walk(path, failed)
        elif path.is_file():
            files = [path]
        else:
            failed.append(FileError(str(path), "no such file or folder"))
            continue
        for file in files:
            if file not in seen:
                seen.add(file)
                yield file


def _walk(root: Path, failed: list[FileError]) -> list[Path]:
    def unreadable(error: OSError) -> None:
        failed.append(FileError(str(error.filename), f"cannot list the folder: {error.strerror}"))

    files = []
    for folder, subfolders, names in os.walk(root, onerror=unreadable, followlinks=True):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith((".", "_")))
        files.extend(Path(folder, n) for n in names if not n.startswith((".", "_")))
    return sorted(files)


def read_file(path: Path) -> list[Article]:
    """The articles in one file. Raises ``SourceError`` when the file is unusable."""
    return read_file_reporting(path)[0]


def read_file_reporting(path: Path) -> tuple[list[Article], list[FileError]]:
    """The articles in one file and its bad records (JSON files may hold good and bad ones).
    Raises ``SourceError`` when the file is unusable; never anything else."""
    try:
        return _read_file(path)
    except SourceError:
        raise
    except (OSError, ValueError, RecursionError, MemoryError) as error:
        # a file that vanished meanwhile, nesting that defeats a parser, ...
        raise SourceError(f"unreadable: {_error_text(error) or type(error).__name__}") from error


def _read_file(path: Path) -> tuple[list[Article], list[FileError]]:
    suffix = path.suffix.lower()
    if suffix in WEB_SUFFIXES:
        raise SourceError("a feed or an OPML list: read it with read_paths, which can fetch")
    if suffix not in SUFFIXES:
        raise SourceError(
            f"unknown file type '{suffix or path.name}' (expected one of: "
            f"{', '.join(sorted(SUFFIXES | WEB_SUFFIXES))})"
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(f"cannot read the file: {error.strerror or error}") from error
    text = decode(data)
    mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc)
    if suffix in TEXT_SUFFIXES:
        return [parse_text(text, path, mtime)], []
    if suffix in HTML_SUFFIXES:
        return [parse_html(text, path, mtime)], []
    return parse_json(text, path, mtime, lines=suffix == ".jsonl")


def decode(data: bytes) -> str:
    """Decode a file's bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else detected."""
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[len(codecs.BOM_UTF8) :], "utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16")
    if b"\x00" in data[:8192]:
        raise SourceError("binary file (it contains NUL bytes), not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Old Arabic sites publish Windows-1256; let the detector choose rather than assume it.
    best = charset_normalizer.from_bytes(data).best()
    if best is None or best.encoding is None:
        raise SourceError("undecodable bytes: neither UTF-8 nor a recognisable encoding")
    logger.debug("decoded as %s", best.encoding)
    return str(best)


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise SourceError(f"undecodable bytes for {encoding} at byte {error.start}") from error


def parse_text(text: str, path: Path, mtime: dt.datetime) -> Article:
    """A Markdown or plain-text article, with optional YAML front matter.

    Paragraphs are separated by blank lines; a file without any blank line has one paragraph a line.
    """
    meta, body = split_front_matter(text)
    paragraphs = split_paragraphs(body, one_per_line=True)
    title = _text_field(meta, "title")
    if not title and paragraphs and path.suffix.lower() != ".txt" and _is_heading(body):
        title = paragraphs.pop(0)
    return make_article(meta, title, paragraphs, path, mtime, key=str(path))


def split_front_matter(text: str) -> tuple[dict, str]:
    """YAML front matter (a dict) and the rest of ``text``."""
    text = text.lstrip("\ufeff")
    match = _FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1) or "") or {}
    except yaml.YAMLError as error:
        raise SourceError(f"invalid YAML front matter: {_error_text(error)}") from error
    if not isinstance(meta, dict):
        raise SourceError("front matter must be a YAML mapping (key: value lines)")
    return meta, text.replace("\r\n", "\n")[match.end() :]


def parse_html(text: str, path: Path, mtime: dt.datetime) -> Article:
    """The main text of a saved article page, with its title, canonical URL and date."""
    meta, paragraphs = extract_html(text)
    return make_article(meta, _text_field(meta, "title"), paragraphs, path, mtime, key=str(path))


MIN_PAGE_WORDS = 15
"""A page whose main text is shorter is not taken for an article (the shortest news briefs run to
a few dozen words)."""


def extract_html(text: str) -> tuple[dict, list[str]]:
    """The paragraphs of an article page's main text, and its metadata (title, date, url,
    source, lang). Raises ``SourceError`` when the page holds no article text."""
    import trafilatura  # imported here: it is slow to import and only HTML needs it

    try:
        doc = trafilatura.bare_extraction(
            text, with_metadata=True, include_comments=False, include_tables=False
        )
    except Exception as error:  # trafilatura raises many kinds of parser errors
        raise SourceError(f"unparseable HTML: {_error_text(error)}") from error
    if doc is None or not (doc.text or "").strip():
        raise SourceError("no article text found in the HTML page")
    paragraphs = split_paragraphs(doc.text, one_per_line=True)
    if paragraphs and doc.title and paragraphs[0] == doc.title.strip():
        paragraphs.pop(0)
    words = sum(len(p.split()) for p in paragraphs)
    if words < MIN_PAGE_WORDS:
        # what is left of a home, section or error page once its menus are dropped
        raise SourceError(f"not an article: only {words} words of text")
    meta = {
        "title": doc.title,
        "date": doc.date,
        "url": doc.url,
        "source": doc.sitename,
        "lang": doc.language,
    }
    return meta, paragraphs


def parse_json(
    text: str, path: Path, mtime: dt.datetime, *, lines: bool
) -> tuple[list[Article], list[FileError]]:
    """Articles from a JSON file (one record or a list) or JSON lines (one record a line), and
    the records that could not be used (as ``path#n``)."""
    try:
        if lines:
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
            articles.append(_json_article(record, number, path, mtime))
        except SourceError as error:
            problems.append(FileError(f"{path}#{number}", str(error)))
    if not articles:
        reasons = "; ".join(f"record {p.path.rsplit('#', 1)[1]}: {p.reason}" for p in problems)
        raise SourceError(reasons or "no records in the file")
    return articles, problems


def _json_article(record: object, number: int, path: Path, mtime: dt.datetime) -> Article:
    if not isinstance(record, dict):
        raise SourceError("a record must be a JSON object")
    body = next((record[k] for k in ("text", "body", "content") if record.get(k)), None)
    if not isinstance(body, str):
        raise SourceError("no 'text', 'body' or 'content' string")
    paragraphs = split_paragraphs(body, one_per_line=True)
    key = f"{path}#{record['id']}" if record.get("id") is not None else f"{path}#{number}"
    return make_article(record, _text_field(record, "title"), paragraphs, path, mtime, key=key)


def make_article(
    meta: dict, title: str | None, paragraphs: list[str], path: Path, mtime: dt.datetime, key: str
) -> Article:
    """Build an ``Article`` from parsed metadata and paragraphs, filling in title and date."""
    if meta.get("id") is not None and path.suffix.lower() not in JSON_SUFFIXES:
        key = str(meta["id"])
    mtime_date = mtime.isoformat(timespec="seconds")
    return build_article(meta, title, paragraphs, key=key, path=str(path), fallback_date=mtime_date)


def build_article(
    meta: dict,
    title: str | None,
    paragraphs: list[str],
    *,
    key: str,
    path: str,
    fallback_date: str | None = None,
) -> Article:
    """An ``Article`` from metadata (date, url, source, lang) and paragraphs; a missing title is
    the first sentence, a missing date ``fallback_date`` (a file's time; none for the web)."""
    if not paragraphs:
        raise SourceError("empty article: no text")
    published = _date_field(meta.get("date") or meta.get("published"))
    return Article(
        key=key,
        title=title or derive_title(paragraphs[0]),
        text="\n\n".join(paragraphs),
        published=published or fallback_date,
        url=_text_field(meta, "url"),
        source=_text_field(meta, "source"),
        lang=_text_field(meta, "lang") or _text_field(meta, "language"),
        path=path,
        date_from_mtime=published is None and fallback_date is not None,
    )


def derive_title(paragraph: str, limit: int = TITLE_CHARS) -> str:
    """A title from an article's first sentence, cut at a word boundary."""
    from .passages import sentence_spans

    start, end = sentence_spans(paragraph)[0]
    sentence = paragraph[start:end].rstrip(".،,؛;:!?؟")
    if len(sentence) <= limit:
        return sentence
    cut = sentence.rfind(" ", 0, limit)
    return sentence[: cut if cut > 0 else limit].rstrip(" ،,؛;:-—") + "…"


def _date_field(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SourceError(f"unreadable date {text!r} (use ISO 8601, e.g. 2021-05-21)") from None
    return parsed.date().isoformat() if len(text) <= 10 else parsed.isoformat(timespec="seconds")


def _text_field(meta: dict, name: str) -> str | None:
    value = meta.get(name)
    if value is None:
        return None
    value = " ".join(str(value).split())
    return value or None


def split_paragraphs(body: str, *, one_per_line: bool) -> list[str]:
    """The paragraphs of a text body, each on one line, Markdown heading marks removed.

    Blank lines separate paragraphs, and single newlines are soft wraps; a body without any blank
    line has one paragraph a line when ``one_per_line`` (the way news sites are often saved).
    """
    body = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if one_per_line and not _BLANK_LINE.search(body):
        blocks = [[line] for line in body.split("\n")]
    else:
        blocks = [block.split("\n") for block in _BLANK_LINE.split(body)]
    paragraphs = []
    for lines in blocks:
        # A heading followed by text on the next line is still its own paragraph.
        if len(lines) > 1 and _HEADING.match(lines[0].strip()):
            paragraphs.append(lines.pop(0))
        paragraphs.append(" ".join(lines))
    return [p for p in map(_tidy, paragraphs) if p]


def _tidy(paragraph: str) -> str:
    """A paragraph without heading marks, its white space runs made single spaces."""
    paragraph = paragraph.strip()
    if paragraph.startswith("#"):
        paragraph = _HEADING.sub("", paragraph, count=1)
    # Every white space character but the plain space is unprintable, so a printable paragraph
    # without double spaces is tidy already: checking is far cheaper than rebuilding it.
    if paragraph.isprintable() and "  " not in paragraph:
        return paragraph
    return " ".join(paragraph.split())


def _is_heading(body: str) -> bool:
    return bool(_HEADING.match(body.lstrip()))


def _error_text(error: Exception) -> str:
    """An exception's message on one line, short enough for a report."""
    return " ".join(str(error).split())[:200]
