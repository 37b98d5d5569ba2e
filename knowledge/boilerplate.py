"""Recognise the boilerplate paragraphs of news articles: agency datelines, link-back and "read
more" lines, and lines that only repeat the headline.

Such a paragraph says nothing a reader asked about, yet it is short and full of the story's
words (the place, the date, the paper's name), so as a passage of its own it outranks the
paragraph that answers. It stays in the article's text; ``passages`` only leaves it out of the
passages. Every rule here is deliberately narrow: a paragraph is boilerplate only when the whole
of it has one of these shapes, so a news paragraph that merely mentions a city, a date, an
agency or a link is never one.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from .analysis import analyse

__all__ = ["MAX_WORDS", "is_boilerplate", "is_dateline", "is_link_line", "repeats_headline"]

MAX_WORDS = 30
"""A paragraph longer than this is never boilerplate (and is not examined)."""

# -- datelines ----------------------------------------------------------------------------------

_GREGORIAN = (
    "يناير فبراير مارس أبريل ابريل إبريل مايو يونيو يونيه يوليو يوليه أغسطس اغسطس سبتمبر "
    "أكتوبر اكتوبر نوفمبر ديسمبر شباط آذار اذار نيسان أيار ايار حزيران تموز آب اب أيلول ايلول"
)
_TWO_WORD_MONTHS = (
    "كانون الثاني|كانون الأول|كانون الاول|تشرين الأول|تشرين الاول|تشرين الثاني|"
    "ربيع الأول|ربيع الاول|ربيع الآخر|ربيع الاخر|ربيع الثاني|جمادى الأولى|جمادى الاولى|"
    "جمادى الآخرة|جمادى الاخرة|جمادى الثانية|ذو القعدة|ذي القعدة|ذو الحجة|ذي الحجة"
)
_HIJRI = "محرم صفر رجب شعبان رمضان شوال"
_ENGLISH_MONTHS = (
    "January February March April May June July August September October November December "
    "Jan. Feb. Mar. Apr. Jun. Jul. Aug. Sep. Sept. Oct. Nov. Dec. "
    "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec"
)
_WEEKDAYS = (
    "السبت الأحد الاحد الإثنين الاثنين الثلاثاء الأربعاء الاربعاء الخميس الجمعة "
    "Saturday Sunday Monday Tuesday Wednesday Thursday Friday"
)


def _words(names: str) -> str:
    return "|".join(re.escape(n) for n in sorted(names.split(), key=len, reverse=True))


_B = r"(?<![\w.])"  # a name starts a word: "اب" is not the end of "الاحزاب"
_E = r"(?![\w])"
_DIGITS = "0-9٠-٩۰-۹"
_NUM = f"[{_DIGITS}]"
_DIGIT_CHARS = frozenset("0123456789٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹")
_MONTH = f"(?:{_TWO_WORD_MONTHS}|{_words(_GREGORIAN + ' ' + _HIJRI + ' ' + _ENGLISH_MONTHS)})"
_MONTHS = rf"{_MONTH}(?:\s*[/-]\s*{_MONTH})?"  # "أيار/ مايو": the Levantine and Egyptian names
_ERA = r"(?:\s*(?:هـ|ه|م|AH|AD|CE)(?![\w]))?"
_YEAR = rf"{_NUM}{{4}}{_ERA}"
_DAY = rf"(?:[لب]\s?)?{_NUM}{{1,2}}(?:st|nd|rd|th)?"
_DATE = (
    rf"(?:"
    rf"{_NUM}{{1,4}}\s*[/.-]\s*{_NUM}{{1,2}}\s*[/.-]\s*{_NUM}{{1,4}}{_ERA}"  # 1445/03/12 هـ
    rf"|{_DAY}\s+{_MONTHS}(?:\s*,?\s*{_YEAR})?"  # 12 شوال 1442 هـ, 24 May 2021
    rf"|{_MONTHS}\s+{_NUM}{{1,2}}(?:\s*,\s*{_YEAR}|\s+{_YEAR})?"  # May 24, 2021
    rf"|{_MONTHS}\s*,?\s*{_YEAR}"  # مايو 2021
    rf"|{_NUM}{{4}}\s*(?:هـ|ه|م|AH|AD|CE)"  # 1442 هـ
    rf"|{_NUM}{{1,2}}:{_NUM}{{2}}(?:\s*(?:ص|م|[AaPp]\.?[Mm]\.?|GMT|UTC))?"  # 10:30 ص
    rf"|(?:{_words(_WEEKDAYS)})"
    rf"){_E}"
)

_AGENCY_NAMES = (
    # Arabic agencies and their usual abbreviations (as datelines write them)
    "واس|وام|قنا|كونا|بنا|سبأ|سبا|سانا|وفا|معا|صفا|بترا|يونا|العمانية|الأناضول|الاناضول|"
    "رويترز|شينخوا|سبوتنيك|أ ف ب|ا ف ب|أ\\.ف\\.ب|ا\\.ف\\.ب|د ب أ|د\\.ب\\.أ|أ ب|"
    "وكالات|الوكالات|متابعات|خاص|"
    'وكالة(?:\\s+[^\\s\\d()«»"،,:.-]+){1,3}|'  # وكالة الأنباء السعودية, وكالة فرانس برس
    # English ones
    "Reuters|Associated Press|AFP|AP|SPA|WAM|QNA|KUNA|BNA|WAFA|dpa|DPA|UPI|Xinhua|Anadolu|"
    "Agence France-Presse|Anadolu Agency|Saudi Press Agency|Agencies|agencies|Staff|"
    "(?:[A-Z][\\w-]*\\s+){0,2}News Agency"
)
_AGENCY = rf"(?:{_AGENCY_NAMES}){_E}"
_WRAPPED_AGENCY = rf"[(«\"“]\s*(?:{_AGENCY_NAMES})\s*[)»\"”]"
_LINK_WORDS = r"(?:الموافق(?:\s*ل)?|في|on|of)"
"""What joins two parts of a dateline: "... 1442 هـ الموافق 24 مايو ..."."""

_QUOTED_NAME = r"«[^\s«»\d]+(?:\s+[^\s«»\d]+){0,2}»"
"""A paper's name in guillemets, «الحياة»: a dateline's credit only after a dash."""
# One look-behind first: most positions are inside a word, and fail there at once.
_COMPONENTS = re.compile(
    rf"{_B}(?:(?P<P>{_WRAPPED_AGENCY})|(?P<Q>{_QUOTED_NAME})|(?P<D>{_DATE})|(?P<A>{_AGENCY}))"
)
_JOINED = re.compile(rf"(§[PQDNA])\s*{_LINK_WORDS}\s+(?=§)")
_SEPARATORS = "–—,،:|/-"  # (the hyphen last: literal in a character class)
_PLACE_WORD = rf"[^\W\d_][^\s{_DIGITS},،:()«»\"§|/]*"
_PLACE = rf"{_PLACE_WORD}(?:\s+{_PLACE_WORD}){{0,2}}"
_SHAPE = re.compile(
    rf"(?P<place>{_PLACE}(?:\s*,\s*{_PLACE})?)?\s*"  # ATHENS, Greece
    rf"(?P<sep>[{_SEPARATORS}]+)?\s*"
    rf"(?P<parts>§[PQDNA](?:[\s{_SEPARATORS}]*§[PQDNA])*)\s*[{_SEPARATORS}]*"
)
_STAMP_LABEL = re.compile(
    r"(?:نشر|نُشر|تاريخ النشر|آخر تحديث|اخر تحديث|تم النشر|تحديث|Published|Updated|Posted|"
    r"Last updated|Date)",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?؟…]\s*$")
_DATELINE_MARK = re.compile(rf"[{_DIGITS}(«,،:–—-]")
"""A dateline has a number, a bracket or a separator (a cheap first look)."""
_MAX_DATELINE_WORDS = 20
_MAX_PLACE_WORDS = 6
"""Words before a dateline's first number, bracket or separator: "Abu Dhabi", "ATHENS" or a
weekday and a day, "الخميس 21 أيار"."""


def is_dateline(paragraph: str) -> bool:
    """Whether ``paragraph`` is only a dateline: an optional place (up to three words), then
    dates, days, times and agency names, e.g. «القاهرة - 12 شوال 1442 هـ الموافق 24 مايو 2021 م
    (واس)», «غزة - وكالة الأنباء», "CAIRO, May 24 (Reuters) -", "Published: 24 May 2021".

    A sentence never is: it ends with a full stop, or has words besides the place that are not
    part of a date or an agency's name ("وكان ذلك في 24 مايو" has "في" where a separator
    belongs). A colon after the place ("الموعد: الأحد 24 مايو") makes a dateline only with an
    agency or after a publishing label: otherwise it may be a fact the story gives.
    """
    text = paragraph.replace("ـ", "").strip()  # tatweel: "هـ" is written with one
    if (
        len(text.split()) > _MAX_DATELINE_WORDS
        or _SENTENCE_END.search(text)
        or (mark := _DATELINE_MARK.search(text)) is None
        or len(text[: mark.start()].split()) > _MAX_PLACE_WORDS
    ):
        return False
    marked = _COMPONENTS.sub(_mark, text)
    marked = _JOINED.sub(r"\1 ", marked).strip()
    shape = _SHAPE.fullmatch(marked)
    if shape is None:
        return False
    place, sep, parts = shape["place"], shape["sep"] or "", shape["parts"]
    has_agency = "§A" in parts or "§P" in parts
    if "§Q" in parts and not (place and set(sep) & set("-–—")):
        return False  # «...» is a quotation unless a dash sets it after a place
    if place and not sep and not (parts.startswith("§P") or _one_word_then_date(place, parts)):
        return False  # "Reuters said ...": a place is followed by a separator
    if place and ":" in sep and not has_agency:
        return _STAMP_LABEL.fullmatch(place) is not None
    return True


def _mark(match: re.Match[str]) -> str:
    """A dateline's part as a mark: §P an agency in brackets or quotes, §A one without, §Q a
    name in guillemets, §N a
    date that starts with a number, §D another date, a day or a time."""
    kind = match.lastgroup or "D"
    if kind == "D" and match.group()[0] in _DIGIT_CHARS:
        kind = "N"
    return f" §{kind} "


def _one_word_then_date(place: str, parts: str) -> bool:
    """ "الرياض 1445/03/12 هـ": a one-word place may be followed by a date without a separator."""
    return parts.startswith("§N") and len(place.split()) == 1


# -- link-back and "read more" lines -------------------------------------------------------------

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_READ_MORE = (
    r"(?:[اإأ]قر[أا]|طالع|شاهد|تابع)\s+(?:أيض[اًا]+|ايض[اًا]+|كذلك|المزيد)"
    r"|ل(?:ل|م)?مزيد(?:\s+من\s+\S+)?"
    r"|(?:Read|See|Also read|Read also|Watch|Related|More|Recommended)(?:\s+(?:more|also|too))?"
    r"|Related (?:stories|articles|news)"
)
_SOURCE = r"(?:ال)?مصدر(?:\s+الخبر)?|المصادر|Sources?|Via|Credit|Courtesy"
_LINK_LABEL = r"(?:رابط|الرابط|Link|Original|Originally published|Full story)(?:\s+\S+){0,6}"
_DASH_OR_COLON = r"\s*[:：\-–—]\s*"
_READ_MORE_LINE = re.compile(rf"(?:{_READ_MORE})\s*(?:[:：|»\-–—.…]+\s*|$)", re.IGNORECASE)
"""A "read more" label, then another story's headline or nothing (the link was on it)."""
_SOURCE_LINE = re.compile(rf"(?:{_SOURCE}){_DASH_OR_COLON}", re.IGNORECASE)
_LINK_LINE = re.compile(rf"(?:{_LINK_LABEL}){_DASH_OR_COLON}", re.IGNORECASE)
_ANY_LABEL_BEFORE_URL = re.compile(r"[^.!?؟:：]{0,80}[:：\-–—]\s*")
_MAX_HEADLINE_WORDS = 20
_MAX_SOURCE_WORDS = 6


