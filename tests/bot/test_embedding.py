"""The bot's background embedding (``bot.embedding``): the real model fills the vectors apart
while questions are answered, after the start and after channel posts; off by setting."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from knowledge import Library
from tests.bot.helpers import ADMIN, eventually
from tests.telegram_helpers import user

POST = (
    "افتتاح محطة لتحلية مياه البحر\n\n"
    "افتتحت في العقبة محطة لتحلية مياه البحر بكلفة خمسين مليون دينار."
)


async def test_the_bot_embeds_in_the_background_while_it_answers(
    make_bot: Callable[..., Any], library: Library
) -> None:
    b = await make_bot(ARTICLEBOT_CHANNELS="@news_channel")
    embedding = b.app.bot_data.embedding
    assert library.stats().vectors == 0
    await b.app.post_init(b.app)  # as run_polling does after the start
    # Questions are answered while the passages are embedded (a thread of its own).
    await b.say("متى بدأ وقف إطلاق النار في غزة؟", from_user=user(2, "ar"))
    assert b.sent("sendMessage")
    await eventually(lambda: library.stats().vectors == library.stats().passages)
    await b.post(POST, 77)  # a channel post: its passages get vectors too
    await eventually(
        lambda: embedding.wait_idle(0) and library.stats().vectors == library.stats().passages
    )
    assert library.stats().passages > 3 and embedding.embedded == library.stats().passages
    await b.say("/stats", from_user=user(ADMIN, "en"))
    text = b.last()["text"]
    assert (
        f"Vectors: {library.stats().passages} of {library.stats().passages} passages (100%)" in text
    )
    assert "multilingual-e5-small" in text
    await b.app.post_stop(b.app)  # stops the embedding thread
    thread = embedding._thread
    assert thread is not None and not thread.is_alive()


async def test_arabic_stats_and_the_setting_turns_it_off(
    make_bot: Callable[..., Any], library: Library
) -> None:
    b = await make_bot(ARTICLEBOT_EMBED="off")
    await b.app.post_init(b.app)
    await asyncio.sleep(0.2)
    assert not b.app.bot_data.embedding.enabled and library.stats().vectors == 0
    await b.say("/stats", from_user=user(ADMIN, "ar"))
    assert "المتجهات: 0 من" in b.last()["text"]
