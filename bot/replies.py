"""Pure formatting: search results and library records -> Telegram HTML replies.

Nothing here knows about Telegram objects or the network, so the bot, the terminal chat and the
tests share it. Every dynamic string is escaped; every message stays within Telegram's limit,
counted as Telegram does (UTF-16 code units of the text after entity parsing); long content is
split between paragraphs or sentences, never inside a tag; mixed Arabic/Latin lines get Unicode
bidi marks so they render in the right direction.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.people import ChatAlerts, Follow, PeopleStats, Votes
    from knowledge import (
        ArticleInfo,
        Coverage,
        Hit,
        IngestReport,
        LibraryStats,
        SearchResult,
        StoredArticle,
    )

__all__ = [
    "LANGS",
    "MAX_MESSAGE",
    "PAGE_SIZE",
    "Button",
    "InlineItem",
    "Reply",
    "apply_bidi",
    "choose_lang",
    "clean_question",
    "count_articles",
    "example_questions",
    "feedback_label",
    "feedback_question",
    "follow_status",
    "format_alerts",
    "format_answer",
    "format_article",
    "format_coverage",
    "format_follows",
    "format_inline_article",
    "format_inline_hit",
    "format_latest",
    "format_reload_report",
    "format_stats",
    "html_to_text",
    "is_arabic",
    "parse_callback",
    "plain_pieces",
    "question_from_answer",
    "split_html_blocks",
    "t",
    "utf16_len",
    "visible_len",
]

MAX_MESSAGE = 4096
"""Telegram's limit for a message's text, in UTF-16 code units after entity parsing."""
ARTICLE_CHUNK = 3500
"""Article messages stay a little under the limit: easier to read and a safety margin."""
MAX_ARTICLE_MESSAGES = 8
PAGE_SIZE = 3
"""Hits per answer page."""
MAX_RESULTS = 30
LATEST_MAX = 20
SOURCES_SHOWN = 20
"""Origins listed by /sources; the rest are counted."""
LANGS = ("ar", "en")
SEARCH_ICON = "🔎"
_MAX_DIGITS = 9
"""Digits of an id in callback data: 3 passage ids, a question id and the rest fit 64 bytes."""

RLM, FSI, PDI = "\u200f", "\u2068", "\u2069"
# Direction controls that must never reach a query, nor leak from article text into our output.
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Other invisible or control characters Telegram would reject or that break parsing.
_JUNK = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff\ufffe\uffff]")
_ARABIC = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
_RTL_CHAR = re.compile(f"[{_ARABIC}\u0590-\u05ff]")
_LATIN = "A-Za-z\u00c0-\u024f"
# Runs of several words: a single word keeps its order anyway, and isolating "/latest" would
# stop Telegram from recognising the command.
_LTR_RUN = re.compile(f"[{_LATIN}][^{_ARABIC}\\n]*\\s[^{_ARABIC}\\n]*[{_LATIN}0-9]")
_RTL_RUN = re.compile(f"[{_ARABIC}][^{_LATIN}\\n]*\\s[^{_LATIN}\\n]*[{_ARABIC}]")


# --- plain data ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Button:
    """An inline button: ``data`` for a callback (<= 64 bytes) or ``url`` for a link."""

    label: str
    data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Reply:
    """One message: HTML text and rows of inline buttons."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()


@dataclass(frozen=True)
class InlineItem:
    """One inline-mode result: what the list shows (plain text) and the HTML message sent when
    it is chosen."""

    id: str
    title: str
    description: str
    url: str | None
    text: str


# --- strings -------------------------------------------------------------------------------

