"""The replies of /settings, /privacy and /forget, without Telegram: a person's language and
link-preview choice with buttons to change them, what the bot keeps, and the deletion."""

from __future__ import annotations

from babel.lists import format_list

from bot import bidi, callbacks
from bot.i18n import LANGS, plural, t, t_plain
from bot.messages import Button, Reply
from bot.people import SENT_KEPT_DAYS, Forgotten

__all__ = ["forget_confirm", "forget_done", "privacy", "settings_reply"]


def settings_reply(lang: str, previews: bool, user_id: int, note: str = "") -> Reply:
    """/settings: the reply language and whether answers show a link preview, with a button
    per language and one that turns previews the other way, for ``user_id`` alone (the buttons
    say whose they are); ``note`` leads (e.g. "Saved.")."""
    state = t_plain(lang, "settings_on" if previews else "settings_off")
    body = t(
        lang, "settings_body", language=t_plain(lang, "settings_language_name"), previews=state
    )
    text = "\n".join(x for x in (note, t(lang, "settings_title"), body) if x)
    languages = tuple(
        Button(("✓ " if code == lang else "") + t_plain(code, "settings_language_name"),
               callbacks.setting(user_id, language=code))
        for code in LANGS
    )  # fmt: skip
    toggle = Button(
        t_plain(lang, "settings_previews_off" if previews else "settings_previews_on"),
        callbacks.setting(user_id, previews=not previews),
    )
    return Reply(bidi.apply_bidi(text, lang == "ar"), (languages, (toggle,)))


def privacy(lang: str) -> Reply:
    """/privacy: what the bot keeps about a person, for how long, and how to delete it."""
    days = plural(lang, "days", SENT_KEPT_DAYS)
    return Reply(bidi.apply_bidi(t(lang, "privacy", days=days), lang == "ar"))


def forget_confirm(lang: str, user_id: int) -> Reply:
    """/forget: what will go, with a button to confirm and one to cancel, for ``user_id``
    alone (the buttons say whose they are)."""
    buttons = (
        (
            Button(t_plain(lang, "forget_yes"), callbacks.forget(user_id, True)),
            Button(t_plain(lang, "forget_no"), callbacks.forget(user_id, False)),
        ),
    )
    return Reply(bidi.apply_bidi(t(lang, "forget_confirm"), lang == "ar"), buttons)


def forget_done(forgotten: Forgotten | None, lang: str) -> Reply:
    """What /forget removed (None: cancelled): each kind counted in the plural form its number
    wants, the kinds with none left out."""
    if forgotten is None:
        return Reply(t(lang, "forget_cancelled"))
    counts = {
        "forget_questions": forgotten.questions,
        "forget_votes": forgotten.votes,
        "forget_follows": forgotten.follows,
        "forget_settings": forgotten.settings,
    }
    kinds = [plural(lang, key, n) for key, n in counts.items() if n]
    if not kinds:
        return Reply(t(lang, "forget_nothing"))
    items = format_list(kinds, locale=lang)  # "a, b, and c" / "a وb وc"
    return Reply(bidi.apply_bidi(t(lang, "forget_done", items=items), lang == "ar"))
