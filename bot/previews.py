"""The link preview an answer gets: the top article's page, unless the user (/settings) or the
bot (``ARTICLEBOT_LINK_PREVIEWS``) turned previews off."""

from __future__ import annotations

from telegram import LinkPreviewOptions

from bot.context import BotContext
from bot.messages import Reply

__all__ = ["link_preview_options", "previews_on"]


def previews_on(context: BotContext, user_id: int | None) -> bool:
    """Whether ``user_id`` gets link previews: their /settings choice, else the bot's
    (``ARTICLEBOT_LINK_PREVIEWS``)."""
    chosen = context.people.previews(user_id) if user_id is not None else None
    return context.settings.link_previews if chosen is None else chosen


def link_preview_options(
    context: BotContext, user_id: int | None, reply: Reply
) -> LinkPreviewOptions | None:
    """The preview under an answer: its top article's page, small and below the text (the
    answer comes first); None (the bot's default: no preview) without a URL or when off."""
    if reply.preview_url is None or not previews_on(context, user_id):
        return None
    # is_disabled explicitly: PTB fills the fields left out from the bot's defaults (disabled).
    return LinkPreviewOptions(is_disabled=False, url=reply.preview_url, prefer_small_media=True)
