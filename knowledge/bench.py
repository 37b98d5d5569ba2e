"""The benchmark behind ``articlebot bench``: speed and memory, side by side with rank_bm25.

A synthetic library is generated deterministically (seeded): passages of 60-180 words drawn from
a Zipf-distributed vocabulary of about 200k Arabic-letter words, queries of 2-8 words biased to
mid-frequency words. It goes through the real pipeline (files, ingest, index), then a fresh
process opens the saved library and answers the queries, so that its open time and peak memory
are those of a server that just started.
"""

from __future__ import annotations

import copy
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from .analysis import analyse
from .bench_questions import QUESTIONS, with_library_words
from .embedding import default_embedder
from .hybrid import HybridRanker
from .library import Library
from .vectors import PassageVectors

VOCABULARY = 200_000
ZIPF_EXPONENT = 1.07
PASSAGES_PER_ARTICLE = 10
_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
RANK_BM25_BUDGET_S = 20.0
"""Time allowed for rank_bm25's queries; past it, the rest of the queries are sampled."""

Progress = Callable[[str], None]


def synthetic_words(count: int, seed: int) -> list[str]:
    """``count`` distinct Arabic-letter words of 3-9 letters, none of them a stop word."""
    rng = random.Random(seed)
    words: dict[str, None] = {}
    while len(words) < count:
        word = "".join(rng.choices(_LETTERS, k=rng.randint(3, 9)))
        # Distinct terms after analysis, so that the vocabulary keeps its size and shape.
        terms = analyse(word)
        if terms and terms[0] == word:
            words[word] = None
    return list(words)


def write_synthetic_library(
    folder: Path, passages: int, seed: int = 1, vocabulary: int = VOCABULARY
) -> list[str]:
    """Write ``passages`` synthetic passages as JSON-lines articles; return the vocabulary."""
    rng = np.random.default_rng(seed)
    words = np.array(synthetic_words(vocabulary, seed), dtype=object)
    weights = 1.0 / np.arange(1, vocabulary + 1) ** ZIPF_EXPONENT
    cumulative = np.cumsum(weights / weights.sum())
    lengths = rng.integers(60, 181, size=passages)
    picks = np.searchsorted(cumulative, rng.random(int(lengths.sum())), side="right")
    picks = np.minimum(picks, vocabulary - 1)
    folder.mkdir(parents=True, exist_ok=True)
    ends = np.cumsum(lengths)
    with (folder / "synthetic.jsonl").open("w", encoding="utf-8") as out:
        for first in range(0, passages, PASSAGES_PER_ARTICLE):
            paragraphs = []
            for i in range(first, min(first + PASSAGES_PER_ARTICLE, passages)):
                start = ends[i] - lengths[i]
                paragraphs.append(" ".join(words[picks[start : ends[i]]]))
            title = " ".join(words[picks[ends[first] - 5 : ends[first]]])
            record = {"id": first, "title": title, "text": "\n\n".join(paragraphs)}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return list(words)


def synthetic_queries(words: list[str], count: int, seed: int = 2) -> list[str]:
    """Queries of 2-8 words, biased to mid-frequency words (ranks 100 to 20,000)."""
    rng = random.Random(seed)
    queries = []
    for _ in range(count):
        size = rng.randint(2, 8)
        ranks = [int(min(len(words) - 1, 10 ** rng.uniform(2, 4.3))) for _ in range(size)]
        queries.append(" ".join(words[r] for r in ranks))
    return queries


def run(
    passages: int = 100_000,
    queries: int = 1000,
    sources: Iterable[Path] = (),
    seed: int = 1,
    rank_bm25: bool = True,
    progress: Progress | None = None,
    vocabulary: int = VOCABULARY,
    embed_sample: int = 0,
) -> dict:
    """Build, serve and compare; return the figures (see the README for their meaning).
    ``embed_sample``: passages to measure the embedding throughput on (0: not measured; it
    takes seconds to minutes: ~7 passages/s of news text on one core)."""
    say = progress or (lambda message: None)
    with tempfile.TemporaryDirectory(prefix="articlebot-bench-") as tmp:
        folder = Path(tmp)
        sources = list(sources)
        if sources:
            texts = _sample_texts(sources)
        else:
            say(f"writing {passages:,} synthetic passages")
            words = write_synthetic_library(folder / "articles", passages, seed, vocabulary)
            sources = [folder / "articles"]
            texts = None
        say("ingesting")
        library = Library.open(folder / "bench.db")
        started = time.perf_counter()
        with MemorySampler() as ingest_memory:
            report = library.ingest(sources)
        ingest_s = time.perf_counter() - started
        stored = library.stats().passages
        build_s = _time(library.rebuild_index)
        # What /reload costs when nothing changed: every file found unchanged, nothing written.
        # The files were written just before the ingest, and a file read within two seconds of
        # its last write is read again next time (a coarse clock may hide a second write), so
        # one reload settles them first, as the first reload after a write does in use.
        library.ingest(sources, sync=True)
        reload_s = _time(lambda: library.ingest(sources, sync=True))
        asked = (
            synthetic_queries(words, queries) if texts is None else _queries_from(texts, queries)
        )
        (folder / "queries.json").write_text(json.dumps(asked, ensure_ascii=False))
        if embed_sample:
            say(f"embedding {embed_sample} passages on one core")
            throughput = embedding_throughput(library, embed_sample)
        library.close()
        say("serving from a fresh process")
        served = _serve_in_fresh_process(folder / "bench.db", folder / "queries.json")
        figures = {
            "passages": stored,
            "ingest_s": round(ingest_s, 3),
            "ingest_passages_per_s": round(report.passages / ingest_s) if ingest_s else 0,
            "ingest_peak_rss_mb": round(ingest_memory.peak_mb, 1),
            "build_s": round(build_s, 3),
            "reload_unchanged_s": round(reload_s, 3),
            **served,
            **(throughput if embed_sample else {}),
        }
        if rank_bm25:
            say("comparing with rank_bm25")
            figures.update(_compare_with_rank_bm25(folder / "bench.db", asked, served["p50_ms"]))
    return figures


