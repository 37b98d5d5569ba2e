"""Search on the bundled article: questions its text answers, and questions it does not."""

from pathlib import Path

import pytest

from knowledge import BUNDLED_ARTICLES, Library

from .conftest import write


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Library:
    path = tmp_path_factory.mktemp("seed") / "seed.db"
    return Library.open(path, default_sources=[BUNDLED_ARTICLES])


SEED_QUESTIONS = [
    ("متى بدأ وقف إطلاق النار في غزة؟", "بدأ سريان وقف إطلاق النار"),
    ("كم عدد الشهداء في العدوان على غزة؟", "279 شهيدا"),
    ("كم عدد الأطفال الشهداء؟", "69 طفلا"),
    ("كم عدد المصابين؟", "8900 مصاب"),
    ("كم صاروخا أطلقت المقاومة الفلسطينية؟", "4000 صاروخ"),
    ("كم استمرت حرب 2014 على غزة؟", "51 يوما"),
    ("كم بلغت خسائر حرب 2014؟", "2.2 مليار دولار"),
    ("ماذا قال آية الله قاسم عن انتصار سيف القدس؟", "سيف القدس"),
    ("ما هو سبب الاحتجاجات في حي الشيخ جراح؟", "الشيخ جراح"),
    ("متى بدأ التصعيد في القدس؟", "منذ 8 أيار"),
    ("متى شنت القوات الصهيونية حملة القصف على غزة؟", "وفي 10 أيار"),
    ("من قبل المقترح المصري لوقف إطلاق النار؟", "مقترحًا مصريًا"),
    ("هل فشلت القبة الحديدية في التصدي للصواريخ؟", "القبة الحديدية"),
    ("ما دور قاسم سليماني في تطوير قدرات المقاومة؟", "قاسم سليماني"),
    ("بماذا شكر المرجع الديني البحراني الفلسطينيين؟", "شكرًا للأبطال الفلسطينيين"),
    ("ما هو مبدأ المقاومة في التعامل مع العدوان؟", "وإن عدتم عدنا"),
    ("هل وصلت صواريخ المقاومة إلى تل أبيب؟", "تل ابيب"),
    ("ماذا قال عن قلوب أبناء الشعوب الإسلامية والعربية؟", "قلوب أبناء الشعوب"),
    ("ما الذي يعطي قفزة عالية في الشعور بالثقة بطريق المقاومة؟", "قفزة عالية"),
    ("كم امرأة استشهدت في غزة؟", "40 امرأة"),
    ("كم يوما استمرت العمليات العسكرية؟", "11 يوما"),
    ("هل سيلتزم قادة المقاومة بالهدنة؟", "سيلتزمون بالهدنة"),
    ("ما هي المنشآت التي طالها القصف الصهيوني على غزة؟", "المنشآت المدنية"),
    ("كيف يتحقق أمن الحكومات المطبعة بحسب آية الله قاسم؟", "الحكومات المطبّعة"),
    # the same questions in other spellings: no hamza, no diacritics, Arabic-Indic digits
    ("متي بدا وقف اطلاق النار", "بدأ سريان وقف إطلاق النار"),
    ("كم بلغت خسائر حرب ٢٠١٤", "2.2 مليار دولار"),
    ("عدد الشُّهَداء", "279 شهيدا"),
]


@pytest.mark.parametrize(("question", "passage_has"), SEED_QUESTIONS)
def test_seed_questions_get_the_right_passage_first(
    seed: Library, question: str, passage_has: str
) -> None:
    result = seed.search(question, 3)
    assert result.answered, result
    assert passage_has in result.hits[0].text
    best = result.hits[0]
    assert best.best_sentence in best.text
    for start, end in best.matches:  # the words to bold are words of the passage
        assert best.text[start:end].strip() == best.text[start:end] != ""


OFF_TOPIC = [
    "ما هي عاصمة فرنسا؟",
    "كيف حال الطقس في لندن اليوم؟",
    "ما هي أفضل وصفة لكعكة الشوكولاتة؟",
    "كم سعر البيتكوين الآن؟",
    "من فاز بكأس العالم 2022؟",
    "what's the weather in London",
    "what is the capital of France",
    "how do I reset my iPhone password",
    "who won the 2022 world cup",
]


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_off_topic_questions_are_unanswered(seed: Library, question: str) -> None:
    assert not seed.search(question, 3).answered


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("", "empty"),
        ("   ؟!  ", "empty"),
        ("😀🎉", "empty"),
        ("ما هو", "stopwords"),
        ("what is the", "stopwords"),
        ("\u200f\u202b", "empty"),
    ],
)
def test_empty_and_stop_word_queries_say_why(seed: Library, question: str, reason: str) -> None:
    result = seed.search(question, 3)
    assert (result.answered, result.reason, result.hits) == (False, reason, [])


def test_a_long_question_with_markup_and_bidi_controls(seed: Library) -> None:
    question = "\u202bمتى <b>بدأ</b> وقف & إطلاق النار؟\u202c " + "كلمة " * 2000
    result = seed.search(question, 3)
    assert len(result.query) <= 1000 and "\u202b" not in result.query
    assert result.hits and "وقف" in result.hits[0].text


def test_english_articles_are_searchable(tmp_path: Path) -> None:
    write(
        tmp_path / "en.md",
        "---\ntitle: Ceasefire holds in Gaza\ndate: 2021-05-22\nlang: en\n---\n"
        "The ceasefire between Israel and Hamas held on Saturday, as residents returned to "
        "damaged homes.\n\nOfficials said reconstruction would cost billions of dollars.",
    )
    with Library.open(tmp_path / "en.db") as lib:
        lib.ingest([tmp_path / "en.md"])
        result = lib.search("How much will the reconstruction cost?", 2)
        assert result.answered and "billions" in result.hits[0].text
        assert not lib.search("What is the capital of France?", 2).answered


def test_k_limits_hits(seed: Library) -> None:
    assert len(seed.search("غزة", 2).hits) == 2
    assert len(seed.search("غزة", 5).hits) == 5


def test_a_library_of_the_previous_analyser_answers_with_the_new_forms(tmp_path: Path) -> None:
    """The 0.1 library stored "وكرامتها" and "اهميتها" as كرامت and اهميت; reopened, it is analysed
    again, and "كرامة" and "أهمية" find them."""
    import shutil
    import sqlite3

    from knowledge import ANALYSER_VERSION

    path = tmp_path / "old.db"
    shutil.copy(Path(__file__).parent / "fixtures" / "library-v0.1.db", path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'analyser_version'").fetchone() != (
            ANALYSER_VERSION,
        )
        old_terms = {term for (term,) in conn.execute("SELECT term FROM terms")}
    assert {"كرامت", "اهميت"} <= old_terms and not {"كرام", "اهم"} & old_terms
    with Library.open(path) as library:
        assert library.index.meta["analyser_version"] == ANALYSER_VERSION
        terms = {term for _, passage in library.documents() for term in passage}
        assert {"كرام", "اهم"} <= terms and not {"كرامت", "اهميت"} & terms
        assert "وكرامتها" in library.search("الكرامة والمقدسات", 1).hits[0].text
        assert "اهميتها" in library.search("أهمية خسائر الكيان", 1).hits[0].text
