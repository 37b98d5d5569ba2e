"""The records of people's state: follows, alerts, votes and the question log."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from knowledge import Hit


@dataclass(frozen=True)
class QuestionCount:
    question: str
    count: int


@dataclass(frozen=True)
class Follow:
    """A phrase a chat follows: new articles that match it are sent there."""

    id: int
    chat_id: int
    phrase: str
    lang: str | None
    """The interface language of whoever followed it, for the alerts."""
    created_at: str


@dataclass(frozen=True)
class Alert:
    """A new article that matches a chat's follow, with its best matching passage."""

    chat_id: int
    follow_id: int
    phrase: str
    hit: Hit


@dataclass(frozen=True)
class ChatAlerts:
    """What to send one chat after an ingest: the best few matches, and how many more."""

    chat_id: int
    lang: str | None
    alerts: list[Alert]
    """Best first, one per article, at most the cap."""
    left_out: tuple[int, ...] = ()
    """Ids of the matching articles left out by the cap: claimed with the alerts, so that they
    are never sent later either."""

    @property
    def more(self) -> int:
        """How many matching articles the cap left out."""
        return len(self.left_out)


@dataclass(frozen=True)
class DueAlerts:
    """The alerts due for the articles added since the last ones were handled."""

    chats: list[ChatAlerts] = field(default_factory=list)
    through: int | None = None
    """The highest article id they cover, to pass to ``People.alerts_done`` once they are
    handled; None when no new article is ready."""


@dataclass(frozen=True)
class Votes:
    """The votes on one answer."""

    helpful: int = 0
    unhelpful: int = 0


@dataclass(frozen=True)
class PassageVotes:
    """A passage that answers were voted down for."""

    passage_id: int
    article_id: int
    title: str
    start: str
    """The passage's first words."""
    unhelpful: int

    def as_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class PeopleStats:
    """Figures about how the library is used: questions asked, and votes on the answers."""

    questions: int = 0
    unanswered: int = 0
    top_unanswered: list[QuestionCount] = field(default_factory=list)
    votes: int = 0
    """Answers voted on (one vote per user per answer)."""
    helpful: int = 0
    top_unhelpful: list[PassageVotes] = field(default_factory=list)

    @property
    def helpful_rate(self) -> float | None:
        """Share of the votes that found the answer helpful; None before any vote."""
        return self.helpful / self.votes if self.votes else None

    def as_json(self) -> dict:
        return {
            "questions": self.questions,
            "unanswered": self.unanswered,
            "top_unanswered": [
                {"question": q.question, "count": q.count} for q in self.top_unanswered
            ],
            "votes": self.votes,
            "helpful": self.helpful,
            "helpful_rate": self.helpful_rate,
            "top_unhelpful": [p.as_json() for p in self.top_unhelpful],
        }
