"""The one analyser for passages and queries: text -> search terms.

Arabic words are normalised (NFKC, no diacritics or tatweel, folded alef/yeh/teh marbuta, ASCII
digits) and light-stemmed in the style of Larkey's light10, with frequent broken plurals mapped to
their singular and a noun's ة before an attached pronoun (ثروته) folded like the bare noun; Latin
words are lower-cased and Snowball-stemmed. What each step is worth is in the README.

Changing anything here changes the stored tokens: bump ``ANALYSER_VERSION`` so libraries re-analyse.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container, Iterator
from functools import lru_cache
from itertools import chain

import Stemmer

from .plurals import BROKEN_PLURALS
from .text import strip_bidi

ANALYSER_VERSION = "ar-light10+alef+plurals+teh-pronoun-en-snowball-5"

# Arabic diacritics (harakat, tanween, shadda, sukun, superscript alef, Quranic marks) and tatweel.
MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640"
_STRIP_MARKS = re.compile(f"[{MARKS}]")

# A raw word: letters, digits and the marks inside them; a number keeps its decimal point
# ("2.2") and thousands separators ("4,000"), which the normaliser then removes.
RAW_WORD = re.compile(rf"(?:[^\W_]|[{MARKS}])+(?:[.,٫٬](?=[0-9٠-٩۰-۹])[0-9٠-٩۰-۹]+)*")
_LETTERS_OR_DIGITS = re.compile(r"[0-9]+(?:\.[0-9]+)?|[^\W\d_]+")

_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "٫": ".",
        "٬": "",
        **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + i): str(i) for i in range(10)},  # Persian digits
    }
)

_ARABIC_STOP_LIST = """
    في من على الى الي عن مع او ام ثم حتي قد لقد لا لم لن ما ماذا هل كيف متي اين لماذا كم اي
    هو هي هم هن هما انت انتم انا نحن هذا هذه ذلك تلك هذان هاتان هؤلاء اولئك التي الذي الذين
    اللذان اللتان اللواتي اللاتي كان كانت يكون تكون كانوا كل بعض غير بين عند عندما منذ اذا ان
    انه انها لان بان فان وان الا اما ايضا وقد وفي ومن وهو وهي وما ولا وكان وكانت ولم به بها
    له لها لهم منه منها فيه فيها عليه عليها اليه عنه عنها
    لدى خلال حيث ضمن نحو جميع هناك هنا الان لكن كما بينما حول عبر دون اذ وذلك تم ذات ذو
    """

ENGLISH_STOP_WORDS = frozenset(
    """
    a an and are as at be been but by did do does for from had has have he her his how i if in
    into is it its me my not of on or our she so than that the their them then there these they
    this those to was we were what when where which who whom whose why will with you your
    i me myself ours ourselves yours yourself yourselves him himself hers herself itself theirs
    themselves am being having doing would should could ought because until while about against
    between through during before after above below up down out off over under again further
    once here all any both each few more most other some such no nor only own same too very can
    just don
    """.split()
)
"""Snowball's English stop list."""

_ARTICLE_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")
_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "يه", "ه", "ه", "ي")
# "ية" and "ة" of light10 are "يه" and "ه" once teh marbuta is folded, hence the repeats.

_english = Stemmer.Stemmer("english")


def normalise(word: str) -> str:
    """NFKC, no bidi controls, diacritics or tatweel, folded letters and digits, case-folded."""
    return _normalise_but_taa(word).replace("ة", "ه")


def _normalise_but_taa(word: str) -> str:
    """``normalise`` with teh marbuta (ة) still told apart from heh: before a pronoun it is
    written ت (ثروة, ثروته), and a word that ends in ة has no pronoun."""
    text = unicodedata.normalize("NFKC", strip_bidi(word))
    return _STRIP_MARKS.sub("", text).translate(_FOLD).casefold()


# Folded like the text, so that "على" in the list matches "علي" after yeh folding.
ARABIC_STOP_WORDS = frozenset(normalise(w) for w in _ARABIC_STOP_LIST.split())
_PROCLITICS = "وفبلك"


_PREPOSITIONS = frozenset(
    normalise(w) for w in "من عن في على الى مع لدى عند بين حول دون ضد عبر".split()
)
_PRONOUNS = ("هما", "هم", "هن", "ها", "كم", "نا", "ه", "ك", "ي")
_PREPOSITIONS_WITH_PRONOUNS = frozenset(
    conjunction + preposition + pronoun
    for preposition in _PREPOSITIONS
    for pronoun in _PRONOUNS
    for conjunction in ("", "و", "ف")
    if not conjunction or len(preposition + pronoun) >= 3
)


def _is_stop_word(word: str) -> bool:
    """A function word, also with one attached conjunction or preposition (وهذا, لهذه, فهو), or a
    preposition with an attached pronoun (معها, لديهم, بينهم, وعليه)."""
    return (
        word in ARABIC_STOP_WORDS
        or (word[0] in _PROCLITICS and word[1:] in ARABIC_STOP_WORDS)
        or word in _PREPOSITIONS_WITH_PRONOUNS
    )


