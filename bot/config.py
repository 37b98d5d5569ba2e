"""Settings for the Telegram bot, read once from environment variables.

Tests build them from a dict: ``Settings.from_env({"TELEGRAM_BOT_TOKEN": "1:x"})``.
The ``.env`` file is loaded by the entry point (``bot.serve``), never here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

__all__ = ["ConfigError", "Settings", "default_db_path"]


class ConfigError(Exception):
    "The bot's configuration is invalid"


def default_db_path() -> Path:
    """``articlebot.db`` in the user's data folder (XDG on Linux)."""
    return Path(platformdirs.user_data_dir("articlebot", appauthor=False)) / "articlebot.db"


def _bundled_articles() -> tuple[str | Path, ...]:
    # Imported lazily so the settings can be built (and tested) without opening the library.
    from knowledge import BUNDLED_ARTICLES

    return (Path(BUNDLED_ARTICLES),)


@dataclass(frozen=True)
class Settings:
    """Everything the bot needs from its environment."""

    token: str | None = field(default=None, repr=False)
    admin_ids: frozenset[int] = frozenset()
    db_path: Path = field(default_factory=default_db_path)
    sources: tuple[str | Path, ...] = ()
    """Files and folders (``Path``), and feed/page URLs (``str``: a ``Path`` would mangle them)."""
    admin_chat_id: int | None = None
    api_base_url: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read and validate the settings; raise ``ConfigError`` with a readable message."""
        env = os.environ if env is None else env
        db = _clean(env.get("ARTICLEBOT_DB"))
        sources = _parse_sources(env.get("ARTICLEBOT_SOURCES"))
        return cls(
            token=_clean(env.get("TELEGRAM_BOT_TOKEN")),
            admin_ids=frozenset(_parse_ids(env.get("ARTICLEBOT_ADMIN_IDS"))),
            db_path=Path(db).expanduser() if db else default_db_path(),
            sources=sources or _bundled_articles(),
            admin_chat_id=_parse_chat_id(env.get("ARTICLEBOT_ADMIN_CHAT_ID")),
            api_base_url=_parse_base_url(env.get("TELEGRAM_API_BASE_URL")),
        )

    def require_token(self) -> str:
        """The bot token, or a ``ConfigError`` that says how to get going without one."""
        if not self.token:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set. Get a token from @BotFather and put it in the "
                "environment or a .env file, or try the bot locally with `articlebot chat`."
            )
        return self.token

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admin_ids

    @property
    def state_path(self) -> Path:
        """Where per-user choices (the /language override) are kept: next to the database."""
        return self.db_path.with_name(self.db_path.name + ".users.pickle")


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _parse_ids(value: str | None) -> list[int]:
    ids = []
    for part in (value or "").split(","):
        part = part.strip()
        if not part:
            continue
        if not re.fullmatch(r"-?\d+", part):
            raise ConfigError(
                f"ARTICLEBOT_ADMIN_IDS must be comma-separated numeric Telegram user ids, "
                f"got {part!r}"
            )
        ids.append(int(part))
    return ids


def _parse_chat_id(value: str | None) -> int | None:
    value = _clean(value)
    if value is None:
        return None
    if not re.fullmatch(r"-?\d+", value):
        raise ConfigError(f"ARTICLEBOT_ADMIN_CHAT_ID must be a numeric chat id, got {value!r}")
    return int(value)


_URL = re.compile(r"https?://\S+", re.IGNORECASE)


def _parse_sources(value: str | None) -> tuple[str | Path, ...]:
    """Paths and URLs. Paths may be separated by os.pathsep (natural on a shell) or commas (in a
    .env file); URLs, whose ':' is no separator, only by commas. URLs stay strings."""
    sources: list[str | Path] = []
    for chunk in re.split(r"\s*,\s*", (value or "").strip()):
        if _URL.fullmatch(chunk):
            sources.append(chunk)
            continue
        if "://" in chunk:
            raise ConfigError(
                f"ARTICLEBOT_SOURCES: separate URLs from other sources with commas, got {chunk!r}"
            )
        parts = chunk.split(os.pathsep)
        sources.extend(Path(p.strip()).expanduser() for p in parts if p.strip())
    return tuple(sources)


def _parse_base_url(value: str | None) -> str | None:
    value = _clean(value)
    if value is not None and not re.match(r"https?://", value):
        raise ConfigError(
            f"TELEGRAM_API_BASE_URL must start with http:// or https://, got {value!r} "
            "(for example http://127.0.0.1:8081/bot)"
        )
    return value
