"""Example questions made from headlines: what a reader might type about an article (a speaker's
words, a name in «», the headline's first clause), and (``questions``) the same as real
questions to offer on buttons. The caller keeps those the library answers.
"""

from __future__ import annotations

import re

from bot.i18n import is_arabic, t_plain
from knowledge.text import clean_text

__all__ = ["example_questions", "questions"]

# Headline labels that look like a speaker ("عاجل: ...") but are not one.
_LABELS = {
    "عاجل", "فيديو", "بالفيديو", "بالصور", "صور", "تقرير", "خاص", "حصري", "مباشر", "رأي",
    "تحليل", "إنفوغراف", "breaking", "video", "watch", "live", "update", "exclusive", "opinion",
    "analysis", "photos", "explainer", "report",
}  # fmt: skip
# Words that open a new clause in a headline: a topic stops before them.
_CLAUSE = {
    "بعد", "قبل", "خلال", "رغم", "منذ", "عقب", "إثر", "اثر", "وسط", "حتى", "لأن", "بينما",
    "after", "before", "amid", "despite", "following", "while", "since", "as", "because",
    "during", "says", "said",
}  # fmt: skip
# Words a topic should not end on.
_DANGLING = {
    "في", "من", "على", "إلى", "الى", "عن", "مع", "بين", "أن", "إن", "ان", "التي", "الذي", "و",
    "أو", "ثم", "a", "an", "the", "of", "in", "on", "at", "to", "for", "with", "and", "or",
    "from", "by", "its", "his", "her", "their",
}  # fmt: skip
# A section or agency label before the headline ("اقتصادي / ...", "World | ..."): not its topic.
# Only at the start: "Talks resume in Geneva as US / China ..." has no label.
_SECTION = re.compile(r"\A\s*(?:\S+\s+){0,2}?\S+\s+[/|]\s+(?=\S)")
# Where a headline's first clause ends (not at "3,000" or "2.5").
_CLAUSE_END = re.compile(r"(?<!\d)[.,]|[.,](?!\d)|[:;!?؛؟،|—–]")
_SPEAKER = re.compile(r"([^:\n]{3,50}?)\s*:\s*(\S.*)")
_GUILLEMETS = re.compile(r"«\s*([^«»]{2,40}?)\s*»")


def example_questions(title: str, whole: bool = False) -> list[str]:
    """What a reader might type about an article, made from its headline, best first.

    A headline that quotes someone ("Name: ...") gives "What did Name say?", a name in «» gives
    "ما «...»؟", and the headline's first clause is a short topic; with ``whole``, only a first
    clause of at most 10 words, never cut. The caller keeps those the library does answer.
    """
    title = clean_text(title, 300, typed=True).strip(" .")
    title = _SECTION.sub("", title, count=1)
    arabic = is_arabic(title)
    found: list[str] = []
    topic = _topic(title, whole)
    speaker = _SPEAKER.fullmatch(title)
    if speaker:
        who = speaker[1].strip()
        # A quoted or numbered lead ("«X»: ...", "2021: ...") names a topic, not a speaker.
        plain = not re.search("[\\d«»\"“”']", who)
        if plain and 1 <= len(who.split()) <= 4 and who.lower() not in _LABELS:
            found.append(f"ماذا قال {who}؟" if arabic else f"What did {who} say?")
            topic = ""  # what follows is their words, not a topic
        else:
            topic = _topic(speaker[2], whole)
    if arabic:
        for name in _GUILLEMETS.findall(title):
            if 1 <= len(name.split()) <= 4:
                found.append(f"ما «{name}»؟")
    if topic:
        found.append(topic)
    return found


MAX_BUTTON_QUESTION = 48
"""Characters of an example question on a button, at most: a phone shows about this many on
a button across the screen and cuts longer ones."""


def questions(title: str, max_chars: int | None = MAX_BUTTON_QUESTION) -> list[str]:
    """``example_questions`` as questions a reader would ask, in the headline's language: a
    topic becomes "What about ...?" (a button that asks a bare topic would read oddly) and is
    the headline's whole first clause: a question made of a cut headline reads broken, so one
    longer than ``max_chars`` is dropped rather than cut (None: none is)."""
    lang = "ar" if is_arabic(title) else "en"
    found = [
        q if q.endswith(("?", "؟")) else t_plain(lang, "example_topic", topic=q)
        for q in example_questions(title, whole=True)
    ]
    return [q for q in found if max_chars is None or len(q) <= max_chars]


def _topic(headline: str, whole: bool = False) -> str:
    """The first clause of a headline, at most 6 words (``whole``: the whole clause if it has at
    most 10, else nothing), ending on a content word."""
    max_words = 10 if whole else 6
    words: list[str] = []
    for word in re.split(r"\s+", _CLAUSE_END.split(headline, maxsplit=1)[0].strip()):
        bare = word.strip("\"'«»“”()[]").lower()
        if not bare or (words and bare in _CLAUSE):
            break
        if len(words) == max_words:
            if whole:
                return ""
            break
        words.append(word)
    while words and words[-1].strip("\"'«»“”()[]").lower() in _DANGLING:
        words.pop()
    topic = " ".join(words)
    # An unbalanced quote mark left by the cut would look broken.
    if topic.count("«") != topic.count("»") or topic.count('"') % 2:
        topic = re.sub('[«»"]', "", topic)
    return topic if len(words) >= 2 else ""
