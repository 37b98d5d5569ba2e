"""Records for the reply formatter tests: hits, search results, stored articles."""

from __future__ import annotations

from bot.messages import Reply
from knowledge import Hit, SearchResult, StoredArticle
from knowledge.records import Duplicate

AR_TEXT = (
    "وقال آية الله قاسم عبر تويتر إن الانتصار في معركة سيف القدس يعلّم الشعوب. "
    "وأضاف أن النصر للأمة كلها."
)


def hit(
    text: str = AR_TEXT,
    *,
    article_id: int = 1,
    passage_id: int = 1,
    title: str = "سيف القدس",
    url: str | None = "https://example.com/a?x=1&y=2",
    matches: tuple[tuple[int, int], ...] | None = None,
    span: tuple[int, int] | None = None,
    also_in: tuple[Duplicate, ...] = (),
) -> Hit:
    end = text.find(".") + 1 or len(text)
    span = span or (0, end)
    if matches is None:
        at = text.find("سيف")
        matches = ((at, at + 3),) if at >= 0 else ()
    return Hit(
        article_id=article_id,
        title=title,
        url=url,
        published="2021-05-21",
        source="Example News",
        passage_id=passage_id,
        position=0,
        start=0,
        end=len(text),
        text=text,
        score=1.0,
        best_sentence=text[span[0] : span[1]],
        best_sentence_span=span,
        matches=matches,
        also_in=also_in,
    )


def result(hits: list[Hit], query: str = "سيف القدس", answered: bool = True) -> SearchResult:
    return SearchResult(query=query, answered=answered, hits=hits)


def labels(reply: Reply) -> list[str]:
    return [b.data or b.url or "" for row in reply.buttons for b in row]


def article(text: str, url: str | None = "https://example.com/x") -> StoredArticle:
    return StoredArticle(
        id=7,
        key="k",
        title="عنوان <المقال>",
        published="2021-05-21",
        url=url,
        source="مصدر",
        lang="ar",
        path="/x.md",
        passages=3,
        text=text,
    )