def _is_arabic(word: str) -> bool:
    return "\u0600" <= word[0] <= "\u06ff"


def light_stem(word: str) -> str:
    """Light10-style Arabic stemmer, plus the indefinite accusative alef (شهيدا -> شهيد) and
    frequent broken plurals (شهداء -> شهيد, أطفال -> طفل).

    Expects a normalised word. Never leaves fewer than two letters.
    """
    singular = _singular(word)
    return _light_stem(word) if singular is None else singular


def _arabic_term(word: str) -> str:
    """The term of an Arabic word normalised but for its teh marbuta (``_normalise_but_taa``):
    ``light_stem``, with a noun's ة before an attached pronoun folded like the bare noun."""
    folded = word.replace("ة", "ه")
    if word.endswith("ة"):
        # مصادرة is not مصادر + ه: a listed plural with the pronoun ه only looks like it.
        singular = _TAA_PLURAL_FORMS.get(folded)
        return _light_stem(folded) if singular is None else singular
    if folded not in _PLURAL_FORMS:  # بيوتهم is بيوت + هم
        bare = _bare_of_pronoun_after_teh(word)
        if bare is not None:
            return _arabic_term(bare)
    return light_stem(folded)


# An attached pronoun after a ت (ي is left out: كويتي, صوتي are nisba adjectives of كويت, صوت).
_PRONOUN_AFTER_TEH = re.compile("(.+)ت(?:هما|هم|هن|ها|كم|كن|نا|ه|ك)")


def _bare_of_pronoun_after_teh(word: str) -> str | None:
    """The word without the pronoun attached to its final ت, with the ending it had bare: ة
    for a noun (ثروته -> ثروة, حكومتنا -> حكومة), ات for a plural (قراراتهم -> قرارات), and
    ت where the ت is more likely a root letter, two letters before it once the prefixes
    light10 strips are gone (بيتهم -> بيت, موتهم -> موت; قوتهم stays قوت, unlike قوة). None
    when there is no such pronoun (متهم, اتهم)."""
    stem = _without_prefixes(word)
    match = _PRONOUN_AFTER_TEH.fullmatch(stem)
    if match is None:
        return None
    before, base = word[: len(word) - len(stem)], match.group(1)
    if len(base) < 2:
        return None  # متهم, اتهم: no pronoun
    if base.endswith("ا") or len(base) == 2:
        return before + base + "ت"
    return before + base + "ة"


def _without_prefixes(word: str) -> str:
    """The word without the prefixes light10 strips: a leading و, then one article prefix."""
    if len(word) >= 4 and word.startswith("و"):
        word = word[1:]
    for prefix in _ARTICLE_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            return word[len(prefix) :]
    return word


def _light_stem(word: str) -> str:
    word = _without_prefixes(word)
    # News writes the indefinite accusative without its tanween mark ("279 شهيدا", "تصعيدا"),
    # leaving an alef that the question ("الشهيد") never has.
    if len(word) >= 4 and word.endswith("ا"):
        word = word[:-1]
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            word = word[: -len(suffix)]
    return word


# The listed broken plurals (see ``plurals``), each mapped to the stem of its singular.
_PLURALS = {
    normalise(plural): _light_stem(normalise(singular))
    for plural, singular in zip(BROKEN_PLURALS[::2], BROKEN_PLURALS[1::2], strict=True)
}
_PLURAL_PRONOUNS = ("هما", "هم", "هن", "ها", "كم", "نا", "ه")


def _singular(word: str) -> str | None:
    """The stem of the singular of a listed broken plural, also with its clitics (والأطفال,
    لأطفالهم, شهداءً); None for any other word."""
    return _PLURAL_FORMS.get(word)


def _singular_by_rules(word: str) -> str | None:
    """``_singular`` worked out by stripping clitics; used once, to fill ``_PLURAL_FORMS``."""
    forms = [word, word[1:]] if word.startswith("و") else [word]
    for form in list(forms):
        for prefix in (*_ARTICLE_PREFIXES, "ب", "ل", "ك", "ف"):
            if form.startswith(prefix) and len(form) - len(prefix) >= 3:
                forms.append(form[len(prefix) :])
                break
    for form in list(forms):
        if form.endswith("ا"):
            forms.append(form[:-1])
        for pronoun in _PLURAL_PRONOUNS:
            if form.endswith(pronoun) and len(form) - len(pronoun) >= 3:
                forms.append(form[: -len(pronoun)])
                break
    return next((_PLURALS[f] for f in forms if f in _PLURALS), None)


