"""articlebot's knowledge library: articles in, quoted answers out. Never imports Telegram."""

from .analysis import ANALYSER_VERSION, analyse
from .fetch import FetchOptions
from .index import BM25Index, BM25Params
from .library import BUNDLED_ARTICLES, KnowledgeError, Library
from .records import (
    Article,
    ArticleInfo,
    FileError,
    Hit,
    IngestReport,
    LibraryStats,
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
    "FetchOptions",
    "FileError",
    "Hit",
    "IngestReport",
    "KnowledgeError",
    "Library",
    "LibraryStats",
    "Passage",
    "QuestionCount",
    "SearchResult",
    "StoredArticle",
    "analyse",
]
