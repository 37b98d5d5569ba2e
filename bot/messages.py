"""What the formatters return and the bot sends: a message (HTML and rows of buttons), a button,
an inline-mode result. Plain records, no Telegram objects.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Button", "InlineItem", "Reply"]


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
    preview_url: str | None = None
    """The page a link preview may show under it (an answer's top article), if any."""


@dataclass(frozen=True)
class InlineItem:
    """One inline-mode result: what the list shows (plain text) and the HTML message sent when
    it is chosen."""

    id: str
    title: str
    description: str
    url: str | None
    text: str
