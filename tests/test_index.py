from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rank_bm25 import BM25Okapi

from knowledge.index import BM25Index, BM25Params, IndexFileError

VOCAB = [f"w{i}" for i in range(30)]
corpora = st.lists(
    st.lists(st.sampled_from(VOCAB), min_size=0, max_size=25), min_size=1, max_size=40
)
queries = st.lists(st.sampled_from([*VOCAB, "unknown"]), min_size=1, max_size=8)


def _assert_same_scores(docs: list[list[str]], query: list[str], params: BM25Params) -> None:
    reference = BM25Okapi(docs, k1=params.k1, b=params.b, epsilon=params.epsilon)
    expected = reference.get_scores(query)
    index = BM25Index.build(docs, params=params)
    matched, scores = index.scores(query)
    sharing = [i for i, doc in enumerate(docs) if set(doc) & set(query)]
    # A hit is a document sharing a query term, whatever its score (which can be 0 or negative).
    assert matched.tolist() == sharing
    np.testing.assert_allclose(scores, expected[sharing], rtol=1e-9, atol=0)


@settings(max_examples=300, deadline=None)
@given(docs=corpora, query=queries)
def test_scores_equal_rank_bm25(docs: list[list[str]], query: list[str]) -> None:
    if sum(map(len, docs)) == 0:
        return  # rank_bm25 divides by zero on a corpus without any token
    _assert_same_scores(docs, query, BM25Params())


@settings(max_examples=100, deadline=None)
@given(
    docs=corpora,
    query=queries,
    k1=st.floats(0.5, 2.0),
    b=st.floats(0.0, 1.0),
    epsilon=st.floats(0.0, 0.5),
)
def test_scores_equal_rank_bm25_for_other_parameters(docs, query, k1, b, epsilon) -> None:
    if sum(map(len, docs)) == 0:
        return
    _assert_same_scores(docs, query, BM25Params(k1=k1, b=b, epsilon=epsilon))


def test_two_document_corpus_keeps_a_zero_scored_match() -> None:
    # rank_bm25 scores a term found in one of two documents 0 (idf = log 1.5/1.5): still a hit.
    docs = [["gaza", "ceasefire"], ["jerusalem"]]
    assert BM25Okapi(docs).get_scores(["gaza"])[0] == 0
    top = BM25Index.build(docs).top_k(["gaza"], 5)
    assert top.docs.tolist() == [0] and BM25Index.build(docs).count(["gaza"]) == 1


@settings(max_examples=100, deadline=None)
@given(docs=corpora, query=queries, k=st.integers(1, 10))
def test_top_k_is_the_best_k_with_ties_by_position(docs, query, k) -> None:
    if sum(map(len, docs)) == 0:
        return
    index = BM25Index.build(docs)
    matched, scores = index.scores(query)
    expected = sorted(zip(-scores, matched.tolist(), strict=True))[:k]
    # the compiled kernel and the numpy fallback
    for top in (index.top_k(query, k), index._top_k_numpy(query, k)):
        assert top.docs.tolist() == [d for _, d in expected]
        np.testing.assert_allclose(top.scores, [-s for s, _ in expected], rtol=1e-12)
    assert index.count(query) == len(matched)
    # the scores are left at zero for the next query
    acc, _ = index._buffers()
    assert not acc.any()


def test_queries_in_a_row_share_the_buffers_safely() -> None:
    rng = np.random.default_rng(7)
    docs = [[f"w{i}" for i in rng.integers(0, 40, rng.integers(1, 20))] for _ in range(300)]
    index = BM25Index.build(docs)
    index.top_k(["w1"], 5)
    index._local.epoch = np.iinfo(np.uint32).max - 3  # the marks' epochs wrap around midway
    for _ in range(10):
        query = [f"w{i}" for i in rng.integers(0, 45, rng.integers(1, 6))]
        fast, slow = index.top_k(query, 7), index._top_k_numpy(query, 7)
        assert fast.docs.tolist() == slow.docs.tolist()
        assert fast.scores.tolist() == slow.scores.tolist()


def test_the_compiled_kernel_is_in_use() -> None:
    from knowledge import index as module

    assert module.kernel is not None, "numba is a dependency: the fast path must be active"


def test_repeated_query_terms_count_again() -> None:
    docs = [["a", "b"], ["b", "c"], ["c", "d"], ["d", "e"]]
    reference = BM25Okapi(docs)
    _, once = BM25Index.build(docs).scores(["a"])
    _, twice = BM25Index.build(docs).scores(["a", "a"])
    assert (
        twice[0] == pytest.approx(2 * once[0]) == pytest.approx(reference.get_scores(["a", "a"])[0])
    )