def is_link_line(paragraph: str) -> bool:
    """Whether ``paragraph`` only points elsewhere: a bare link, a label and a link ("رابط الخبر
    في صحيفة الرياض: https://...", "Full story: https://..."), a "read more" line with another
    story's headline ("اقرأ أيضا: ...", "Read more: ..."), or a source credit ("المصدر: وكالات",
    "Source: Reuters"). A sentence that cites a link inside what it says is not one."""
    text = paragraph.strip()
    if not text or len(text.split()) > MAX_WORDS:
        return False
    urls = list(_URL.finditer(text)) if "://" in text or "www." in text.lower() else []
    if urls:
        rest = _URL.sub(" ", text)
        if not re.sub(r"[\W_]+", "", rest):
            return True  # only links
        # a label then the link(s) at the very end: "رابط الخبر في صحيفة عكاظ: https://..."
        label = text[: urls[0].start()]
        tail = text[urls[0].start() :]
        return (
            _URL.sub(" ", tail).strip(" \t\n,،;|") == ""
            and _ANY_LABEL_BEFORE_URL.fullmatch(label) is not None
            and len(label.split()) <= 10
        )
    if (lead := _READ_MORE_LINE.match(text)) is not None:
        rest = text[lead.end() :]
        return len(rest.split()) <= _MAX_HEADLINE_WORDS and not _ends_inside(rest)
    if (lead := _SOURCE_LINE.match(text)) is not None:
        return len(text[lead.end() :].split()) <= _MAX_SOURCE_WORDS
    if (lead := _LINK_LINE.match(text)) is not None:
        return len(text[lead.end() :].split()) <= _MAX_SOURCE_WORDS
    return False


