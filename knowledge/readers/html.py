"""Saved article pages (.html, .htm): their main text, through trafilatura."""

from __future__ import annotations

from ..sources import SourceError, decode, error_text, split_paragraphs, text_field
from . import FileRead, SourceFile, register

MIN_PAGE_WORDS = 15
"""A page whose main text is shorter is not taken for an article (the shortest news briefs run to
a few dozen words)."""


@register(".html", ".htm")
def read_html(file: SourceFile) -> FileRead:
    """The main text of a saved article page, with its title, canonical URL and date."""
    meta, paragraphs = extract_html(decode(file.data))
    return FileRead([file.article(meta, text_field(meta, "title"), paragraphs)])


def extract_html(text: str) -> tuple[dict, list[str]]:
    """The paragraphs of an article page's main text, and its metadata (title, date, url,
    source, lang). Raises ``SourceError`` when the page holds no article text."""
    import trafilatura  # imported here: it is slow to import and only HTML needs it

    try:
        doc = trafilatura.bare_extraction(
            text, with_metadata=True, include_comments=False, include_tables=False
        )
    except Exception as error:  # trafilatura raises many kinds of parser errors
        raise SourceError(f"unparseable HTML: {error_text(error)}") from error
    # (a dict only when asked for one, with as_dict)
    if doc is None or isinstance(doc, dict) or not (doc.text or "").strip():
        raise SourceError("no article text found in the HTML page")
    paragraphs = split_paragraphs(doc.text or "", one_per_line=True)
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