def embedding_throughput(library: Library, sample: int = 200) -> dict:
    """Passages embedded per second on one core (one worker, one thread), on a random
    ``sample`` of the library's passages as the embedding pipeline sees them; {} where this
    platform has no model. A bulk run on N cores does about N times this."""
    from .embed import passage_text

    if library.embedder is None:
        return {}
    rows = library._db().execute(
        "SELECT a.title, p.text FROM passages p JOIN articles a ON a.id = p.article_id "
        "WHERE p.retired = 0 ORDER BY random() LIMIT ?",
        [sample],
    )
    texts = [passage_text(title, text) for title, text in rows]
    model = copy.copy(library.embedder)  # a model of its own, loaded before the clock starts
    model.embed_passages(texts[:1])
    seconds = _time(lambda: model.embed_passages(texts))
    return {
        "embed_sample": len(texts),
        "embed_passages_per_s_per_core": round(len(texts) / seconds, 1) if seconds else 0.0,
    }


def serve(db: Path, queries_file: Path) -> dict:
    """Open the library and answer the queries, with BM25 alone and then hybrid ranking (where
    the model is installed); run in a fresh process by ``run``."""
    started = time.perf_counter()
    library = _GivenVectors.open(db, embedder=None)  # BM25 alone, whatever the platform
    open_s = time.perf_counter() - started
    index = library.index
    queries = json.loads(queries_file.read_text(encoding="utf-8"))
    analysed = [analyse(q) for q in queries]
    for terms in analysed[:10]:  # warm-up: first touches of the memory-mapped file
        index.top_k(terms, 10)
    latencies = []
    for terms in analysed:
        started = time.perf_counter()
        index.top_k(terms, 10)
        latencies.append(time.perf_counter() - started)
    searches = []
    for query in queries[: min(len(queries), 200)]:
        started = time.perf_counter()
        library.search(query, 10)
        searches.append(time.perf_counter() - started)
    p50, p95, p99 = np.percentile(np.array(latencies) * 1000, [50, 95, 99])
    s50, s95, s99 = np.percentile(np.array(searches) * 1000, [50, 95, 99])
    rss_mb = _peak_rss_mb()  # the hybrid part below adds the vectors' memory
    assert isinstance(library, _GivenVectors)
    hybrid = _hybrid_latencies(library, queries[:100])
    return {
        "open_s": round(open_s, 3),
        "p50_ms": round(float(p50), 4),
        "p95_ms": round(float(p95), 4),
        "p99_ms": round(float(p99), 4),
        "search_p50_ms": round(float(s50), 3),
        "search_p95_ms": round(float(s95), 3),
        "search_p99_ms": round(float(s99), 3),
        "rss_mb": round(rss_mb, 1),
        **hybrid,
    }


class _GivenVectors(Library):
    """A library whose searches use the vectors ``given`` (the bench's, made up)."""

    given: PassageVectors | None = None

    def vectors(self) -> PassageVectors | None:
        return self.given