def _ends_inside(text: str) -> bool:
    """Whether a sentence ends inside ``text`` (a headline has no full stop in its middle)."""
    return re.search(r"[.!?؟](?=\s+\S)", text) is not None


# -- headline repeats ---------------------------------------------------------------------------


def repeats_headline(paragraph: str, title_terms: Collection[str]) -> bool:
    """Whether ``paragraph`` only repeats the headline, whose analysed terms are
    ``title_terms``: all its terms are the headline's (one other allowed from five terms up,
    a rewording), and it has most of them, and is no sentence (headlines end without a full
    stop). A short paragraph on part of the headline's subject is not a repeat: it says
    something of its own."""
    words = len(paragraph.split())
    if not title_terms or words > MAX_WORDS or 3 * words < 2 * len(title_terms):
        return False  # (too short to hold most of the headline's terms)
    if paragraph.rstrip().endswith("."):
        return False  # a sentence: the lede a title was made from (``derive_title``)
    terms = set(analyse(paragraph))
    if not terms:
        return False
    title = set(title_terms)
    others = len(terms - title)
    shared = len(terms & title)
    return others <= (1 if len(terms) >= 5 else 0) and 3 * shared >= 2 * len(title)


def is_boilerplate(paragraph: str, title_terms: Collection[str] = ()) -> bool:
    """Whether ``paragraph`` is a dateline, a link line or a repeat of the headline."""
    if len(paragraph) > 400 or len(paragraph.split()) > MAX_WORDS:
        return False  # most paragraphs: one cheap look
    return (
        is_dateline(paragraph)
        or is_link_line(paragraph)
        or repeats_headline(paragraph, title_terms)
    )
