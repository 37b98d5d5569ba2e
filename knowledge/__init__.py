"""articlebot's knowledge library: articles in, quoted answers out. Never imports Telegram."""

from .analysis import ANALYSER_VERSION, analyse
from .fetch import FetchOptions
from .index import BM25Index, BM25Params
from .library import BUNDLED_ARTICLES, IngestRunning, KnowledgeError, Library, LibraryBusy
from .records import (
    Alert,
    Article,
    ArticleInfo,
    ChatAlerts,
    Coverage,
    FileError,
    Follow,
    Hit,
    IngestReport,
    LibraryStats,
    Origin,
    Passage,
    PassageVotes,
    QuestionCount,
    SearchResult,
    StoredArticle,
    Votes,
)

__all__ = [
    "ANALYSER_VERSION",
    "BUNDLED_ARTICLES",
    "Alert",
    "Article",
    "ArticleInfo",
    "BM25Index",
    "BM25Params",
    "ChatAlerts",
    "Coverage",
    "FetchOptions",
    "FileError",
    "Follow",
    "Hit",
    "IngestReport",
    "IngestRunning",
    "KnowledgeError",
    "Library",
    "LibraryBusy",
    "LibraryStats",
    "Origin",
    "Passage",
    "PassageVotes",
    "QuestionCount",
    "SearchResult",
    "StoredArticle",
    "Votes",
    "analyse",
]
