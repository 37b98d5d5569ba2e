"""Test helpers for the Telegram side: an HTML validator, a recording fake request for PTB,
update factories and a small fake Bot API server on 127.0.0.1.

Nothing here touches the network beyond the loopback interface.
"""

from __future__ import annotations

import contextlib
import html
import html.parser
import itertools
import json
from collections.abc import Callable
from typing import Any

# --- Telegram HTML validation ----------------------------------------------------------------

ALLOWED = {
    "b": set(),
    "strong": set(),
    "i": set(),
    "em": set(),
    "u": set(),
    "ins": set(),
    "s": set(),
    "strike": set(),
    "del": set(),
    "tg-spoiler": set(),
    "span": {"class"},
    "a": {"href"},
    "code": {"class"},
    "pre": set(),
    "blockquote": {"expandable"},
    "tg-emoji": {"emoji-id"},
}
LIMIT = 4096


class _Checker(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED:
            self.errors.append(f"tag <{tag}> is not allowed")
        for name, value in attrs:
            if name not in ALLOWED.get(tag, set()):
                self.errors.append(f"attribute {name} not allowed on <{tag}>")
            if tag == "a" and name == "href" and not (value or "").startswith(("http", "tg://")):
                self.errors.append(f"bad href {value!r}")
        if tag == "blockquote" and "blockquote" in self.stack:
            self.errors.append("nested blockquote")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unbalanced </{tag}> (open: {self.stack})")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if ">" in data:
            self.errors.append("unescaped '>' in text")
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in ("lt", "gt", "amp", "quot"):
            self.errors.append(f"unknown entity &{name};")
        self.text.append(html.unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.text.append(html.unescape(f"&#{name};"))


def telegram_html_errors(text: str) -> list[str]:
    """What Telegram would reject in ``text`` sent with parse_mode HTML (empty if fine)."""
    checker = _Checker()
    # A bare '&' not starting an entity is something Telegram rejects.
    for i, ch in enumerate(text):
        if ch == "&" and not _starts_entity(text, i):
            checker.errors.append(f"unescaped '&' at {i}")
    checker.feed(text)
    checker.close()
    if checker.stack:
        checker.errors.append(f"unclosed tags {checker.stack}")
    visible = "".join(checker.text)
    if not visible.strip():
        checker.errors.append("empty message")
    units = len(visible.encode("utf-16-le")) // 2
    if units > LIMIT:
        checker.errors.append(f"too long: {units} UTF-16 units")
    return checker.errors


def _starts_entity(text: str, i: int) -> bool:
    import re

    return re.match(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);", text[i:]) is not None


def assert_telegram_html(text: str) -> None:
    errors = telegram_html_errors(text)
    assert not errors, f"{errors} in {text[:300]!r}"


# --- Bot API payload factories ------------------------------------------------------------------

_ids = itertools.count(1000)
BOT_ID = 999
BOT_USERNAME = "articles_test_bot"
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Articles", "username": BOT_USERNAME}


def user(user_id: int = 1, language_code: str | None = "en", first_name: str = "Sam") -> dict:
    data: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code:
        data["language_code"] = language_code
    return data


def private_chat(user_id: int = 1) -> dict:
    return {"id": user_id, "type": "private", "first_name": "Sam"}


def group_chat(chat_id: int = -100) -> dict:
    return {"id": chat_id, "type": "group", "title": "Group"}


def command_entities(text: str) -> list[dict]:
    """A bot_command entity for a leading /command, as Telegram adds it."""
    if not text.startswith("/"):
        return []
    length = len(text.split()[0])
    return [{"type": "bot_command", "offset": 0, "length": length}]


def message(
    text: str | None = "hello",
    *,
    from_user: dict | None = None,
    chat: dict | None = None,
    message_id: int | None = None,
    reply_to: dict | None = None,
    extra: dict | None = None,
) -> dict:
    """A Bot API ``Message`` dict."""
    from_user = from_user or user()
    data: dict[str, Any] = {
        "message_id": message_id or next(_ids),
        "date": 1_700_000_000,
        "chat": chat or private_chat(from_user["id"]),
        "from": from_user,
    }
    if text is not None:
        data["text"] = text
        entities = command_entities(text)
        mention = f"@{BOT_USERNAME}"
        if mention in text:
            offset = len(text[: text.index(mention)].encode("utf-16-le")) // 2
            entities.append({"type": "mention", "offset": offset, "length": len(mention)})
        if entities:
            data["entities"] = entities
    if reply_to is not None:
        data["reply_to_message"] = reply_to
    data.update(extra or {})
    return data


def update(kind: str = "message", payload: dict | None = None) -> dict:
    return {"update_id": next(_ids), kind: payload or message()}


def callback(data: str, msg: dict, from_user: dict | None = None) -> dict:
    """A ``callback_query`` update for a button under ``msg`` (a bot message dict)."""
    return update(
        "callback_query",
        {
            "id": str(next(_ids)),
            "from": from_user or user(),
            "chat_instance": "ci",
            "message": msg,
            "data": data,
        },
    )


# --- a recording fake request for in-process tests -----------------------------------------------


class Call:
    """One Bot API call the bot made."""

    def __init__(self, method: str, params: dict) -> None:
        self.method = method
        self.params = params

    def __repr__(self) -> str:
        return f"Call({self.method}, {self.params})"


def default_result(method: str, params: dict, message_ids: itertools.count) -> Any:
    """What a Bot API server answers to ``method``: enough for PTB to build its objects."""
    if method == "getMe":
        return {
            **BOT_USER,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
    if method in ("sendMessage", "editMessageText"):
        chat_id = params.get("chat_id", 1)
        result: dict[str, Any] = {
            "message_id": params.get("message_id") or next(message_ids),
            "date": 1_700_000_000,
            "chat": {"id": int(chat_id), "type": "private" if int(chat_id) > 0 else "group"},
            "from": BOT_USER,
            "text": params.get("text", ""),
        }
        if "reply_markup" in params:
            markup = params["reply_markup"]
            result["reply_markup"] = json.loads(markup) if isinstance(markup, str) else markup
        return result
    if method == "getUpdates":
        return []
    return True


def make_recording_request(responder: Callable[[str, dict], Any] | None = None) -> Any:
    """A PTB ``BaseRequest`` that records every call and answers like a Bot API server.

    ``responder(method, params)`` may return a dict ``{"ok": False, ...}`` to simulate an error,
    or None for the default answer.
    """
    from telegram.request import BaseRequest

    class RecordingRequest(BaseRequest):
        def __init__(self) -> None:
            self.calls: list[Call] = []
            self._message_ids = itertools.count(5000)

        @property
        def read_timeout(self) -> float | None:
            return 1.0

        async def initialize(self) -> None:
            pass

        async def shutdown(self) -> None:
            pass

        async def do_request(self, url: str, method: str, request_data=None, **_: Any):
            api_method = url.rsplit("/", 1)[-1]
            params = _params(request_data)
            self.calls.append(Call(api_method, params))
            body = responder(api_method, params) if responder else None
            if body is None:
                body = {"ok": True, "result": default_result(api_method, params, self._message_ids)}
            return 200 if body.get("ok") else body.get("error_code", 400), json.dumps(body).encode()

        def sent(self, *methods: str) -> list[Call]:
            methods = methods or ("sendMessage", "editMessageText")
            return [c for c in self.calls if c.method in methods]

        def texts(self) -> list[str]:
            return [c.params["text"] for c in self.sent()]

    return RecordingRequest()


def _params(request_data: Any) -> dict:
    if request_data is None:
        return {}
    params = dict(request_data.parameters)
    for key, value in list(params.items()):
        if isinstance(value, str) and value[:1] in "[{":
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
    return params
