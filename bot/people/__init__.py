"""People's state, the bot's data: follows and alerts, the question log, votes and languages.

``People(path)`` keeps it in tables of its own in the library's SQLite file (migrated with
sqlite-utils, like the library's); the article library knows nothing of chats. On a library
this process may only read, it is read as it is and every write raises ``PeopleReadOnly``.
"""

from .facade import (
    ALERTS_PER_CHAT,
    MAX_FOLLOWS,
    MAX_PHRASE_CHARS,
    SENT_KEPT_DAYS,
    People,
    PeopleDiskFull,
    PeopleReadOnly,
    clean_phrase,
)
from .privacy import Forgotten
from .records import (
    Alert,
    ChatAlerts,
    DueAlerts,
    Follow,
    PassageVotes,
    PeopleStats,
    QuestionCount,
    Votes,
)

__all__ = [
    "ALERTS_PER_CHAT",
    "MAX_FOLLOWS",
    "MAX_PHRASE_CHARS",
    "SENT_KEPT_DAYS",
    "Alert",
    "ChatAlerts",
    "DueAlerts",
    "Follow",
    "Forgotten",
    "PassageVotes",
    "People",
    "PeopleDiskFull",
    "PeopleReadOnly",
    "PeopleStats",
    "QuestionCount",
    "Votes",
    "clean_phrase",
]
