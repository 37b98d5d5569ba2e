"""The webhook (``bot.webhook``): a wrong secret is refused as soon as the headers arrive,
before any body is read; bodies are capped; a proper update is served. Runs ``articlebot run
--webhook`` in a subprocess against the fake Bot API server."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.webhook import MAX_BODY
from tests.telegram_helpers import FakeBotAPI, bot_run, message, user

TOKEN = "4242:SECRET-token_value"
SECRET = "s3cret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_webhook_command(tmp_path: Path, api: FakeBotAPI, port: int) -> tuple[list[str], dict]:
    """``articlebot run --webhook`` on ``port`` against ``api``, and its environment."""
    url = f"http://127.0.0.1:{port}/hook"
    args = ("--webhook", url, "--port", str(port), "--secret-token", SECRET)
    return bot_run(tmp_path, TOKEN, api.base_url, *args)


@pytest.fixture
def webhook(tmp_path: Path) -> Iterator[tuple[FakeBotAPI, int]]:
    """The bot serving a webhook on 127.0.0.1; (the fake Bot API, the webhook's port)."""
    port = free_port()
    with FakeBotAPI(TOKEN) as api:
        command, env = run_webhook_command(tmp_path, api, port)
        process = subprocess.Popen(command, cwd=tmp_path, env=env)
        try:
            api.wait_for(lambda c: c.method == "setWebhook", timeout=60)
            yield api, port
        finally:
            process.terminate()
            process.wait(20)
        assert process.returncode == 0


def connect(port: int) -> socket.socket:
    for _ in range(100):
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=10)
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the webhook never came up")


def headers(secret: str, length: int | None, path: str = "/hook") -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    lines.append(f"X-Telegram-Bot-Api-Secret-Token: {secret}")
    lines.append(
        f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    )
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def status_before_the_body(port: int, secret: str, length: int, path: str = "/hook") -> int:
    """The status answered to headers announcing ``length`` bytes, none of which is sent."""
    with connect(port) as conn:
        conn.sendall(headers(secret, length, path))
        reply = conn.recv(1024)  # times out (10 s) if the server waits for the body
    return int(reply.split()[1])


def post(port: int, secret: str, body: bytes) -> int:
    with connect(port) as conn:
        conn.sendall(headers(secret, len(body)) + body)
        return int(conn.recv(1024).split()[1])


def test_a_wrong_secret_is_refused_before_the_body(webhook: tuple[FakeBotAPI, int]) -> None:
    _, port = webhook
    big = 90 * 2**20
    assert status_before_the_body(port, "wrong", big) == 403
    assert status_before_the_body(port, "", big) == 403
    assert status_before_the_body(port, SECRET, big) == 413  # the right secret, too big
    assert status_before_the_body(port, "wrong", MAX_BODY + 1, path="/other") == 400  # capped


def test_a_chunked_body_is_cut_at_the_cap(webhook: tuple[FakeBotAPI, int]) -> None:
    _, port = webhook
    chunk = b"%x\r\n%s\r\n" % (64 * 1024, b"x" * 64 * 1024)
    sent = 0
    with connect(port) as conn:
        conn.sendall(headers(SECRET, None))
        try:
            while sent < 4 * MAX_BODY:
                conn.sendall(chunk)
                sent += 64 * 1024
            reply = conn.recv(1024)
        except (BrokenPipeError, ConnectionResetError):
            reply = b""
    assert sent < 4 * MAX_BODY or not reply.startswith(b"HTTP/1.1 200")


def test_an_update_with_the_secret_is_served(webhook: tuple[FakeBotAPI, int]) -> None:
    api, port = webhook
    msg = message("ما عدد الضحايا في غزة؟", from_user=user(1, "ar"))
    assert post(port, SECRET, b"not json") == 400
    for not_an_update in (
        b"[1, 2]",
        b'"x"',
        b"5",
        b"null",
        b"{}",
        b'{"update_id": 3, "message": 5}',
    ):
        assert post(port, SECRET, not_an_update) == 400, not_an_update  # not 500
    assert post(port, SECRET, json.dumps({"update_id": 1, "message": msg}).encode()) == 200
    answer = api.wait_for(lambda c: c.method == "sendMessage" and int(c.params["chat_id"]) == 1)
    assert "مئتين" in answer.params["text"]


def test_a_port_in_use_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as taken, FakeBotAPI(TOKEN) as api:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command, env = run_webhook_command(tmp_path, api, port)
        done = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr and TOKEN not in done.stderr + done.stdout
