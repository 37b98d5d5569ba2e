"""The one analyser for passages and queries: text -> search terms.

Arabic words are normalised (NFKC, no diacritics or tatweel, folded alef/yeh/teh marbuta, ASCII
digits) and light-stemmed in the style of Larkey's light10; Latin words are lower-cased and
Snowball-stemmed. What each step is worth on Arabic questions is in the README.

Changing anything here changes the stored tokens: bump ``ANALYSER_VERSION`` so libraries re-analyse.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container, Iterator
from functools import lru_cache
from itertools import chain

import Stemmer

ANALYSER_VERSION = "ar-light10+alef-en-snowball-2"

# Bidi controls are invisible but change how a word compares: strip them before anything else.
BIDI_CONTROLS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
_BIDI_TABLE = str.maketrans("", "", BIDI_CONTROLS)

# Arabic diacritics (harakat, tanween, shadda, sukun, superscript alef, Quranic marks) and tatweel.
_MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640"
_STRIP_MARKS = re.compile(f"[{_MARKS}]")

# A raw word: letters, digits and the marks inside them; a number keeps its decimal point
# ("2.2") and thousands separators ("4,000"), which the normaliser then removes.
RAW_WORD = re.compile(rf"(?:[^\W_]|[{_MARKS}])+(?:[.,٫٬](?=[0-9٠-٩۰-۹])[0-9٠-٩۰-۹]+)*")
_LETTERS_OR_DIGITS = re.compile(r"[0-9]+(?:\.[0-9]+)?|[^\W\d_]+")

_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ة": "ه",
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
    """

ENGLISH_STOP_WORDS = frozenset(
    """
    a an and are as at be been but by did do does for from had has have he her his how i if in
    into is it its me my not of on or our she so than that the their them then there these they
    this those to was we were what when where which who whom whose why will with you your
    """.split()
)

_ARTICLE_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")
_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "يه", "ه", "ه", "ي")
# "ية" and "ة" of light10 are "يه" and "ه" once teh marbuta is folded, hence the repeats.

_english = Stemmer.Stemmer("english")


def normalise(word: str) -> str:
    """NFKC, no bidi controls, diacritics or tatweel, folded letters and digits, case-folded."""
    text = unicodedata.normalize("NFKC", word.translate(_BIDI_TABLE))
    return _STRIP_MARKS.sub("", text).translate(_FOLD).casefold()


# Folded like the text, so that "على" in the list matches "علي" after yeh folding.
ARABIC_STOP_WORDS = frozenset(normalise(w) for w in _ARABIC_STOP_LIST.split())
_PROCLITICS = "وفبلك"


def _is_stop_word(word: str) -> bool:
    """A function word, also with one attached conjunction or preposition (وهذا, لهذه, فهو)."""
    return word in ARABIC_STOP_WORDS or (word[0] in _PROCLITICS and word[1:] in ARABIC_STOP_WORDS)


def _is_arabic(word: str) -> bool:
    return "\u0600" <= word[0] <= "\u06ff"


def light_stem(word: str) -> str:
    """Light10-style Arabic stemmer, plus the indefinite accusative alef (شهيدا -> شهيد).

    Expects a normalised word. Never leaves fewer than two letters.
    """
    if len(word) >= 4 and word.startswith("و"):
        word = word[1:]
    for prefix in _ARTICLE_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            word = word[len(prefix) :]
            break
    # News writes the indefinite accusative without its tanween mark ("279 شهيدا", "تصعيدا"),
    # leaving an alef that the question ("الشهيد") never has.
    if len(word) >= 4 and word.endswith("ا"):
        word = word[:-1]
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            word = word[: -len(suffix)]
    return word


@lru_cache(maxsize=500_000)
def word_terms(raw: str) -> tuple[tuple[str, str], ...]:
    """(normalised word, term) for each term of one raw word (as matched by ``RAW_WORD``)."""
    text = re.sub(r"(?<=\d),(?=\d)", "", normalise(raw))
    terms = []
    for word in _LETTERS_OR_DIGITS.findall(text):
        if word[0].isdigit():
            terms.append((word, word))
        elif len(word) == 1:
            continue  # a detached prefix (بـ, و) or a possessive "s": never a content word
        elif _is_arabic(word):
            if not _is_stop_word(word):
                terms.append((word, light_stem(word)))
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
        terms = self[chunk] = tuple(
            term for raw in RAW_WORD.findall(chunk) for term in analyse_word(raw)
        )
        return terms


_chunk_terms = _ChunkCache()


def analyse(text: str) -> list[str]:
    """The search terms of ``text``, in order."""
    # A word never spans white space, so the text is cut there first and each piece (a word
    # with its punctuation, mostly) is analysed once and remembered.
    return list(chain.from_iterable(map(_chunk_terms.__getitem__, text.split())))


def analyse_query(text: str, known: Container[str]) -> list[str]:
    """The terms of a query, given the terms the library ``known``s.

    Light stemming leaves one-letter proclitics (ب ل ك ف) attached, so an Arabic query word that
    the library does not know is tried without one: "لكاليفورنيا" then finds "كاليفورنيا".
    """
    terms = []
    for raw in RAW_WORD.findall(text):
        for word, term in word_terms(raw):
            if term not in known and len(word) >= 5 and word[0] in _PROCLITICS:
                bare = light_stem(word[1:])
                if bare in known:
                    term = bare
            terms.append(term)
    return terms


def analyse_spans(text: str) -> Iterator[tuple[str, int, int]]:
    """Each term of ``text`` with the offsets of the word it came from."""
    for match in RAW_WORD.finditer(text):
        for term in analyse_word(match.group()):
            yield term, match.start(), match.end()


def strip_bidi(text: str) -> str:
    """``text`` without Unicode bidi control characters."""
    return text.translate(_BIDI_TABLE)
