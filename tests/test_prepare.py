import pytest

from knowledge.prepare import CHUNK, prepare, prepare_all


def test_prepare_splits_and_analyses() -> None:
    text = "الفقرة الأولى عن وقف إطلاق النار في غزة بعد أحد عشر يوما.\n\n" + "كلمة " * 30
    prepared = prepare("عنوان المقال", text)
    assert prepared.title_terms == "عنو مقال"  # light10 takes -ان as a dual suffix
    (pos0, start0, end0, terms0), (pos1, *_) = prepared.passages
    assert (pos0, pos1) == (0, 1)
    assert text[start0:end0].startswith("الفقرة الأولى") and "وقف اطلاق نار" in terms0


def test_worker_processes_give_the_same_result_in_order(monkeypatch) -> None:
    import knowledge.prepare as module

    used = []
    real = module._in_workers
    monkeypatch.setattr(module, "_in_workers", lambda *a: used.append(a[2]) or real(*a))
    articles = [
        (f"عنوان {i}", f"نص المقال رقم {i} عن الأحداث.\n\n" + "كلمة " * i) for i in range(3 * CHUNK)
    ]
    seen = []
    parallel = prepare_all(
        articles, progress=lambda done, total: seen.append((done, total)), workers=2
    )
    assert parallel == prepare_all(articles, workers=1)
    assert seen[-1] == (len(articles), len(articles))
    assert used == [2]  # the forked workers did run


def test_threaded_callers_analyse_in_process(monkeypatch) -> None:
    import threading

    import knowledge.prepare as module

    monkeypatch.setattr(threading, "active_count", lambda: 2)  # as in the bot
    monkeypatch.setattr(module, "_in_workers", lambda *a: pytest.fail("forked from threads"))
    articles = [(f"t{i}", "نص " * 20) for i in range(3 * CHUNK)]
    assert len(prepare_all(articles, workers=2)) == len(articles)