def test_saved_index_answers_like_a_fresh_one(tmp_path: Path) -> None:
    docs = [["gaza", "ceasefire", "friday"], ["jerusalem", "gaza"], [], ["rockets"] * 3]
    fresh = BM25Index.build(docs, [10, 20, 30, 40], meta={"generation": "3"})
    fresh.save(tmp_path / "x.bm25")
    loaded = BM25Index.load(tmp_path / "x.bm25")
    assert loaded.meta == {"generation": "3"} and loaded.params == fresh.params
    assert loaded.doc_ids.tolist() == [10, 20, 30, 40]
    for query in (["gaza"], ["rockets", "gaza"], ["nothing"]):
        a, b = fresh.top_k(query, 3), loaded.top_k(query, 3)
        assert a.docs.tolist() == b.docs.tolist() and a.scores.tolist() == b.scores.tolist()


def test_empty_index_saves_and_loads(tmp_path: Path) -> None:
    BM25Index.build([]).save(tmp_path / "e.bm25")
    assert len(BM25Index.load(tmp_path / "e.bm25").top_k(["x"], 3).docs) == 0


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"garbage" + data,
        lambda data: data[: len(data) // 2],
        lambda data: data[:20],
        lambda data: data[:16] + (10**9).to_bytes(8, "little") + data[24:],
    ],
)
def test_damaged_index_file_is_refused(tmp_path: Path, damage) -> None:
    path = tmp_path / "x.bm25"
    BM25Index.build([["a", "b"], ["b"]]).save(path)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(IndexFileError):
        BM25Index.load(path)


@pytest.mark.parametrize("vocabulary", [1000, 300_000])
def test_postings_are_grouped_by_term_in_document_order(vocabulary: int) -> None:
    from knowledge.index import _stable_order

    terms = np.random.default_rng(1).integers(0, vocabulary, 50_000).astype(np.int32)
    assert np.array_equal(_stable_order(terms, vocabulary), np.argsort(terms, kind="stable"))


@settings(max_examples=50, deadline=None)
@given(docs=corpora)
def test_the_numpy_build_matches_the_compiled_one(docs) -> None:
    import knowledge.index as module

    compiled = BM25Index.build(docs)
    kernel, chunk = module.kernel, module._COUNT_CHUNK
    module.kernel, module._COUNT_CHUNK = None, 7  # numpy alone, in many small chunks
    try:
        plain = BM25Index.build(docs)
    finally:
        module.kernel, module._COUNT_CHUNK = kernel, chunk
    for name in ("indptr", "post_docs", "post_weights", "idf"):
        assert getattr(plain, name).tolist() == getattr(compiled, name).tolist(), name


def test_a_damaged_posting_is_refused_not_served(tmp_path: Path) -> None:
    import json

    from knowledge.index_file import MAGIC
    from knowledge.index_file import aligned as _aligned

    path = tmp_path / "x.bm25"
    BM25Index.build([["a", "b"], ["b"], ["c"]]).save(path)
    data = bytearray(path.read_bytes())
    size = int.from_bytes(data[len(MAGIC) : len(MAGIC) + 8], "little")
    header = json.loads(data[len(MAGIC) + 8 : len(MAGIC) + 8 + size])
    at = _aligned(len(MAGIC) + 8 + size) + header["arrays"]["post_docs"]["offset"]
    data[at : at + 4] = (10**8).to_bytes(4, "little")  # a document that does not exist
    path.write_bytes(bytes(data))
    with pytest.raises(IndexFileError, match="inconsistent"):
        BM25Index.load(path)


@settings(max_examples=50, deadline=None)
@given(docs=corpora, block=st.integers(1, 9))
def test_weights_weighed_in_blocks_are_the_whole_arrays_formula_to_the_bit(docs, block) -> None:
    import knowledge.index as module

    params = BM25Params()
    whole = BM25Index.build(docs, params=params)
    saved = module._WEIGHT_BLOCK
    module._WEIGHT_BLOCK = block  # many blocks, the last one partial
    try:
        blocked = BM25Index.build(docs, params=params)
    finally:
        module._WEIGHT_BLOCK = saved
    lengths = np.array([len(doc) for doc in docs], dtype=np.float64)
    norm = module._norm(lengths, params)
    _, _, tfs = module.count_postings(
        np.array([whole.vocab[t] for doc in docs for t in doc], dtype=np.int32),
        [len(doc) for doc in docs],
        len(whole.vocab),
    )
    tf = tfs.astype(np.float64)
    # rank_bm25's expression on whole arrays, as the index computed it before
    expected = tf * (params.k1 + 1) / (tf + norm[whole.post_docs])
    assert blocked.post_weights.tobytes() == whole.post_weights.tobytes()
    assert whole.post_weights.tobytes() == expected.tobytes()


def test_a_frequency_past_16_bits_is_counted_in_full() -> None:
    docs = [["w1"] * 70_000 + ["w2"], ["w2"], ["w3"]]
    matched, scores = BM25Index.build(docs).scores(["w1"])
    assert matched.tolist() == [0]
    np.testing.assert_allclose(scores, BM25Okapi(docs).get_scores(["w1"])[:1], rtol=1e-9, atol=0)
