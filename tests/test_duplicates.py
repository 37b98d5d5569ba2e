"""knowledge.duplicates and the search that uses it: the same wire story in several papers is
one hit that names the others; different stories on the same event stay apart.

The stories are tests/fixtures/wire_stories.json: Arabic and English wire stories as two or
three papers published them (another dateline, another first line, an added sentence, other
spellings), and stories on the same events written apart.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from pathlib import Path

import pytest

from bot.inline import inline_page
from knowledge import BM25Ranker, Hit, Library
from knowledge.duplicates import THRESHOLD, collapse, containments, near_duplicates, words
from knowledge.passages import split_passages

STORIES = json.loads((Path(__file__).parent / "fixtures" / "wire_stories.json").read_text("utf-8"))


def _passages() -> list[tuple[str, str, int, str]]:
    """(story, topic, position, text) of every passage of every version."""
    found = []
    for story in STORIES["stories"]:
        for version in story["versions"]:
            text = "\n\n".join(version["paragraphs"])
            for passage in split_passages(text):
                found.append((story["story"], story["topic"], passage.position, passage.text))
    return found


def test_the_same_story_collapses_and_other_stories_on_the_event_do_not() -> None:
    passages = _passages()
    share = containments([p[3] for p in passages])
    same, other = [], []
    for a, b in itertools.combinations(range(len(passages)), 2):
        if passages[a][0] == passages[b][0]:
            if passages[a][2] == passages[b][2]:  # one wire paragraph, as two papers ran it
                same.append(share[a, b])
        elif passages[a][1] == passages[b][1]:
            other.append(share[a, b])
    assert len(same) == 41 and len(other) > 100
    # Measured: 0.69 and 0.24, with THRESHOLD = 0.5 between them.
    assert min(same) >= THRESHOLD + 0.15
    assert max(other) <= THRESHOLD - 0.2
    near = near_duplicates([p[3] for p in passages])
    for a, b in itertools.combinations(range(len(passages)), 2):
        same_paragraph = passages[a][0] == passages[b][0] and passages[a][2] == passages[b][2]
        assert near[a, b] == same_paragraph, (passages[a][3], passages[b][3])


def test_a_template_filled_in_with_other_numbers_is_other_news() -> None:
    day = "صمدت الهدنة في غزة لليوم رقم {} على التوالي بحسب الوسطاء في القاهرة وفق بيان رسمي."
    toll = (
        "At least {} people were killed when the quake struck the town on Monday, officials said."
    )
    texts = [day.format(3), day.format("٤"), toll.format(23), toll.format(29)]
    assert containments(texts)[0, 1] >= THRESHOLD and containments(texts)[2, 3] >= THRESHOLD
    assert not near_duplicates(texts).any()
    # A figure only one of them gives, or gives in words, is no other news.
    added = [toll.format(23), toll.format(23) + " Another 4 were missing.", toll.format("23")]
    assert near_duplicates(added)[0, 1] and near_duplicates(added)[0, 2]
    words_or_digits = [day.format(10), day.format("العاشر")]
    assert near_duplicates(words_or_digits)[0, 1]


def test_a_paragraph_inside_a_longer_one_is_a_duplicate() -> None:
    """One paper runs two wire paragraphs as one: each is contained in it."""
    paragraphs = STORIES["stories"][0]["versions"][0]["paragraphs"]
    merged = paragraphs[1] + " " + paragraphs[2]
    share = containments([merged, paragraphs[1], paragraphs[2], paragraphs[3]])
    assert share[0, 1] == share[0, 2] == 1.0
    assert share[0, 3] < THRESHOLD


def test_spelling_habits_are_not_edits() -> None:
    assert words("أعلنت السلطاتُ الليبيةُ «الثلاثاء»، إلى") == words(
        "اعلنت السلطات الليبيه الثلاثاء الى"
    )
    assert words("U.S. crude, rose 2%") == ["u", "s", "crude", "rose", "2"]
    assert words("٢٠٠ نقطة") == words("200 نقطه")


def test_short_passages_are_never_duplicates() -> None:
    share = containments(["Gaza ceasefire holds", "Gaza ceasefire holds", ""])
    assert not share.any()


def _hit(passage_id: int, article_id: int, text: str, score: float = 1.0) -> Hit:
    return Hit(
        article_id=article_id,
        title=f"title {article_id}",
        url=f"https://example.com/{article_id}",
        published="2024-03-07",
        source=f"paper {article_id}",
        passage_id=passage_id,
        position=0,
        start=0,
        end=len(text),
        text=text,
        score=score,
        best_sentence=text,
        best_sentence_span=(0, len(text)),
    )


def test_collapse_keeps_the_best_ranked_copy_and_fills_the_freed_slots() -> None:
    rates = [v["paragraphs"][1] for v in STORIES["stories"][0]["versions"]]  # three papers
    bankers = STORIES["stories"][1]["versions"][0]["paragraphs"][0]
    afp = STORIES["stories"][2]["versions"][0]["paragraphs"][1]
    hits = [
        _hit(1, 10, rates[1], 9.0),
        _hit(2, 11, rates[0], 8.5),
        _hit(3, 20, bankers, 8.0),
        _hit(4, 12, rates[2], 7.0),
        _hit(5, 30, afp, 6.0),
        _hit(6, 10, rates[1], 5.0),  # the same passage again in the first hit's article
    ]
    kept = collapse(hits, 3)
    assert [h.passage_id for h in kept] == [1, 3, 5]
    assert [h.score for h in kept] == [9.0, 8.0, 6.0]  # BM25 scores as they were
    first = kept[0]
    assert [(d.article_id, d.passage_id) for d in first.also_in] == [(11, 2), (12, 4)]
    assert first.also_in[0].source == "paper 11"
    assert first.also_in[0].url == "https://example.com/11"
    assert kept[1].also_in == kept[2].also_in == ()
    # Only k are kept, but duplicates of the kept ones further down are still named.
    assert [h.passage_id for h in collapse(hits, 1)] == [1]
    assert len(collapse(hits, 1)[0].also_in) == 2
    assert collapse(hits[:1], 3) == hits[:1]
    assert collapse([], 3) == []


def test_a_hit_that_already_names_sources_keeps_them() -> None:
    text = STORIES["stories"][0]["versions"][0]["paragraphs"][0]
    first = collapse([_hit(1, 1, text), _hit(2, 2, text)], 1)[0]
    again = collapse([first, _hit(3, 3, text)], 1)[0]
    assert [d.article_id for d in again.also_in] == [2, 3]
    assert replace(again, also_in=()) == replace(first, also_in=())


@pytest.fixture
def wire_library(library: Library, tmp_path: Path) -> Library:
    """Every version of every story, each as an article of its paper."""
    lines = []
    for story in STORIES["stories"]:
        for number, version in enumerate(story["versions"]):
            record = {k: v for k, v in version.items() if k != "paragraphs" and v is not None}
            record["id"] = f"{story['story']}-{number}"
            record["text"] = "\n\n".join(version["paragraphs"])
            lines.append(json.dumps(record, ensure_ascii=False))
    source = tmp_path / "wire" / "stories.jsonl"
    source.parent.mkdir()
    source.write_text("\n".join(lines), encoding="utf-8")
    library.ingest([source])
    return library


def test_search_shows_one_story_once_naming_the_other_papers(wire_library: Library) -> None:
    result = wire_library.search("لجنة السياسة النقدية سعر عائد الإيداع لليلة واحدة", k=3)
    assert result.answered
    first = result.hits[0]
    assert "لجنة السياسة النقدية" in first.text
    papers = {first.source} | {d.source for d in first.also_in}
    assert papers == {"الأهرام", "المصري اليوم", "الشروق"}
    assert len(first.also_in) == 2
    # The freed slots go to other stories: the AFP and the bankers' stories are not the wire's.
    others = [h.source for h in result.hits[1:]]
    assert len(result.hits) == 3 and not {"الأهرام", "المصري اليوم", "الشروق"} & set(others)
    assert all(h.also_in == () for h in result.hits[1:])
    shown = result.as_json()["hits"][0]["also_in"]
    assert {d["source"] for d in shown} == papers - {first.source}
    assert set(shown[0]) == {"article_id", "passage_id", "title", "source", "url", "published"}


def test_search_in_english_collapses_the_wire_copies(wire_library: Library) -> None:
    result = wire_library.search("elderly man pulled alive from the rubble", k=3)
    assert result.answered
    sources = [h.source for h in result.hits]
    assert sources.count("AP") <= 1 and len(sources) == len(set(sources))
    first = result.hits[0]
    assert {first.source, *(d.source for d in first.also_in)} == {
        "Reuters",
        "Gulf Times",
        "Arab News",
    }


def test_different_stories_on_one_event_stay_separate_hits(wire_library: Library) -> None:
    result = wire_library.search("درنة فرق الإنقاذ الجثث تحت الأنقاض ومن البحر", k=5)
    sources = {h.source for h in result.hits}
    assert "بي بي سي عربي" in sources  # the survivors' story: same event, not the wire's text
    wire = [h for h in result.hits if h.source in {"الجزيرة نت", "الشرق الأوسط", "عربي 21"}]
    assert len({h.position for h in wire}) == len(wire)  # one wire paragraph, one hit


def test_search_looks_deeper_when_duplicates_use_up_the_candidates(
    wire_library: Library,
) -> None:
    shallow = BM25Ranker()
    shallow.depth = 1  # each search first gets only k candidates: the wire copies fill them
    with Library.open(wire_library.path, ranker=shallow) as library:
        result = library.search("Interior Minister Yerlikaya elderly man rubble", k=2)
    assert len(result.hits) == 2
    assert len(result.hits[0].also_in) == 2
    assert result.hits[1].source not in {"Reuters", "Gulf Times", "Arab News"}


def test_inline_mode_lists_a_story_once(wire_library: Library) -> None:
    page = inline_page(wire_library, "المركزي المصري يرفع الفائدة 200 نقطة أساس", 0, "ar")
    ids = [int(item.id) for item in page.items]
    wire = {
        a.id for a in wire_library.latest(50) if a.source in {"الأهرام", "المصري اليوم", "الشروق"}
    }
    assert len(set(ids) & wire) == 1
    assert len(ids) >= 3  # the other stories on the decision are still there
    first = next(item for item in page.items if int(item.id) in wire)
    assert "ورد أيضًا في" in first.text
