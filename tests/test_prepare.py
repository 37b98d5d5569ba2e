from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.prepare import CHUNK, Vocabulary, prepare_all, prepare_chunk

TEXT = "الفقرة الأولى عن وقف إطلاق النار في غزة بعد أحد عشر يوما.\n\n" + "كلمة " * 30


def _terms(vocabulary: Vocabulary, ids: bytes) -> list[str]:
    names = {i: t for t, i in vocabulary.ids.items()}
    return [names[i] for i in np.frombuffer(ids, dtype=np.int32).tolist()]


def test_articles_become_passages_with_term_ids() -> None:
    vocabulary = Vocabulary(["قديم"])
    (prepared,) = prepare_all([("عنوان المقال", TEXT)], vocabulary)
    assert _terms(vocabulary, prepared.title_terms) == ["عنو", "مقال"]  # light10: -ان is dual
    (pos0, start0, end0, terms0, _), (pos1, *_) = prepared.passages
    assert (pos0, pos1) == (0, 1)
    assert TEXT[start0:end0].startswith("الفقرة الأولى")
    assert _terms(vocabulary, terms0)[2:5] == ["وقف", "اطلاق", "نار"]
    assert vocabulary.ids["قديم"] == 0  # known terms keep their ids
    assert [t for _, t in vocabulary.new_terms()][:2] == ["عنو", "مقال"]


def _first_passage(chunk) -> list[int]:
    """The local term ids of the first passage of the chunk's first article (after its title)."""
    return chunk.terms[chunk.bounds[1] : chunk.bounds[2]].tolist()


def test_a_process_numbers_terms_itself_and_reports_each_new_term_once() -> None:
    from knowledge.prepare import _Numbering

    numbering = _Numbering()
    first = prepare_chunk([("غزة", "غزة القدس غزة")], numbering)
    assert first.new_terms == ["غز", "قدس"]
    assert _first_passage(first) == [0, 1, 0]
    second = prepare_chunk([("القدس", "القدس رفح")], numbering)
    assert second.new_terms == ["رفح"]
    assert _first_passage(second) == [1, 2]
    vocabulary = Vocabulary(["رفح"])
    adopted = vocabulary.adopt(first) + vocabulary.adopt(second)
    assert _terms(vocabulary, adopted[1].passages[0][3]) == ["قدس", "رفح"]


def test_passages_keep_where_each_term_is() -> None:
    from knowledge.analysis import analyse_spans
    from knowledge.prepare import decode_spans, encode_spans

    (prepared,) = prepare_all([("عنوان", TEXT)], Vocabulary())
    for _, start, end, terms, spans in prepared.passages:
        offsets = decode_spans(spans, len(terms) // 4).tolist()
        assert offsets == [[a, b] for _, a, b in analyse_spans(TEXT[start:end])]
    wide = np.array([[0, 5], [70_000, 70_004]])  # past uint16: stored as int32
    assert decode_spans(encode_spans(wide), 2).tolist() == wide.tolist()


def test_worker_processes_give_the_same_result_in_order(monkeypatch) -> None:
    import knowledge.prepare as module

    used = []
    real = module._in_workers
    monkeypatch.setattr(module, "_in_workers", lambda *a: used.append(a[1]) or real(*a))
    articles = [
        (f"عنوان {i}", f"نص المقال رقم {i} عن الأحداث.\n\n" + "كلمة " * i) for i in range(3 * CHUNK)
    ]
    seen = []
    in_workers, alone = Vocabulary(), Vocabulary()
    parallel = prepare_all(articles, in_workers, lambda d, t: seen.append((d, t)), workers=2)
    serial = prepare_all(articles, alone, workers=1)
    assert used == [2]  # the forked workers did run
    assert in_workers.ids == alone.ids
    for a, b in zip(parallel, serial, strict=True):
        assert a.title_terms == b.title_terms
        assert a.passages == b.passages
    assert seen[-1] == (len(articles), len(articles))


def test_threaded_callers_analyse_in_process(monkeypatch) -> None:
    import threading

    import knowledge.prepare as module

    monkeypatch.setattr(threading, "active_count", lambda: 2)  # as in the bot
    monkeypatch.setattr(module, "_in_workers", lambda *a: pytest.fail("forked from threads"))
    articles = [(f"t{i}", "نص " * 20) for i in range(3 * CHUNK)]
    assert len(prepare_all(articles, Vocabulary(), workers=2)) == len(articles)


def test_a_worker_dying_midway_leaves_the_rest_to_this_process(monkeypatch) -> None:
    from concurrent.futures.process import BrokenProcessPool

    import knowledge.prepare as module

    real = module._in_workers

    def die_after_one(chunks, workers, undone):
        for number, chunk in enumerate(real(chunks, workers, undone)):
            if number == 1:
                raise BrokenProcessPool("killed")
            yield chunk

    monkeypatch.setattr(module, "_in_workers", die_after_one)
    articles = [(f"عنوان {i}", f"نص رقم {i} " + "كلمة " * 20) for i in range(3 * CHUNK)]
    chunks = list(module.prepare_chunks(articles, Vocabulary(), workers=2))
    assert sum(map(len, chunks)) == len(articles) and len(chunks) == 3


SPACES = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())