def _hybrid_latencies(library: _GivenVectors, queries: list[str]) -> dict:
    """Whole hybrid searches (the question embedded by the model, the nearest of every passage's
    vector, the ranking): their cost, with a random unit vector for every passage (what they
    cost does not depend on what the vectors say); {} where this platform has no model. The
    questions are real ones (``bench_questions``) ending in a word of ``queries``, so that
    the model embeds a question of a reader's length and BM25 finds candidates for it."""
    embedder = default_embedder()
    if embedder is None:
        return {}
    ids = np.asarray(library.index.doc_ids, dtype=np.int64)
    rows = np.random.default_rng(0).standard_normal((len(ids), embedder.dim), dtype=np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    library.given = PassageVectors(embedder.name, ids, rows)
    del rows
    library.embedder, library.ranker = embedder, HybridRanker(embedder)
    questions = [
        with_library_words(QUESTIONS[i % len(QUESTIONS)], query) for i, query in enumerate(queries)
    ]
    library.search(questions[0], 10)  # loads the model
    searches = []
    for query in questions:
        started = time.perf_counter()
        library.search(query, 10)
        searches.append(time.perf_counter() - started)
    h50, h95 = np.percentile(np.array(searches) * 1000, [50, 95])
    return {
        "hybrid_search_p50_ms": round(float(h50), 3),
        "hybrid_search_p95_ms": round(float(h95), 3),
        "hybrid_question_words": round(sum(len(q.split()) for q in questions) / len(questions), 1),
    }


def _serve_in_fresh_process(db: Path, queries_file: Path) -> dict:
    code = "import json,sys; from knowledge.bench import serve; from pathlib import Path; "
    code += "print(json.dumps(serve(Path(sys.argv[1]), Path(sys.argv[2]))))"
    done = subprocess.run(
        [sys.executable, "-c", code, str(db), str(queries_file)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _compare_with_rank_bm25(db_path: Path, queries: list[str], p50_ms: float) -> dict:
    from rank_bm25 import BM25Okapi

    with Library.open(db_path) as library:
        index = library.index
        docs = [terms for _, terms in library.documents()]
        reference = BM25Okapi(docs)
        del docs
        latencies, worst = [], 0.0
        budget_end = time.perf_counter() + RANK_BM25_BUDGET_S
        for query in queries:
            terms = analyse(query)
            started = time.perf_counter()
            scores = reference.get_scores(terms)
            top = np.argpartition(-scores, 9)[:10] if len(scores) > 10 else np.arange(len(scores))
            top[np.argsort(-scores[top])]
            latencies.append(time.perf_counter() - started)
            matched, ours = index.scores(terms)
            if len(matched):
                expected = scores[matched]
                diff = np.abs(ours - expected) / np.maximum(np.abs(expected), 1e-300)
                worst = max(worst, float(diff[expected != 0].max(initial=0.0)))
            if time.perf_counter() > budget_end and len(latencies) >= 20:
                break
    reference_p50 = float(np.median(latencies)) * 1000
    return {
        "rank_bm25_p50_ms": round(reference_p50, 3),
        "rank_bm25_queries": len(latencies),
        "speedup": round(reference_p50 / p50_ms, 1) if p50_ms else None,
        "max_rel_diff": worst,
    }


def _sample_texts(sources: list[Path]) -> list[str]:
    from .reading import read_paths

    return [a.text for a in read_paths(sources).articles]


def _queries_from(texts: list[str], count: int, seed: int = 2) -> list[str]:
    """Queries of 2-8 consecutive words taken from the real articles."""
    rng = random.Random(seed)
    queries = []
    for _ in range(count):
        words = rng.choice(texts).split()
        size = min(len(words), rng.randint(2, 8))
        start = rng.randrange(0, max(1, len(words) - size))
        queries.append(" ".join(words[start : start + size]))
    return queries


def _time(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


class MemorySampler:
    """The peak memory of this process and its children (an ingest's worker processes) while
    the block runs: the sum of their proportional set sizes (shared pages counted once), read
    from /proc every few milliseconds by a small sampling process of its own. Not a thread: an
    ingest forks its workers only from a single-threaded process, and would analyse alone with
    a sampling thread running. Where /proc is missing: the larger of this process's and its
    largest child's peak resident size (``getrusage``), which undercounts workers."""

    INTERVAL_S = 0.05

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self._sampler: subprocess.Popen[str] | None = None

    def __enter__(self) -> MemorySampler:
        if Path("/proc/self/smaps_rollup").exists():
            self._sampler = subprocess.Popen(
                [sys.executable, "-c", _SAMPLER, str(os.getpid()), str(self.INTERVAL_S)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert self._sampler.stdout is not None
            self._sampler.stdout.readline()  # it samples from now on
        return self

    def __exit__(self, *exc: object) -> None:
        if self._sampler is not None:
            out, _ = self._sampler.communicate("")  # closing its input stops it
            self.peak_mb = float(out.split()[-1]) / 1024
        else:
            usage = max(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
            )
            self.peak_mb = usage / (1024 * 1024 if sys.platform == "darwin" else 1024)


# Run with ``python -c`` (no import of this package: it would weigh more than it measures).
_SAMPLER = """
import os, select, sys
from pathlib import Path

def tree(pid):
    found = [pid]
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        except OSError:
            continue
        for child in children:
            found += tree(int(child))
    return found

def pss_kb(pid):
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0

watched, interval, peak = int(sys.argv[1]), float(sys.argv[2]), 0
print("sampling", flush=True)
while True:
    peak = max(peak, sum(pss_kb(p) for p in tree(watched) if p != os.getpid()))
    if select.select([sys.stdin], [], [], interval)[0]:
        break
print(peak, flush=True)
"""


def _peak_rss_mb() -> float:
    # VmHWM belongs to this process image; ru_maxrss survives exec() from a bigger parent.
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)
