"""The benchmark's figures have the promised shape; their values are never asserted as times."""

from knowledge import bench

KEYS = {
    "passages",
    "ingest_s",
    "build_s",
    "open_s",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "rss_mb",
    "rank_bm25_p50_ms",
    "speedup",
    "max_rel_diff",
    "reload_unchanged_s",
    "ingest_peak_rss_mb",
    "search_p50_ms",
    "search_p95_ms",
    "search_p99_ms",
}


def test_a_small_synthetic_benchmark_reports_every_figure() -> None:
    figures = bench.run(passages=300, queries=30, vocabulary=3000)
    assert set(figures) >= KEYS
    assert figures["passages"] == 300
    assert figures["max_rel_diff"] <= 1e-9  # the scores are rank_bm25's
    assert figures["rank_bm25_queries"] == 30 and figures["speedup"] > 0
    assert figures["rss_mb"] > 0 and figures["p50_ms"] <= figures["p99_ms"]
    assert figures["ingest_peak_rss_mb"] > 0
    assert figures["search_p50_ms"] <= figures["search_p95_ms"] <= figures["search_p99_ms"]


def test_synthetic_queries_use_mid_frequency_words() -> None:
    words = [f"w{i}" for i in range(50_000)]
    queries = bench.synthetic_queries(words, 200)
    sizes = [len(q.split()) for q in queries]
    assert min(sizes) >= 2 and max(sizes) <= 8
    ranks = [int(w[1:]) for q in queries for w in q.split()]
    assert min(ranks) >= 100 and sorted(ranks)[len(ranks) // 2] < 20_000


def test_hybrid_searches_ask_questions_of_a_readers_length() -> None:
    from knowledge.bench_questions import QUESTIONS, with_library_words

    for question in QUESTIONS:
        asked = with_library_words(question, "كلمة أخرى ثالثة")
        assert len(asked.split()) == len(question.split()) >= 7
        assert asked.endswith(" كلمة؟") and "أخرى" not in asked