def _plural_forms() -> dict[str, str]:
    """Every listed plural with the clitics ``_singular_by_rules`` strips, and its singular:
    one dictionary look-up per new word instead of some thirty string tests."""
    forms = {}
    for plural in _PLURALS:
        for conjunction in ("", "و"):
            for prefix in ("", *_ARTICLE_PREFIXES, "ب", "ل", "ك", "ف"):
                for suffix in ("", "ا", *_PLURAL_PRONOUNS):
                    word = conjunction + prefix + plural + suffix
                    singular = _singular_by_rules(word)
                    if singular is not None:
                        forms[word] = singular
    return forms


_PLURAL_FORMS = _plural_forms()
# The forms a word written with a final ة can be: a plural's own ة (أسلحة), never the pronoun ه.
_TAA_PLURAL_FORMS = {
    word: singular
    for word, singular in _PLURAL_FORMS.items()
    if word.endswith("ه") and word[:-1] not in _PLURAL_FORMS
}


@lru_cache(maxsize=500_000)
def word_terms(raw: str) -> tuple[tuple[str, str], ...]:
    """(normalised word, term) for each term of one raw word (as matched by ``RAW_WORD``); an
    Arabic word's teh marbuta is kept in the word (``_normalise_but_taa``)."""
    text = re.sub(r"(?<=\d),(?=\d)", "", _normalise_but_taa(raw))
    terms = []
    for word in _LETTERS_OR_DIGITS.findall(text):
        if word[0].isdigit():
            terms.append((word, word))
        elif len(word) == 1:
            continue  # a detached prefix (بـ, و) or a possessive "s": never a content word
        elif _is_arabic(word):
            if not _is_stop_word(word.replace("ة", "ه")):
                terms.append((word, _arabic_term(word)))
        elif word not in ENGLISH_STOP_WORDS:
            terms.append((word, _english.stemWord(word) if word.isascii() else word))
    return tuple(terms)


@lru_cache(maxsize=500_000)
def analyse_word(raw: str) -> tuple[str, ...]:
    """Terms for one raw word; empty for a stop word."""
    return tuple(term for _, term in word_terms(raw))


class _ChunkCache(dict):
    """Terms of each white-space-separated chunk, computed once: news repeats its words, and a
    plain dict look-up is several times cheaper than ``lru_cache``'s bookkeeping."""

    limit = 2_000_000

    def __missing__(self, chunk: str) -> tuple[str, ...]:
        if len(self) >= self.limit:
            self.clear()
        terms = self[chunk] = terms_of_piece(chunk)
        return terms


def terms_of_piece(piece: str) -> tuple[str, ...]:
    """The terms of one white-space-free piece of text (not cached: an ingest numbers its
    pieces and analyses each once; ``piece_terms`` remembers them for everything else)."""
    return tuple(term for raw in RAW_WORD.findall(piece) for term in analyse_word(raw))


_chunk_terms = _ChunkCache()
piece_terms = _chunk_terms.__getitem__
"""The terms of one white-space-free piece of text (cached)."""


def analyse(text: str) -> list[str]:
    """The search terms of ``text``, in order."""
    # A word never spans white space, so the text is cut there first and each piece (a word
    # with its punctuation, mostly) is analysed once and remembered.
    return list(chain.from_iterable(map(piece_terms, text.split())))


def analyse_query(text: str, known: Container[str]) -> list[str]:
    """The terms of a query, given the terms the library ``known``s.

    Light stemming leaves one-letter proclitics (ب ل ك ف) attached, so an Arabic query word that
    the library does not know is tried without one: "لكاليفورنيا" then finds "كاليفورنيا".
    """
    terms = []
    for raw in _without_frame(RAW_WORD.findall(text)):
        for word, term in word_terms(raw):
            if term not in known and len(word) >= 5 and word[0] in _PROCLITICS:
                bare = _arabic_term(word[1:])
                if bare in known:
                    term = bare
            terms.append(term)
    return terms


# Terms that frame a question rather than say what it is about, when they open it after only
# function words: "ما اسم", "كم عدد", "ما نوع", "في أي عام", "ماذا يسمى", "what is the name of",
# "what kind of", "how many", "in what year".
_FRAME_TERMS = frozenset(
    "اسم اسماء عدد اعداد نوع انواع يسم تسم يطلق مقدار مد شيء عام سن يعن تعن مقصود".split()
    + "name type kind sort mani much year decad centuri".split()
)


def _without_frame(raws: list[str]) -> list[str]:
    """The raw words of a question without its opening frame words (and a closing "called")."""
    kept = []
    opening = True
    for raw in raws:
        terms = analyse_word(raw)
        if opening and terms and all(t in _FRAME_TERMS for t in terms):
            continue
        opening = opening and not terms
        kept.append(raw)
    if kept and kept[-1].lower() == "called":
        kept.pop()
    # A question that is all frame ("عدد الأسماء") keeps its words.
    return kept if any(analyse_word(raw) for raw in kept) else raws


def analyse_spans(text: str) -> Iterator[tuple[str, int, int]]:
    """Each term of ``text`` with the offsets of the word it came from."""
    for match in RAW_WORD.finditer(text):
        for term in analyse_word(match.group()):
            yield term, match.start(), match.end()
