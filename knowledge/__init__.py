"""articlebot's knowledge library: articles in, quoted answers out. Never imports Telegram."""

from .analysis import ANALYSER_VERSION, analyse
from .index import BM25Index, BM25Params
from .library import BUNDLED_ARTICLES, KnowledgeError, Library
from .records import (
    Article,
    ArticleInfo,
    Coverage,
    FileError,
    Hit,
    IngestReport,
    LibraryStats,
    Origin,
    Passage,
    QuestionCount,
    SearchResult,
    StoredArticle,
)

__all__ = [
    "ANALYSER_VERSION",
    "BUNDLED_ARTICLES",
    "Article",
    "ArticleInfo",
    "BM25Index",
    "BM25Params",
    "Coverage",
    "FileError",
    "Hit",
    "IngestReport",
    "KnowledgeError",
    "Library",
    "LibraryStats",
    "Origin",
    "Passage",
    "QuestionCount",
    "SearchResult",
    "StoredArticle",
    "analyse",
]
