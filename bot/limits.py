"""How much the bot shows at once: the message limit and the page sizes that the formatters, the
handlers and the callback data agree on.
"""

from __future__ import annotations

from telegram.constants import MessageLimit

__all__ = ["LATEST_MAX", "MAX_ID_DIGITS", "MAX_MESSAGE", "MAX_QUESTION", "MAX_RESULTS", "PAGE_SIZE"]

MAX_MESSAGE: int = MessageLimit.MAX_TEXT_LENGTH
"""Telegram's limit for a message's text, in UTF-16 code units after entity parsing."""
PAGE_SIZE = 3
"""Hits per answer page."""
MAX_RESULTS = 30
"""Hits an answer pages through at most."""
LATEST_MAX = 20
"""Articles /latest lists at most."""
LATEST_DEFAULT = 5
"""Articles /latest lists when not told how many."""
MAX_ID_DIGITS = 9
"""Digits of an id in callback data: 3 passage ids, a question id and the rest fit 64 bytes."""
MAX_QUESTION = 1000
"""Characters of a question kept (``knowledge.text.clean_text``)."""