_TEXTS: dict[str, dict[str, str]] = {
    "start": {
        "en": "👋 <b>Hello{name}!</b>\nI answer questions about a library of {articles} by "
        "quoting the passages that answer them. Just send me a question.",
        "ar": "👋 <b>أهلًا{name}!</b>\nأجيب عن أسئلتك حول مكتبة تضم {articles}، وأقتبس لك "
        "المقاطع التي تجيب عنها. أرسل سؤالك فحسب.",
    },
    "start_examples": {
        "en": "For example (tap to copy):",
        "ar": "مثلًا (اضغط للنسخ):",
    },
    "help": {
        "en": "<b>How to use me</b>\n"
        "• Send a question in Arabic or English; I reply with the passages that answer it.\n"
        "• <b>More results</b> pages through further passages; <b>Show article</b> sends the "
        "whole article.\n"
        "• In groups, use /ask followed by your question, mention me, or reply to my message.\n"
        "• In any chat, type @ and my username, then a question: pick an article to share it "
        "there.\n"
        "• 👍 / 👎 under an answer tells us whether it helped.\n\n"
        "/latest - newest articles (e.g. /latest 10)\n/sources - what the library covers\n"
        "/follow - get new articles about a word or phrase (e.g. /follow Gaza)\n"
        "/following - what you follow · /unfollow - stop\n/language - choose the language\n"
        "/help - this message",
        "ar": "<b>طريقة الاستخدام</b>\n"
        "• أرسل سؤالًا بالعربية أو الإنجليزية، فأرد بالمقاطع التي تجيب عنه.\n"
        "• زر <b>نتائج أخرى</b> يعرض مقاطع إضافية، وزر <b>عرض المقال</b> يرسل المقال كاملًا.\n"
        "• في المجموعات استخدم /ask متبوعًا بسؤالك، أو اذكرني، أو ردّ على رسالتي.\n"
        "• في أي محادثة، اكتب @ واسم المستخدم الخاص بي ثم سؤالك، واختر مقالًا لمشاركته فيها.\n"
        "• زرّا 👍 / 👎 تحت الإجابة يخبراننا هل أفادتك.\n\n"
        "/latest - أحدث المقالات (مثلًا /latest 10)\n/sources - ما تغطيه المكتبة\n"
        "/follow - تلقَّ المقالات الجديدة عن كلمة أو عبارة (مثلًا /follow غزة)\n"
        "/following - ما تتابعه · /unfollow - إلغاء المتابعة\n/language - اختيار اللغة\n"
        "/help - هذه الرسالة",
    },
    "help_admin": {
        "en": "\n\n<b>Admin</b>\n/reload - re-read the sources\n/stats - library and questions",
        "ar": "\n\n<b>للمشرفين</b>\n/reload - إعادة قراءة المصادر\n/stats - المكتبة والأسئلة",
    },
    "results": {"en": "Results {first}–{last}", "ar": "النتائج {first}–{last}"},
    "more": {"en": "More results ▶", "ar": "نتائج أخرى ◀"},
    "previous": {"en": "◀ Previous", "ar": "▶ السابق"},
    "show_article": {"en": "📄 {title}", "ar": "📄 {title}"},
    "open_link": {"en": "🔗 Source", "ar": "🔗 المصدر"},
    "no_answer": {
        "en": "🤔 I couldn't find an answer to this in the library.\nTry rephrasing with other "
        "words (a name, a place, a topic), or see the newest articles with /latest.",
        "ar": "🤔 لم أجد في المكتبة ما يجيب عن هذا السؤال.\nجرّب صياغته بكلمات أخرى (اسم أو مكان "
        "أو موضوع)، أو اطّلع على أحدث المقالات عبر /latest.",
    },
    "empty": {
        "en": "✍️ Please send your question in words, for example: <i>{example}</i>",
        "ar": "✍️ أرسل سؤالك بالكلمات من فضلك، مثلًا: <i>{example}</i>",
    },
    "stopwords": {
        "en": "✍️ Your question has only very common words. Add what it is about: a name, a "
        "place or a topic.",
        "ar": "✍️ سؤالك لا يحتوي إلا على كلمات شائعة جدًا. أضف ما يدور حوله: اسمًا أو مكانًا أو "
        "موضوعًا.",
    },
    "example_question": {"en": "what happened in Gaza?", "ar": "ماذا حدث في غزة؟"},
    "latest_button": {"en": "🆕 Latest articles", "ar": "🆕 أحدث المقالات"},
    "latest_title": {"en": "🆕 <b>Newest articles</b>", "ar": "🆕 <b>أحدث المقالات</b>"},
    "latest_empty": {"en": "The library is empty for now.", "ar": "المكتبة فارغة حاليًا."},
    "newer": {"en": "◀ Newer", "ar": "▶ الأحدث"},
    "older": {"en": "Older ▶", "ar": "الأقدم ◀"},
    "no_more": {"en": "No more results.", "ar": "لا توجد نتائج أخرى."},
    "expired": {
        "en": "This result has expired (the library was updated). Please ask again.",
        "ar": "انتهت صلاحية هذه النتيجة (تم تحديث المكتبة). أعد طرح سؤالك من فضلك.",
    },
    "article_gone": {
        "en": "This article is no longer in the library.",
        "ar": "هذا المقال لم يعد موجودًا في المكتبة.",
    },
    "article_cut": {
        "en": "… (the article is too long to send here in full)",
        "ar": "… (المقال أطول من أن يُرسل هنا كاملًا)",
    },
    "article_cut_link": {
        "en": "… (the rest of the article is at its source)",
        "ar": "… (بقية المقال في مصدره)",
    },
    "not_text": {
        "en": "I can only read text. Please type your question.",
        "ar": "أستطيع قراءة النصوص فقط. اكتب سؤالك من فضلك.",
    },
    "slow_down": {
        "en": "⏳ That's a lot of messages at once. Please wait a few seconds.",
        "ar": "⏳ رسائل كثيرة في وقت قصير. انتظر بضع ثوانٍ من فضلك.",
    },
    "not_admin": {
        "en": "Sorry, this command is for the bot's administrators.",
        "ar": "عذرًا، هذا الأمر مخصص لمشرفي البوت.",
    },
    "reload_started": {
        "en": "🔄 Reloading the library… I'll report when it's done.",
        "ar": "🔄 جارٍ تحديث المكتبة… سأرسل التقرير عند الانتهاء.",
    },
    "reload_busy": {
        "en": "A reload is already running. Please wait for its report.",
        "ar": "هناك تحديث جارٍ بالفعل. انتظر تقريره من فضلك.",
    },
    "reload_failed": {
        "en": "❌ The reload failed; the library is unchanged.\nReason: {reason}",
        "ar": "❌ فشل التحديث، والمكتبة كما هي دون تغيير.\nالسبب: {reason}",
    },
    "reload_done": {
        "en": "✅ <b>Reload finished</b> in {seconds} s\nAdded: {added} · Updated: {updated} · "
        "Unchanged: {unchanged} · Removed: {removed}\nPassages written: {passages}\n"
        "Failed: {failed}",
        "ar": "✅ <b>اكتمل التحديث</b> خلال {seconds} ث\nأُضيف: {added} · حُدّث: {updated} · "
        "دون تغيير: {unchanged} · حُذف: {removed}\nالمقاطع المكتوبة: {passages}\n"
        "فشل: {failed}",
    },
    "stats": {
        "en": "📊 <b>Library</b>\nArticles: {articles} · Passages: {passages}\n"
        "Last reload: {last}\n\n<b>Questions</b>\nAsked: {questions} · Unanswered: "
        "{unanswered} ({share}%)",
        "ar": "📊 <b>المكتبة</b>\nالمقالات: {articles} · المقاطع: {passages}\n"
        "آخر تحديث: {last}\n\n<b>الأسئلة</b>\nعددها: {questions} · دون إجابة: "
        "{unanswered} ({share}%)",
    },
    "stats_top": {
        "en": "\n\n<b>Most frequent unanswered questions</b>",
        "ar": "\n\n<b>أكثر الأسئلة التي لم تجد إجابة</b>",
    },
    "never": {"en": "never", "ar": "لم يحدث بعد"},
    "sources": {
        "en": "📚 <b>What the library covers</b>\nArticles: {articles} · Sources: {sources}\n"
        "Last refreshed: {last}",
        "ar": "📚 <b>ما تغطيه المكتبة</b>\nالمقالات: {articles} · المصادر: {sources}\n"
        "آخر تحديث: {last}",
    },
    "newest": {"en": "newest {date}", "ar": "أحدثها {date}"},
    "more_sources": {"en": "… and {count} more", "ar": "… ومصادر أخرى: {count}"},
    "unnamed": {"en": "(no name)", "ar": "(دون اسم)"},
    "inline_no_answer": {
        "en": "🤔 No answer in the library · open the bot",
        "ar": "🤔 لا إجابة في المكتبة · افتح البوت",
    },
    "language_choose": {
        "en": "Choose the language of my replies:",
        "ar": "اختر لغة الردود:",
    },
    "language_set": {"en": "✅ I'll reply in English.", "ar": "✅ سأرد بالعربية."},
    "error": {
        "en": "Sorry, something went wrong. Please try again in a moment.",
        "ar": "عذرًا، حدث خطأ ما. حاول مجددًا بعد قليل.",
    },
    "follow_usage": {
        "en": "Write a word or phrase after the command, e.g. <code>/follow {example}</code>\n"
        "After each library update I'll send you up to {per} new articles that contain all its "
        "words.",
        "ar": "اكتب كلمة أو عبارة بعد الأمر، مثلًا: <code>/follow {example}</code>\n"
        "بعد كل تحديث للمكتبة أرسل لك حتى {per} من المقالات الجديدة التي تحتوي كل كلماتها.",
    },
    "follow_added": {
        "en": "🔔 Following <b>{phrase}</b>. After each library update I'll send you up to {per} "
        "new articles that contain all its words.\n/following lists what you follow.",
        "ar": "🔔 تتابع الآن <b>{phrase}</b>. بعد كل تحديث للمكتبة أرسل لك حتى {per} من المقالات "
        "الجديدة التي تحتوي كل كلماتها.\n/following يعرض ما تتابعه.",
    },
    "follow_exists": {
        "en": "You already follow <b>{phrase}</b>. /following lists what you follow.",
        "ar": "أنت تتابع <b>{phrase}</b> بالفعل. /following يعرض ما تتابعه.",
    },
    "follow_limit": {
        "en": "You follow {limit} phrases, the most allowed. Stop one with /unfollow first.",
        "ar": "تتابع {limit} عبارة، وهو الحد الأقصى. ألغِ متابعة إحداها أولًا عبر /unfollow.",
    },
    "follow_too_long": {
        "en": "That phrase is too long: at most {limit} characters, please.",
        "ar": "العبارة طويلة جدًا: {limit} حرفًا على الأكثر من فضلك.",
    },
    "follow_stopwords": {
        "en": "That phrase has only very common words. Follow a name, a place or a topic.",
        "ar": "العبارة لا تحتوي إلا على كلمات شائعة جدًا. تابع اسمًا أو مكانًا أو موضوعًا.",
    },
    "follow_example": {"en": "Gaza", "ar": "غزة"},
    "following_title": {"en": "🔔 <b>You follow</b>", "ar": "🔔 <b>ما تتابعه</b>"},
    "following_hint": {
        "en": "Tap a button to stop following a phrase, or send <code>/unfollow all</code>.",
        # Not "/unfollow all": a Latin run in an Arabic line gets bidi isolates, which would
        # break the command when it is copied.
        "ar": "اضغط زرًّا لإلغاء متابعة عبارة، أو أرسل <code>/unfollow الكل</code>.",
    },
    "following_empty": {
        "en": "You follow nothing yet. Try <code>/follow {example}</code>",
        "ar": "لا تتابع شيئًا بعد. جرّب <code>/follow {example}</code>",
    },
    "unfollow_button": {"en": "🔕 {phrase}", "ar": "🔕 {phrase}"},
    "unfollow_done": {
        "en": "🔕 You no longer follow <b>{phrase}</b>.",
        "ar": "🔕 ألغيت متابعة <b>{phrase}</b>.",
    },
    "unfollow_all_done": {
        "en": "🔕 You no longer follow anything ({count} removed).",
        "ar": "🔕 ألغيت متابعة كل شيء (حُذف {count}).",
    },
    "unfollow_not_found": {
        "en": "You don't follow <b>{phrase}</b>.",
        "ar": "أنت لا تتابع <b>{phrase}</b>.",
    },
    "alerts_title": {
        "en": "🔔 <b>New articles on what you follow</b>",
        "ar": "🔔 <b>مقالات جديدة عمّا تتابعه</b>",
    },
    "alert_phrase": {"en": "🔖 {phrase}", "ar": "🔖 {phrase}"},
    "alerts_more": {
        "en": "… and {more} more; see /latest.",
        "ar": "… و{more} غيرها؛ اطّلع على /latest.",
    },
    "feedback_thanks": {"en": "Thanks for your feedback!", "ar": "شكرًا على رأيك!"},
    "busy": {
        "en": "The library is being updated right now. Please try again in a moment.",
        "ar": "يجري تحديث المكتبة الآن. حاول مجددًا بعد قليل من فضلك.",
    },
    "stats_feedback": {
        "en": "\n\n<b>Feedback</b>\nVotes: {votes} · Helpful: {helpful} ({rate})",
        "ar": "\n\n<b>التقييمات</b>\nعددها: {votes} · مفيدة: {helpful} ({rate})",
    },
    "stats_unhelpful": {
        "en": "\n\n<b>Passages most often marked unhelpful</b>",
        "ar": "\n\n<b>أكثر المقاطع التي وُصفت بأنها غير مفيدة</b>",
    },
    "ask_usage": {
        "en": "Write your question after the command, e.g. <code>/ask {example}</code>",
        "ar": "اكتب سؤالك بعد الأمر، مثلًا: <code>/ask {example}</code>",
    },
}