def _numberings():
    from knowledge import prepare

    numberings = [prepare._Numbering()]
    python = prepare._Numbering()
    python.pieces = prepare._PythonPieces()
    return [*numberings, python]


def _terms_of(numbering, texts: list[str]) -> list[list[str]]:
    return [[term for term, _, _ in spans] for spans in _spans_of(numbering, texts)]


def _spans_of(numbering, texts: list[str]) -> list[list[tuple[str, int, int]]]:
    terms, bounds, spans = numbering.ids_of(texts)
    names = list(numbering.ids)
    return [
        [
            (names[i], a, b)
            for i, (a, b) in zip(terms[x:y].tolist(), spans[x:y].tolist(), strict=True)
        ]
        for x, y in pairwise(bounds.tolist())
    ]


@pytest.mark.parametrize("which", ["compiled", "python"])
def test_numbering_gives_the_terms_of_analyse_for_every_text(which: str) -> None:
    from knowledge.analysis import analyse, analyse_spans

    texts = [
        "",
        "في من على",  # stop words only: no terms
        "غزة-القدس، 2.2 مليون (رفح) غزة",  # pieces of several terms, and repeated ones
        "The ceasefire began; the ceasefire held.",
        "   ",
        "غزة",
        f"غزة{SPACES}القدس{SPACES.join('أبت')}",  # every white space str.split knows
        "غزة\0القدس",  # NUL (which separates texts inside the compiled split) is no word
        "a\u200bb\u180ec",  # zero-width characters are not white space
    ]
    numbering = _numberings()[which == "python"]
    for batch in (texts, texts[::-1], [], [""]):
        assert _terms_of(numbering, batch) == [analyse(text) for text in batch]
    # and where each term's word is, as a search would find it by analysing the text
    texts.append("غزّةً ٢٫٥ مليون 𝔸𝔹 غزة")  # marks, Arabic decimals, astral characters
    assert _spans_of(numbering, texts) == [list(analyse_spans(text)) for text in texts]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(alphabet="غزةالقدسab .،\n\t\xa0\u2003\u3000\u0085-2", max_size=40), max_size=8)
)
def test_compiled_and_python_splits_agree(texts: list[str]) -> None:
    from knowledge.analysis import analyse, analyse_spans

    for numbering in _numberings():
        assert _terms_of(numbering, texts) == [analyse(text) for text in texts]
        assert _spans_of(numbering, texts) == [list(analyse_spans(text)) for text in texts]


def test_the_piece_table_grows_without_losing_pieces() -> None:
    numbering = _numberings()[0]
    words = [f"w{i}x" for i in range(100_000)]  # more pieces and bytes than the first tables
    first = _terms_of(numbering, [" ".join(words)])[0]
    again = _terms_of(numbering, [" ".join(reversed(words))])[0]
    assert len(first) == len(words) and again == first[::-1]
    assert len(numbering.ids) == len(words)
