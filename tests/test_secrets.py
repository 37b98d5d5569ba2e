"""The bot token is never printed: not by ``articlebot run`` when Telegram refuses the token at
start-up, not in logs, not in the admin chat's error reports, whatever the case of the text
that quotes it."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
from pathlib import Path

from bot.app import RedactToken
from bot.errors import redact
from tests.telegram_helpers import FakeBotAPI, bot_run

TOKEN = "7654321:AAHsecretTokenValue_x"


class RevokedTokenAPI(FakeBotAPI):
    """A Bot API server that refuses the token, quoting it lower-cased as some errors do."""

    def _call(self, method: str, params: dict) -> tuple[int, dict]:
        description = f"Unauthorized: token {TOKEN.lower()} was revoked"
        return 401, {"ok": False, "error_code": 401, "description": description}


def test_a_refused_token_is_a_one_line_error_without_the_token(tmp_path: Path) -> None:
    with RevokedTokenAPI(TOKEN) as api:
        command, env = bot_run(tmp_path, TOKEN, api.base_url)
        done = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert TOKEN.lower() not in output.lower() and "AAHsecret".lower() not in output.lower()
    assert "Traceback" not in output
    error_lines = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1 and "rejected" in error_lines[0], output


def test_redaction_ignores_case() -> None:
    text = f"url /bot{TOKEN}/getMe; {TOKEN.lower()} and {TOKEN.upper()}"
    assert redact(text, TOKEN) == "url /bot<token>/getMe; <token> and <token>"
    assert redact(text, None) == text


def test_log_lines_and_tracebacks_lose_the_token_in_any_case() -> None:
    try:
        raise ValueError(f"description: {TOKEN.lower()}")
    except ValueError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "token %s", (TOKEN.upper(),), sys.exc_info()
        )
    RedactToken(TOKEN).filter(record)
    text = logging.Formatter().format(record)
    assert "aahsecret" not in text.lower() and text.count("<token>") == 2


def test_telegram_unreachable_at_start_up_is_one_line_too(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command, env = bot_run(tmp_path, TOKEN, f"http://127.0.0.1:{port}/bot")
    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1 and "aahsecret" not in output.lower(), output
    error_lines = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1 and "Telegram" in error_lines[0], output
    assert "Traceback" not in output