COMMANDS: dict[str, dict[str, str]] = {
    "start": {"en": "Start and examples", "ar": "البداية وأمثلة"},
    "help": {"en": "How to use the bot", "ar": "طريقة الاستخدام"},
    "latest": {"en": "Newest articles", "ar": "أحدث المقالات"},
    "sources": {"en": "What the library covers", "ar": "ما تغطيه المكتبة"},
    "ask": {"en": "Ask a question (in groups)", "ar": "اطرح سؤالًا (في المجموعات)"},
    "follow": {"en": "Get new articles about a phrase", "ar": "تلقَّ المقالات الجديدة عن عبارة"},
    "following": {"en": "What you follow", "ar": "ما تتابعه"},
    "unfollow": {"en": "Stop following", "ar": "إلغاء المتابعة"},
    "language": {"en": "Choose the language", "ar": "اختيار اللغة"},
}
ADMIN_COMMANDS: dict[str, dict[str, str]] = {
    "reload": {"en": "Re-read the sources", "ar": "إعادة قراءة المصادر"},
    "stats": {"en": "Library and question statistics", "ar": "إحصاءات المكتبة والأسئلة"},
}

_MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "ar": [
        "يناير",
        "فبراير",
        "مارس",
        "أبريل",
        "مايو",
        "يونيو",
        "يوليو",
        "أغسطس",
        "سبتمبر",
        "أكتوبر",
        "نوفمبر",
        "ديسمبر",
    ],
}


