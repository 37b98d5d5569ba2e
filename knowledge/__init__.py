"""articlebot's knowledge library: articles in, quoted answers out. Never imports Telegram."""

from .analysis import ANALYSER_VERSION, analyse
from .errors import IngestRunning, KnowledgeError, LibraryBusy
from .fetch import FetchOptions
from .index import BM25Index, BM25Params
from .library import BUNDLED_ARTICLES, Library
from .ranking import BM25Ranker, Candidates, Ranker, Ranking
from .records import (
    Article,
    ArticleInfo,
    Coverage,
    FileError,
    Hit,
    IngestReport,
    LibraryStats,
    Match,
    NewMatches,
    Origin,
    Passage,
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
    "BM25Ranker",
    "Candidates",
    "Coverage",
    "FetchOptions",
    "FileError",
    "Hit",
    "IngestReport",
    "IngestRunning",
    "KnowledgeError",
    "Library",
    "LibraryBusy",
    "LibraryStats",
    "Match",
    "NewMatches",
    "Origin",
    "Passage",
    "Ranker",
    "Ranking",
    "SearchResult",
    "StoredArticle",
    "analyse",
]
