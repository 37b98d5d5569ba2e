"""Settings for the Telegram bot, read once from environment variables.

Tests build them from a dict: ``Settings.from_env({"TELEGRAM_BOT_TOKEN": "1:x"})``.
The ``.env`` file is loaded by the entry point (``bot.launch``), never here, and the database
path is given by it (its ``--db`` option resolves ``ARTICLEBOT_DB``).
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
    """The library; the entry point's ``--db`` (or ``$ARTICLEBOT_DB``) gives it."""
    sources: tuple[str | Path, ...] = ()
    """Files and folders (``Path``), and feed/page URLs (``str``: a ``Path`` would mangle them)."""
    admin_chat_id: int | None = None
    api_base_url: str | None = None
    channel_ids: frozenset[int] = frozenset()
    channel_usernames: frozenset[str] = frozenset()
    """Lower case, without the @."""
    reload_every: float | None = None
    """Seconds between scheduled reloads; None: only /reload."""
    embed: bool = True
    """Embed the passages without a vector in the background (``ARTICLEBOT_EMBED``), where
    this platform has the model."""
    link_previews: bool = True
    """Show the top article's page preview under an answer (``ARTICLEBOT_LINK_PREVIEWS``);
    each user can change it in /settings."""

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, db_path: Path | None = None
    ) -> Settings:
        """Read and validate the settings, the library being at ``db_path`` (by default
        ``articlebot.db`` in the data folder); raise ``ConfigError`` with a readable message."""
        env = os.environ if env is None else env
        sources = _parse_sources(env.get("ARTICLEBOT_SOURCES"))
        channel_ids, channel_usernames = _parse_channels(env.get("ARTICLEBOT_CHANNELS"))
        return cls(
            token=_clean(env.get("TELEGRAM_BOT_TOKEN")),
            admin_ids=frozenset(_parse_ids(env.get("ARTICLEBOT_ADMIN_IDS"))),
            db_path=db_path or default_db_path(),
            sources=sources or _bundled_articles(),
            admin_chat_id=_parse_chat_id(env.get("ARTICLEBOT_ADMIN_CHAT_ID")),
            api_base_url=_parse_base_url(env.get("TELEGRAM_API_BASE_URL")),
            channel_ids=channel_ids,
            channel_usernames=channel_usernames,
            reload_every=_parse_duration(
                "ARTICLEBOT_RELOAD_EVERY", env.get("ARTICLEBOT_RELOAD_EVERY")
            ),
            embed=_parse_switch("ARTICLEBOT_EMBED", env.get("ARTICLEBOT_EMBED"), default=True),
            link_previews=_parse_switch(
                "ARTICLEBOT_LINK_PREVIEWS", env.get("ARTICLEBOT_LINK_PREVIEWS"), default=True
            ),
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

    def listens_to(self, chat_id: int, username: str | None) -> bool:
        """Whether posts of this channel become articles (``ARTICLEBOT_CHANNELS``)."""
        named = username is not None and username.lower() in self.channel_usernames
        return named or chat_id in self.channel_ids


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


# A URL's scheme and authority; what follows may not hold ":/", the sign of a path glued on.
_URL = re.compile(r"https?://[^/?#\s]+(?P<rest>\S*)", re.IGNORECASE)


def _parse_sources(value: str | None) -> tuple[str | Path, ...]:
    """Paths and URLs. Paths may be separated by os.pathsep (natural on a shell) or commas (in a
    .env file); URLs, whose ':' is no separator, only by commas (a comma inside a URL is
    written %2C). URLs stay strings."""
    sources: list[str | Path] = []
    for chunk in re.split(r"\s*,\s*", (value or "").strip()):
        url = _URL.fullmatch(chunk)
        if url and ":/" not in url["rest"]:
            sources.append(chunk)
            continue
        if "://" in chunk:
            raise ConfigError(
                "ARTICLEBOT_SOURCES: separate URLs from other sources with commas (write a comma "
                f"inside a URL as %2C), got {chunk!r}"
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


_USERNAME = re.compile(r"@?([A-Za-z][A-Za-z0-9_]{3,31})")


def _parse_channels(value: str | None) -> tuple[frozenset[int], frozenset[str]]:
    ids, usernames = set(), set()
    for part in (value or "").split(","):
        part = part.strip()
        if not part:
            continue
        if re.fullmatch(r"-?\d+", part):
            ids.add(int(part))
        elif name := _USERNAME.fullmatch(part):
            usernames.add(name[1].lower())
        else:
            raise ConfigError(
                "ARTICLEBOT_CHANNELS must be comma-separated channel @usernames or numeric chat "
                f"ids (such as -1001234567890), got {part!r}"
            )
    return frozenset(ids), frozenset(usernames)


_ON = {"1", "on", "yes", "true"}
_OFF = {"0", "off", "no", "false"}


def _parse_switch(name: str, value: str | None, *, default: bool) -> bool:
    """``on``/``1``/``yes``/``true`` or ``off``/``0``/``no``/``false``; unset -> ``default``."""
    value = _clean(value)
    if value is None:
        return default
    if value.lower() in _ON | _OFF:
        return value.lower() in _ON
    raise ConfigError(f"{name} must be on or off (1 or 0), got {value!r}")


_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


def _parse_duration(name: str, value: str | None) -> float | None:
    """``90s``, ``30m``, ``2h``, ``1d`` or a sum such as ``1h30m`` -> seconds; unset -> None."""
    value = _clean(value)
    if value is None:
        return None
    text = value.lower().replace(" ", "")
    # A bare number is refused: 30 could mean seconds or minutes.
    if not re.fullmatch(f"(?:{_DURATION.pattern})+", text):
        raise ConfigError(
            f"{name} must be a duration such as 90s, 30m, 2h, 1d or 1h30m, got {value!r}"
        )
    seconds = sum(float(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION.findall(text))
    if seconds <= 0:
        raise ConfigError(f"{name} must be longer than zero, got {value!r}")
    return seconds