def count_articles(n: int, lang: str) -> str:
    """``n`` news articles, with the noun in the form Arabic grammar wants for that number."""
    if lang != "ar":
        return "1 news article" if n == 1 else f"{n:,} news articles"
    if n == 1:
        return "مقالًا إخباريًا واحدًا"
    if n == 2:
        return "مقالين إخباريين"
    if 3 <= n % 100 <= 10:
        return f"{n:,} مقالات إخبارية"
    if 11 <= n % 100 <= 99:
        return f"{n:,} مقالًا إخباريًا"
    return f"{n:,} مقال إخباري"  # 0, 100, 101, 102, 200...


def t(lang: str, key: str, **values: object) -> str:
    """The localized HTML template ``key``, with ``values`` escaped and filled in."""
    template = _TEXTS[key].get(lang) or _TEXTS[key]["en"]
    return template.format(**{k: escape(str(v)) for k, v in values.items()})


# --- language ------------------------------------------------------------------------------


def is_arabic(text: str) -> bool:
    """Whether most letters in ``text`` are Arabic."""
    arabic = len(re.findall(f"[{_ARABIC}]", text))
    latin = len(re.findall(f"[{_LATIN}]", text))
    return arabic > 0 and arabic >= latin


def choose_lang(
    override: str | None, language_code: str | None, question: str | None = None
) -> str:
    """The reply language: the user's choice; else Arabic for an Arabic client or an Arabic
    question; else English."""
    if override in LANGS:
        return override
    primary = (language_code or "").split("-")[0].split("_")[0].lower()
    if primary == "ar" or (question and is_arabic(question)):
        return "ar"
    return "en"


# --- example questions ---------------------------------------------------------------------

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
_SPEAKER = re.compile(r"([^:\n]{3,50}?)\s*:\s*(\S.*)")
_GUILLEMETS = re.compile(r"«\s*([^«»]{2,40}?)\s*»")


def example_questions(title: str) -> list[str]:
    """What a reader might type about an article, made from its headline, best first.

    A headline that quotes someone ("Name: ...") gives "What did Name say?", a name in «» gives
    "ما «...»؟", and the headline's first clause is a short topic. The caller keeps those the
    library does answer.
    """
    title = clean_question(title, 300).strip(" .")
    arabic = is_arabic(title)
    found: list[str] = []
    topic = _topic(title)
    speaker = _SPEAKER.fullmatch(title)
    if speaker:
        who = speaker[1].strip()
        # A quoted or numbered lead ("«X»: ...", "2021: ...") names a topic, not a speaker.
        plain = not re.search("[\\d«»\"“”']", who)
        if plain and 1 <= len(who.split()) <= 4 and who.lower() not in _LABELS:
            found.append(f"ماذا قال {who}؟" if arabic else f"What did {who} say?")
            topic = ""  # what follows is their words, not a topic
        else:
            topic = _topic(speaker[2])
    if arabic:
        for name in _GUILLEMETS.findall(title):
            if 1 <= len(name.split()) <= 4:
                found.append(f"ما «{name}»؟")
    if topic:
        found.append(topic)
    return found


def _topic(headline: str, max_words: int = 6) -> str:
    """The first clause of a headline, at most ``max_words`` words, ending on a content word."""
    words: list[str] = []
    for word in re.split(r"\s+", re.split(r"[.:;!?؛؟،,|—–]", headline, maxsplit=1)[0].strip()):
        bare = word.strip("\"'«»“”()[]").lower()
        if not bare or (words and bare in _CLAUSE) or len(words) == max_words:
            break
        words.append(word)
    while words and words[-1].strip("\"'«»“”()[]").lower() in _DANGLING:
        words.pop()
    topic = " ".join(words)
    # An unbalanced quote mark left by the cut would look broken.
    if topic.count("«") != topic.count("»") or topic.count('"') % 2:
        topic = re.sub('[«»"]', "", topic)
    return topic if len(words) >= 2 else ""


# --- text helpers --------------------------------------------------------------------------


def escape(text: str) -> str:
    """Escape for Telegram HTML text (also dropping characters it would reject)."""
    return html.escape(_JUNK.sub("", text), quote=False)


def _sanitize(text: str) -> str:
    """Article text as we show it: no stray direction controls to unbalance our own marks."""
    return _BIDI_CONTROLS.sub("", _JUNK.sub("", text))


def clean_question(text: str, limit: int = 1000) -> str:
    """A user's question as we search it: no bidi controls, collapsed spaces, capped length."""
    text = unicodedata.normalize("NFC", _sanitize(text))
    text = re.sub(r"\s+", " ", text).strip()
    return text[:limit]


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


_TAG = re.compile(r"<[^>]*>")


def visible_text(html_text: str) -> str:
    """The text Telegram shows for ``html_text``: tags removed, entities decoded."""
    return html.unescape(_TAG.sub("", html_text))


def visible_len(html_text: str) -> int:
    """Length as Telegram counts it against the 4096 limit."""
    return utf16_len(visible_text(html_text))


