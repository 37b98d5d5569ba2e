"""Which alerts are due to whom: the library's new matches for the followed phrases, turned
into each chat's best few, none that was sent to it before."""

from __future__ import annotations

import sqlite_utils

from knowledge import Library, Match

from . import feedback, follows
from .records import Alert, ChatAlerts, DueAlerts, Follow

_Found = dict[int, tuple[float, Match, Follow]]
"""A chat's matching new articles: article id -> (score, best passage, the follow it matched)."""


def due_alerts(db: sqlite_utils.Database, library: Library, per_chat: int) -> DueAlerts:
    """What to send to whom for the articles added since the alerts mark (see
    ``People.due_alerts``)."""
    mark = follows.alerts_mark(db) or 0
    followed = follows.follows(db)
    found = library.new_matches([f.phrase for f in followed], mark)
    if found.through is None:
        return DueAlerts()
    if not followed:
        return DueAlerts(through=found.through)
    best: dict[int, _Found] = {}
    for follow in followed:  # many chats follow one phrase: matched once, by the library
        chat = best.setdefault(follow.chat_id, {})
        for match in found.matches.get(follow.phrase, []):
            if match.article_id not in chat or match.score > chat[match.article_id][0]:
                chat[match.article_id] = (match.score, match, follow)
    langs = {f.chat_id: f.lang for f in followed}  # the newest follow's language
    plans, gone = [], set()
    for chat_id, chat_found in best.items():
        lang = _alerts_language(db, chat_id, langs[chat_id])
        plan, missing = _chat_alerts(db, library, chat_id, lang, chat_found, per_chat)
        plans.append(plan)
        gone.update(missing)
    # An article whose passages an edit purged meanwhile is not done: the next round, with
    # the index of the edit, makes its alerts.
    through = min(gone) - 1 if gone else found.through
    return DueAlerts([plan for plan in plans if plan.alerts], through=through)


def _chat_alerts(
    db: sqlite_utils.Database,
    library: Library,
    chat_id: int,
    lang: str | None,
    found: _Found,
    per_chat: int,
) -> tuple[ChatAlerts, list[int]]:
    """One chat's alerts, and the articles whose chosen passage is gone (purged)."""
    sent = follows.sent_articles(db, chat_id, list(found))
    ranked = sorted(
        (
            (score, -article_id, match, follow)
            for article_id, (score, match, follow) in found.items()
            if article_id not in sent
        ),
        key=lambda item: (item[0], item[1]),
        reverse=True,
    )
    alerts, gone = [], []
    for _, negated, match, follow in ranked[:per_chat]:
        hit = library.match_hits(follow.phrase, [match]).get(match.passage_id)
        if hit is None:
            gone.append(-negated)
            continue
        alerts.append(Alert(chat_id, follow.id, follow.phrase, hit))
    left_out = tuple(-negated for _, negated, _, _ in ranked[per_chat:])
    return ChatAlerts(chat_id, lang, alerts, left_out), gone


def _alerts_language(
    db: sqlite_utils.Database, chat_id: int, follow_lang: str | None
) -> str | None:
    """The language of a chat's alerts: in a private chat (whose id is its user's) the one the
    user chose with /language, if any, since it may have changed after the follow."""
    chosen = feedback.language(db, chat_id) if chat_id > 0 else None
    return chosen or follow_lang
