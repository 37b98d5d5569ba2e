"""Settings from environment variables: parsing and the errors people get."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Settings
from bot.people import People
from knowledge import Library


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("90s", 90),
        ("30m", 1800),
        ("2h", 7200),
        ("1d", 86400),
        ("1h30m", 5400),
        (" 1H 30M ", 5400),
        ("0.2s", 0.2),
        ("", None),
        (None, None),
    ],
)
def test_reload_every_reads_durations(value: str | None, seconds: float | None) -> None:
    env = {} if value is None else {"ARTICLEBOT_RELOAD_EVERY": value}
    assert Settings.from_env(env).reload_every == seconds


@pytest.mark.parametrize("value", ["30", "soon", "5 minutes", "m30", "-5m", "0s", "1w"])
def test_a_bad_reload_interval_is_a_clear_error(value: str) -> None:
    with pytest.raises(ConfigError, match="ARTICLEBOT_RELOAD_EVERY") as error:
        Settings.from_env({"ARTICLEBOT_RELOAD_EVERY": value})
    assert repr(value) in str(error.value)


def test_channels_by_username_or_id() -> None:
    settings = Settings.from_env({"ARTICLEBOT_CHANNELS": "@News_Channel, -1001234567890,other"})
    assert settings.channel_usernames == {"news_channel", "other"}
    assert settings.channel_ids == {-1001234567890}
    assert settings.listens_to(-1, "news_CHANNEL")
    assert settings.listens_to(-1001234567890, None)
    assert not settings.listens_to(-1009, "someone_else")
    assert not Settings.from_env({}).listens_to(-1001234567890, "news_channel")


@pytest.mark.parametrize("value", ["@ab", "t.me/news", "@news channel", "-100x"])
def test_a_bad_channel_is_a_clear_error(value: str) -> None:
    with pytest.raises(ConfigError, match="ARTICLEBOT_CHANNELS"):
        Settings.from_env({"ARTICLEBOT_CHANNELS": value})


def test_bad_admin_ids_and_base_url_are_clear_errors() -> None:
    with pytest.raises(ConfigError, match="ARTICLEBOT_ADMIN_IDS"):
        Settings.from_env({"ARTICLEBOT_ADMIN_IDS": "1,two"})
    with pytest.raises(ConfigError, match="TELEGRAM_API_BASE_URL"):
        Settings.from_env({"TELEGRAM_API_BASE_URL": "127.0.0.1:8081"})


def test_the_database_path_is_given_not_read_from_the_env(tmp_path: Path) -> None:
    env = {"ARTICLEBOT_DB": str(tmp_path / "env.db")}
    given = Settings.from_env(env, db_path=tmp_path / "given.db")
    assert given.db_path == tmp_path / "given.db"
    assert Settings.from_env(env).db_path == tmp_path / "xdg" / "articlebot" / "articlebot.db"


def test_language_choices_of_the_old_pickle_file_move_into_the_library(
    library: Library, people: People, tmp_path: Path
) -> None:
    import pickle

    from bot.app import import_language_choices

    old = library.path.with_name(library.path.name + ".users.pickle")
    users = {5: {"lang": "en"}, 6: {"lang": "xx"}, 7: {}, 8: {"lang": "ar"}}
    old.write_bytes(pickle.dumps({"user_data": users, "bot_data": {}}))
    people.set_language(8, "en")  # a choice made since wins
    assert import_language_choices(library.path, people) == 1
    assert [people.language(u) for u in (5, 6, 7, 8)] == ["en", None, None, "en"]
    assert not old.exists() and old.with_name(old.name + ".imported").exists()
    assert import_language_choices(library.path, people) == 0  # once


@pytest.mark.parametrize(
    ("value", "on"),
    [(None, True), ("1", True), ("on", True), ("YES", True), ("0", False), ("off", False)],
)
def test_embed_is_on_unless_turned_off(value: str | None, on: bool) -> None:
    env = {} if value is None else {"ARTICLEBOT_EMBED": value}
    assert Settings.from_env(env).embed is on


def test_embed_refuses_anything_else() -> None:
    with pytest.raises(ConfigError, match="ARTICLEBOT_EMBED must be on or off"):
        Settings.from_env({"ARTICLEBOT_EMBED": "sometimes"})