def plain_pieces(html_text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """The visible text of ``html_text`` as plain messages of at most ``limit`` UTF-16 units,
    split between paragraphs or sentences (the fallback when Telegram refuses the HTML)."""
    text = visible_text(html_text).strip()
    if utf16_len(text) <= limit:
        return [text or "…"]
    # A code point is at most two UTF-16 units.
    return _pieces(text, limit // 2)


def _shorten(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.،؛:") + "…"


def _link(url: str | None) -> str | None:
    """A URL safe to put in ``href``, or None: Telegram rejects anything but absolute links."""
    url = (url or "").strip()
    if re.fullmatch(r"https?://[^\s<>\"]+", url):
        return html.escape(url, quote=True)
    return None


def format_date(published: str | None, lang: str) -> str:
    """``2021-05-21`` -> ``21 May 2021`` / ``21 مايو 2021``; unknown forms are shown as given."""
    if not published:
        return ""
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", published)
    if not m or not 1 <= int(m[2]) <= 12:
        return published[:25]
    return f"{int(m[3])} {_MONTHS[lang][int(m[2]) - 1]} {m[1]}"


# --- bidi ----------------------------------------------------------------------------------

_TOKEN = re.compile(r"<[^>]*>|&(?:#\d+|#x[0-9a-fA-F]+|\w+);|[^<&]|&")


def apply_bidi(html_text: str, rtl_default: bool) -> str:
    """Add bidi marks to each line of ``html_text`` without touching its tags.

    A line whose letters are mostly Arabic but that starts with Latin text or a digit gets an RLM
    in front, as do lines without letters in an Arabic message; runs of the other direction
    inside a line are wrapped in FSI ... PDI so they keep their order.
    """
    tokens = _TOKEN.findall(html_text)
    # Visible characters and the token index each comes from.
    chars: list[tuple[str, int]] = []
    for i, tok in enumerate(tokens):
        if tok.startswith("<"):
            continue
        chars.append((html.unescape(tok) if tok.startswith("&") else tok, i))
    inserts: dict[int, list[str]] = {}
    line_start = 0
    for pos in range(len(chars) + 1):
        if pos == len(chars) or chars[pos][0] == "\n":
            line = "".join(c for c, _ in chars[line_start:pos])
            for offset, mark in _line_marks(line, rtl_default):
                at = line_start + offset
                # Insert before the token of the visible character at ``at`` (after any tags
                # opening there); at a line's end, before the newline or at the very end.
                index = chars[at][1] if at < len(chars) else len(tokens)
                inserts.setdefault(index, []).append(mark)
            line_start = pos + 1
    out = []
    for i, tok in enumerate(tokens):
        out.extend(inserts.get(i, ()))
        out.append(tok)
    out.extend(inserts.get(len(tokens), ()))
    return "".join(out)


def _line_marks(line: str, rtl_default: bool) -> list[tuple[int, str]]:
    rtl = len(_RTL_CHAR.findall(line))
    ltr = len(re.findall(f"[{_LATIN}]", line))
    if not line.strip():
        return []
    line_rtl = rtl > ltr or (rtl == ltr == 0 and rtl_default)
    marks: list[tuple[int, str]] = []
    if line_rtl:
        first = re.search(f"[{_ARABIC}\u0590-\u05ff{_LATIN}0-9]", line)
        if first is None or not _RTL_CHAR.match(first[0]):
            marks.append((0, RLM))
    if rtl and ltr:
        for m in (_LTR_RUN if line_rtl else _RTL_RUN).finditer(line):
            marks += [(m.start(), FSI), (m.end(), PDI)]
    # Stable order: at one offset a PDI closes before an FSI opens.
    return sorted(marks, key=lambda x: (x[0], x[1] != PDI))


# --- splitting -----------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?؟؛…])\s+")


def _pieces(text: str, limit: int) -> list[str]:
    """Split plain ``text`` into pieces of at most ``limit`` characters: paragraphs first,
    then sentences, then words, then (for absurd words) characters."""
    if len(text) <= limit:
        return [text]
    for splitter in (re.compile(r"\n\s*\n"), re.compile(r"\n"), _SENTENCE_END, re.compile(r"\s+")):
        parts = [p for p in splitter.split(text) if p.strip()]
        if len(parts) > 1:
            sep = "\n\n" if splitter.pattern.startswith("\\n") else " "
            return _merge([q for p in parts for q in _pieces(p, limit)], limit, sep)
    return [text[i : i + limit] for i in range(0, len(text), limit)]


def _merge(parts: list[str], limit: int, sep: str) -> list[str]:
    out: list[str] = []
    for part in parts:
        if out and len(out[-1]) + len(sep) + len(part) <= limit:
            out[-1] += sep + part
        else:
            out.append(part)
    return out


def split_html_blocks(
    blocks: Iterable[str], limit: int = MAX_MESSAGE, sep: str = "\n\n"
) -> list[str]:
    """Pack complete HTML blocks into messages of at most ``limit`` visible UTF-16 units.

    Each block must already fit on its own (``_render_long`` makes sure of it), so no tag is ever
    cut in two.
    """
    messages: list[str] = []
    for block in blocks:
        if messages and visible_len(messages[-1] + sep + block) <= limit:
            messages[-1] += sep + block
        else:
            messages.append(block)
    return messages


def _render_long(text: str, limit: int, rtl: bool) -> list[str]:
    """Escape and bidi-mark plain ``text``, split so that each block fits ``limit``."""
    size = limit
    while True:
        blocks = [apply_bidi(escape(p), rtl) for p in _pieces(text, size)]
        if all(visible_len(b) <= limit for b in blocks) or size < 50:
            return blocks
        # Bidi marks and the wrapper added a little: try smaller pieces.
        size = size * 9 // 10


# --- answers -------------------------------------------------------------------------------


def _highlight(text: str, spans: Sequence[tuple[int, int]], start: int, end: int) -> str:
    """Escaped ``text[start:end]`` with the matched ``spans`` in bold."""
    out, pos = [], start
    for s, e in sorted(spans):
        s, e = max(s, pos), min(e, end)
        if s >= e:
            continue
        out.append(escape(_sanitize(text[pos:s])))
        out.append(f"<b>{escape(_sanitize(text[s:e]))}</b>")
        pos = e
    out.append(escape(_sanitize(text[pos:end])))
    return "".join(out)


def _trim_span(text: str, start: int, end: int, limit: int) -> tuple[int, int, bool]:
    """Shrink ``[start, end)`` to at most ``limit`` characters, ending at a space if possible."""
    if end - start <= limit:
        return start, end, False
    cut = start + limit
    space = text.rfind(" ", start + limit // 2, cut)
    return start, space if space > 0 else cut, True


def _article_header(
    title: str,
    url: str | None,
    published: str | None,
    source: str | None,
    lang: str,
    number: str = "",
) -> str:
    title_html = escape(_shorten(_sanitize(title) or "—", 200))
    href = _link(url)
    head = f'<a href="{href}">{title_html}</a>' if href else title_html
    meta = " · ".join(
        x
        for x in (format_date(published, lang), escape(_shorten(_sanitize(source or ""), 60)))
        if x
    )
    line = f"{number}📰 <b>{head}</b>"
    return f"{line}\n<i>{meta}</i>" if meta else line


def _render_hit(hit: Hit, number: int | None, context: bool, limit: int) -> str:
    text = hit.text
    s, e = hit.best_sentence_span
    if not 0 <= s < e <= len(text):
        s, e = 0, len(text)
    s, e, cut = _trim_span(text, s, e, limit)
    best = _highlight(text, hit.matches, s, e) + ("…" if cut else "")
    label = f"<b>{number}.</b> " if number is not None else ""
    parts = [f"<blockquote>{label}{best}</blockquote>"]
    # The rest of the passage, collapsed: the best sentence first, its context one tap away.
    # A best sentence that opens or closes the passage is not repeated at the top of the fold.
    rest_start, rest_end = 0, len(text)
    if not cut and not text[:s].strip():
        rest_start = len(text) - len(text[e:].lstrip())
    elif not cut and not text[e:].strip():
        rest_end = len(text[:s].rstrip())
    if context and text[rest_start:rest_end].strip():
        ps, pe, pcut = _trim_span(text, rest_start, rest_end, 3 * limit)
        before = "… " if ps > 0 else ""
        after = " …" if pcut or pe < len(text.rstrip()) else ""
        fold = before + _highlight(text, hit.matches, ps, pe) + after
        parts.append(f"<blockquote expandable>{fold}</blockquote>")
    return "\n".join(parts)


def _group_by_article(hits: Sequence[Hit]) -> list[list[Hit]]:
    groups: dict[int, list[Hit]] = {}
    for hit in hits:
        groups.setdefault(hit.article_id, []).append(hit)
    return list(groups.values())


def format_answer(
    result: SearchResult,
    lang: str,
    page: int = 0,
    example: str | None = None,
    question_id: int | None = None,
    votes: Votes | None = None,
) -> Reply:
    """The reply to a question: page ``page`` of the hits grouped by article, with buttons.

    ``result`` should hold at least ``(page + 1) * PAGE_SIZE + 1`` hits when there are that
    many, so that the "More results" button appears only when there is more. With the logged
    ``question_id``, 👍 / 👎 buttons (labelled with ``votes`` so far) rate the page.
    """
    if not result.answered or not result.hits:
        return format_no_answer(result, lang, example)
    first = page * PAGE_SIZE
    hits = result.hits[first : first + PAGE_SIZE]
    if not hits:
        return Reply(t(lang, "no_more"))
    rtl = lang == "ar"
    header = (
        _question_header(result.query)
        + "\n"
        + t(lang, "results", first=first + 1, last=first + len(hits))
    )
    # Full passages first; if the page is too long, drop the context, then shorten quotes.
    for context, quote_limit in ((True, 1200), (False, 1200), (False, 600), (False, 250)):
        blocks = [header]
        number = first
        for group in _group_by_article(hits):
            h = group[0]
            blocks.append(_article_header(h.title, h.url, h.published, h.source, lang))
            for hit in group:
                number += 1
                blocks.append(_render_hit(hit, number, context, quote_limit))
        text = apply_bidi("\n\n".join(blocks), rtl)
        if visible_len(text) <= MAX_MESSAGE:
            break
    buttons = _answer_buttons(result, hits, lang, page)
    if question_id is not None:
        buttons += _feedback_row(question_id, [h.passage_id for h in hits], votes)
    return Reply(text, buttons)


def _answer_buttons(
    result: SearchResult, hits: Sequence[Hit], lang: str, page: int
) -> tuple[tuple[Button, ...], ...]:
    rows: list[tuple[Button, ...]] = []
    for group in _group_by_article(hits):
        title = _shorten(_sanitize(group[0].title), 40)
        rows.append(
            (Button(t_plain(lang, "show_article", title=title), f"a|{group[0].article_id}"),)
        )
    nav = []
    if page > 0:
        nav.append(Button(t_plain(lang, "previous"), f"m|{page - 1}"))
    if len(result.hits) > (page + 1) * PAGE_SIZE and (page + 1) * PAGE_SIZE < MAX_RESULTS:
        nav.append(Button(t_plain(lang, "more"), f"m|{page + 1}"))
    if nav:
        rows.append(tuple(nav))
    return tuple(rows)


def _feedback_row(
    question_id: int, passage_ids: list[int], votes: Votes | None
) -> tuple[tuple[Button, ...], ...]:
    """👍 and 👎 for a page: ``f|question|vote|passage ids``, numbers only (so they work after a
    restart), within 64 bytes."""
    if any(n >= 10**_MAX_DIGITS for n in (question_id, *passage_ids)):
        return ()  # ids this long would not fit: no buttons rather than broken ones
    ids = "|".join(map(str, passage_ids))
    return (
        tuple(
            Button(
                feedback_label(helpful, votes),
                f"f|{question_id}|{int(helpful)}|{ids}",
            )
            for helpful in (True, False)
        ),
    )


def feedback_label(helpful: bool, votes: Votes | None) -> str:
    """👍 or 👎, with its count once someone voted."""
    count = (votes.helpful if helpful else votes.unhelpful) if votes else 0
    icon = "👍" if helpful else "👎"
    return f"{icon} {count}" if count else icon


def feedback_question(datas: Iterable[str | None]) -> int | None:
    """The question id that the 👍 / 👎 buttons among the callback ``datas`` rate."""
    for data in datas:
        kind, args = parse_callback(data)
        if kind == "f":
            return int(args[0])
    return None


def t_plain(lang: str, key: str, **values: object) -> str:
    """A localized string for a button label (plain text, no HTML)."""
    template = _TEXTS[key].get(lang) or _TEXTS[key]["en"]
    return template.format(**{k: str(v) for k, v in values.items()})


def _question_header(question: str) -> str:
    return f"{SEARCH_ICON} <b>{escape(_shorten(_sanitize(question), 200))}</b>"


def question_from_answer(text: str | None) -> str | None:
    """The question an answer message was for, read back from its (plain) header line.

    A fallback for when Telegram does not give us the replied-to question: None if the header
    was shortened or absent.
    """
    if not text or not text.lstrip(RLM).startswith(SEARCH_ICON):
        return None
    line = _sanitize(text.lstrip(RLM).split("\n", 1)[0][len(SEARCH_ICON) :]).strip()
    return None if not line or line.endswith("…") else line


def format_no_answer(result: SearchResult, lang: str, example: str | None = None) -> Reply:
    """Kind words instead of a random passage, with a way on. ``example``: a question the
    library answers, shown to someone who sent no words."""
    if result.reason == "empty":
        text = t(lang, "empty", example=example or t_plain(lang, "example_question"))
    elif result.reason == "stopwords":
        text = t(lang, "stopwords")
    else:
        text = _question_header(result.query) + "\n\n" + t(lang, "no_answer")
    latest = (Button(t_plain(lang, "latest_button"), "l|0|5"),)
    return Reply(apply_bidi(text, lang == "ar"), (latest,))


# --- inline mode ---------------------------------------------------------------------------

INLINE_SNIPPET = 150
"""Characters of the snippet under each inline result's title."""


def format_inline_hit(hit: Hit, query: str, lang: str) -> InlineItem:
    """An article found for an inline question: its best sentence as the snippet; chosen, the
    question, the article's title and link, and the passage quoted (best sentence first)."""
    header = (
        _question_header(query)
        + "\n\n"
        + _article_header(hit.title, hit.url, hit.published, hit.source, lang)
    )
    for context, quote_limit in ((True, 1200), (False, 1200), (False, 600), (False, 250)):
        text = apply_bidi(
            header + "\n\n" + _render_hit(hit, None, context, quote_limit), lang == "ar"
        )
        if visible_len(text) <= MAX_MESSAGE:
            break
    return InlineItem(
        id=str(hit.article_id),
        title=_shorten(_sanitize(hit.title) or "—", 100),
        description=_shorten(_sanitize(hit.best_sentence), INLINE_SNIPPET),
        url=hit.url if _link(hit.url) else None,
        text=text,
    )


def format_inline_article(article: StoredArticle, lang: str) -> InlineItem:
    """A newest article for an empty inline query: its date, source and opening as the snippet;
    chosen, its title and link and its opening paragraph quoted."""
    opening = _sanitize(next((p for p in article.text.split("\n\n") if p.strip()), ""))
    start, end, cut = _trim_span(opening, 0, len(opening), 1200)
    quote = escape(opening[start:end]) + ("…" if cut else "")
    header = _article_header(article.title, article.url, article.published, article.source, lang)
    text = header + (f"\n\n<blockquote>{quote}</blockquote>" if quote.strip() else "")
    meta = " · ".join(x for x in (format_date(article.published, lang), article.source) if x)
    return InlineItem(
        id=str(article.id),
        title=_shorten(_sanitize(article.title) or "—", 100),
        description=_shorten(_sanitize(f"{meta}: {opening}" if meta else opening), INLINE_SNIPPET),
        url=article.url if _link(article.url) else None,
        text=apply_bidi(text, lang == "ar"),
    )


# --- latest and articles --------------------------------------------------------------------


def format_latest(
    items: Sequence[ArticleInfo], lang: str, offset: int, n: int, has_more: bool
) -> Reply:
    """A page of the newest articles with buttons to open each and to page."""
    if not items:
        return Reply(t(lang, "latest_empty"))
    blocks = [t(lang, "latest_title")]
    for i, info in enumerate(items, offset + 1):
        blocks.append(
            _article_header(
                info.title, info.url, info.published, info.source, lang, f"<b>{i}.</b> "
            )
        )
    text = apply_bidi("\n\n".join(blocks), lang == "ar")
    if visible_len(text) > MAX_MESSAGE:  # only with absurd titles: keep what fits
        text = split_html_blocks([apply_bidi(b, lang == "ar") for b in blocks])[0]
    open_buttons = [Button(f"📄 {i}", f"a|{info.id}") for i, info in enumerate(items, offset + 1)]
    rows = [tuple(open_buttons[i : i + 5]) for i in range(0, len(open_buttons), 5)]
    nav = []
    if offset > 0:
        nav.append(Button(t_plain(lang, "newer"), f"l|{max(0, offset - n)}|{n}"))
    if has_more:
        nav.append(Button(t_plain(lang, "older"), f"l|{offset + n}|{n}"))
    if nav:
        rows.append(tuple(nav))
    return Reply(text, tuple(rows))


def format_article(article: StoredArticle, lang: str) -> list[Reply]:
    """The whole article, split into messages between paragraphs or sentences."""
    rtl = is_arabic(article.text[:2000]) if article.text else lang == "ar"
    header = apply_bidi(
        _article_header(article.title, article.url, article.published, article.source, lang), rtl
    )
    blocks = [header]
    # Leave room for the header so that the first message also carries text.
    room = ARTICLE_CHUNK - visible_len(header) - 2
    for paragraph in re.split(r"\n\s*\n", _sanitize(article.text)):
        if paragraph.strip():
            blocks += _render_long(paragraph.strip(), room, rtl)
    messages = split_html_blocks(blocks, ARTICLE_CHUNK)
    if len(messages) > MAX_ARTICLE_MESSAGES:
        messages = messages[:MAX_ARTICLE_MESSAGES]
        cut = "article_cut_link" if _link(article.url) else "article_cut"
        messages[-1] += "\n\n" + apply_bidi(t(lang, cut), lang == "ar")
    buttons: tuple[tuple[Button, ...], ...] = ()
    if _link(article.url):
        buttons = ((Button(t_plain(lang, "open_link"), url=article.url),),)
    return [Reply(m, buttons if i == len(messages) - 1 else ()) for i, m in enumerate(messages)]


# --- follows and alerts --------------------------------------------------------------------


def follow_status(status: str, phrase: str, lang: str, example: str, per: int, limit: int) -> str:
    """The reply to ``/follow phrase`` for the library's ``status``."""
    phrase = _shorten(_sanitize(phrase), 100)
    if status in ("added", "exists"):
        return t(lang, f"follow_{status}", phrase=phrase, per=per)
    if status in ("limit", "too_long"):
        return t(lang, f"follow_{status}", limit=limit)
    if status == "stopwords":
        return t(lang, "follow_stopwords")
    return t(lang, "follow_usage", example=example, per=per)


def format_follows(follows: Sequence[Follow], lang: str, example: str, lead: str = "") -> Reply:
    """What a chat follows, with a button to stop each; ``lead`` (HTML) goes first."""
    if not follows:
        text = t(lang, "following_empty", example=example)
        return Reply(apply_bidi("\n\n".join(x for x in (lead, text) if x), lang == "ar"))
    lines = [t(lang, "following_title")]
    lines += [f"• {escape(_shorten(_sanitize(f.phrase), 100))}" for f in follows]
    text = "\n".join(lines) + "\n\n" + t(lang, "following_hint")
    text = apply_bidi("\n\n".join(x for x in (lead, text) if x), lang == "ar")
    buttons = tuple(
        (Button(t_plain(lang, "unfollow_button", phrase=_shorten(f.phrase, 40)), f"u|{f.id}"),)
        for f in follows
    )
    return Reply(text, buttons)


def format_alerts(plan: ChatAlerts, lang: str) -> Reply:
    """One message with the new articles a chat follows: each with its phrase and the best
    sentence of its best passage, and a button to open it."""
    rtl = lang == "ar"
    for quote_limit in (600, 250):
        blocks = [t(lang, "alerts_title")]
        for number, alert in enumerate(plan.alerts, 1):
            h = alert.hit
            header = _article_header(h.title, h.url, h.published, h.source, lang)
            phrase = t(lang, "alert_phrase", phrase=_shorten(_sanitize(alert.phrase), 60))
            blocks.append(f"{header}\n{phrase}\n{_render_hit(h, number, False, quote_limit)}")
        if plan.more:
            blocks.append(t(lang, "alerts_more", more=plan.more))
        text = apply_bidi("\n\n".join(blocks), rtl)
        if visible_len(text) <= MAX_MESSAGE:
            break
    buttons = tuple(
        (
            Button(
                t_plain(lang, "show_article", title=_shorten(_sanitize(a.hit.title), 40)),
                f"a|{a.hit.article_id}",
            ),
        )
        for a in plan.alerts
    )
    return Reply(text, buttons)


# --- admin ---------------------------------------------------------------------------------


def format_reload_report(report: IngestReport, lang: str) -> list[Reply]:
    failed_lines = [
        f"• <code>{escape(_shorten(f.path, 150))}</code>: {escape(_shorten(f.reason, 300))}"
        for f in report.failed
    ]
    text = t(
        lang,
        "reload_done",
        seconds=f"{report.seconds:.1f}",
        added=report.added,
        updated=report.updated,
        unchanged=report.unchanged,
        removed=report.removed,
        passages=report.passages,
        failed=len(report.failed),
    )
    blocks = [apply_bidi(text, lang == "ar")] + [apply_bidi(x, lang == "ar") for x in failed_lines]
    return [Reply(m) for m in split_html_blocks(blocks, MAX_MESSAGE, "\n")]


def format_stats(stats: LibraryStats, usage: PeopleStats, lang: str) -> Reply:
    share = round(100 * usage.unanswered / usage.questions) if usage.questions else 0
    text = t(
        lang,
        "stats",
        articles=stats.articles,
        passages=stats.passages,
        last=_stamp(stats.last_ingest) or t_plain(lang, "never"),
        questions=usage.questions,
        unanswered=usage.unanswered,
        share=share,
    )
    if usage.top_unanswered:
        text += t(lang, "stats_top")
        for q in usage.top_unanswered[:10]:
            text += f"\n• {escape(_shorten(_sanitize(q.question), 120))} (×{q.count})"
    text += _format_feedback(usage, lang)
    text = apply_bidi(text, lang == "ar")
    return Reply(split_html_blocks(text.split("\n"), MAX_MESSAGE, "\n")[0])


def format_coverage(coverage: Coverage, lang: str) -> Reply:
    """/sources: per origin, its article count and newest article; the first
    ``SOURCES_SHOWN`` origins (most articles first), the others counted."""
    if not coverage.origins:
        return Reply(t(lang, "latest_empty"))
    text = t(
        lang,
        "sources",
        articles=coverage.articles,
        sources=len(coverage.origins),
        last=_stamp(coverage.last_refresh) or t_plain(lang, "never"),
    )
    lines = [text, ""]
    for origin in coverage.origins[:SOURCES_SHOWN]:
        name = escape(_shorten(_sanitize(origin.name), 80)) or t(lang, "unnamed")
        line = f"• <b>{name}</b>: {escape(count_articles(origin.articles, lang))}"
        if origin.newest:
            line += " · " + t(lang, "newest", date=format_date(origin.newest, lang))
            if origin.newest_title:
                # on a line of its own, which takes its own direction: an English title must
                # not turn an Arabic line round
                line += f"\n   «{escape(_shorten(_sanitize(origin.newest_title), 70))}»"
        lines.append(line)
    hidden = len(coverage.origins) - SOURCES_SHOWN
    if hidden > 0:
        lines.append(t(lang, "more_sources", count=hidden))
    text = apply_bidi("\n".join(lines), lang == "ar")
    return Reply(split_html_blocks(text.split("\n"), MAX_MESSAGE, "\n")[0])


def _format_feedback(stats: PeopleStats, lang: str) -> str:
    """The helpful rate and the passages most often marked unhelpful (title: first words)."""
    rate = stats.helpful_rate
    text = t(
        lang,
        "stats_feedback",
        votes=stats.votes,
        helpful=stats.helpful,
        rate="—" if rate is None else f"{round(100 * rate)}%",
    )
    if stats.top_unhelpful:
        text += t(lang, "stats_unhelpful")
        for p in stats.top_unhelpful[:10]:
            title = escape(_shorten(_sanitize(p.title), 60))
            start = escape(_shorten(_sanitize(p.start), 80))
            text += f"\n• <b>{title}</b>: {start} (×{p.unhelpful})"
    return text


def _stamp(iso: str | None) -> str:
    """``2021-05-21T10:00:00+00:00`` -> ``2021-05-21 10:00 UTC`` (the library stores UTC)."""
    m = re.match(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})", iso or "")
    return f"{m[1]} {m[2]} UTC" if m else (iso or "")[:25]


# --- callback data -------------------------------------------------------------------------


def parse_callback(data: str | None) -> tuple[str, tuple[int | str, ...]]:
    """``"a|12"`` -> ``("a", (12,))``; anything malformed -> ``("", ())``.

    Kinds: ``m|page`` answer page, ``a|article_id`` show article, ``l|offset|n`` latest page,
    ``g|lang`` language choice, ``f|question_id|1 or 0|passage_id...`` a vote on an answer page,
    ``u|follow_id`` stop following. Only ids and numbers: they stay valid across restarts.
    """
    parts = (data or "").split("|")
    kind, args = parts[0], parts[1:]
    if kind == "g" and len(args) == 1 and args[0] in LANGS:
        return kind, (args[0],)
    sizes = {"m": (1,), "a": (1,), "l": (2,), "u": (1,), "f": range(3, 3 + PAGE_SIZE)}
    if (
        kind in sizes
        and len(args) in sizes[kind]
        and all(re.fullmatch(rf"\d{{1,{_MAX_DIGITS}}}", a) for a in args)
        and (kind != "f" or args[1] in ("0", "1"))
    ):
        return kind, tuple(int(a) for a in args)
    return "", ()


# --- terminal rendering --------------------------------------------------------------------


def html_to_text(html_text: str) -> str:
    """Telegram HTML as readable terminal text: quotes indented, links spelled out."""
    text = re.sub(r'<a href="([^"]*)">(.*?)</a>', lambda m: f"{m[2]} ({m[1]})", html_text)
    text = re.sub(r"<blockquote[^>]*>(.*?)</blockquote>", _quote_lines, text, flags=re.DOTALL)
    text = re.sub(r"</?b>", "*", text)
    text = _BIDI_CONTROLS.sub("", visible_text(text))
    return text


def _quote_lines(m: re.Match[str]) -> str:
    return "\n".join("  │ " + line for line in m[1].split("\n"))
