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
import os
import re
import sys
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from telegram.constants import MessageLimit

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
LIMIT = MessageLimit.MAX_TEXT_LENGTH


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
    return re.match(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);", text[i:]) is not None


def assert_telegram_html(text: str) -> None:
    errors = telegram_html_errors(text)
    assert not errors, f"{errors} in {text[:300]!r}"


# --- a small library -----------------------------------------------------------------------------

ARTICLES = {
    "gaza.md": """---
title: "وقف إطلاق النار في غزة بعد أحد عشر يوما"
date: 2021-05-21
url: https://example.com/gaza?a=1&b=2
source: Example News
lang: ar
---
أعلنت الفصائل الفلسطينية وقف إطلاق النار في قطاع غزة فجر الجمعة بعد أحد عشر يوما من القتال.

وقالت وزارة الصحة إن عدد الضحايا بلغ مئتين وثلاثين شخصا بينهم أطفال ونساء.

واحتفل سكان غزة في الشوارع بعد سريان الهدنة التي توسطت فيها مصر.

وأكد الوسطاء المصريون أن الهدنة في غزة صامدة وأن المفاوضات ستستمر في القاهرة.
""",
    "rain.md": """---
title: "أمطار غزيرة تضرب العاصمة عمّان"
date: 2021-06-02
lang: ar
---
هطلت أمطار غزيرة على العاصمة الأردنية عمّان وتسببت في إغلاق عدة طرق رئيسية.

وحذرت دائرة الأرصاد الجوية من سيول في المناطق المنخفضة خلال الأيام المقبلة.
""",
    "moon.md": """---
title: "A new lunar mission launches"
date: 2021-07-10
source: Space Desk
lang: en
---
The space agency launched a lunar mission on Friday to study water ice near the south pole.

Engineers said the lander will touch down in the Shackleton crater next month.
""",
}


ROOT = Path(__file__).resolve().parent.parent
"""The repository: the subprocesses import bot/ and knowledge/ from it."""


def write_articles(folder: Path, names: list[str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in ARTICLES.items():
        if names is None or name in names:
            (folder / name).write_text(text, encoding="utf-8")
    return folder


def bot_run(
    tmp_path: Path, token: str, api_base_url: str, *args: str, **env: str
) -> tuple[list[str], dict[str, str]]:
    """``articlebot run`` in a subprocess (its library ``tmp_path/bot.db``, ``args`` after)
    against the Bot API at ``api_base_url``, and its environment: the test articles as its
    sources, ``env`` on top."""
    environ = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_API_BASE_URL": api_base_url,
        "ARTICLEBOT_SOURCES": str(write_articles(tmp_path / "articles")),
        "PYTHONPATH": str(ROOT),
        **env,
    }
    environ.pop("ARTICLEBOT_DB", None)
    command = [sys.executable, "-m", "bot", "run", "--db", str(tmp_path / "bot.db"), *args]
    return command, environ


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


def channel(
    chat_id: int = -1001234567890,
    username: str | None = "news_channel",
    title: str = "Channel News",
) -> dict:
    data: dict[str, Any] = {"id": chat_id, "type": "channel", "title": title}
    if username:
        data["username"] = username
    return data


def channel_post(
    text: str | None,
    *,
    chat: dict | None = None,
    message_id: int | None = None,
    caption: bool = False,
    edited: bool = False,
) -> dict:
    """A Bot API channel post: no sender, its text or (``caption``) a photo's caption."""
    chat = chat or channel()
    data: dict[str, Any] = {
        "message_id": message_id or next(_ids),
        "date": 1_700_000_000,
        "chat": chat,
        "sender_chat": chat,
    }
    if caption:
        data["photo"] = [{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}]
        if text is not None:
            data["caption"] = text
    elif text is not None:
        data["text"] = text
    if edited:
        data["edit_date"] = 1_700_000_600
    return data


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


def inline_query(query: str, offset: str = "", from_user: dict | None = None) -> dict:
    """An ``inline_query`` update: someone typing ``@bot query`` in any chat."""
    return update(
        "inline_query",
        {"id": str(next(_ids)), "from": from_user or user(), "query": query, "offset": offset},
    )


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


# --- a fake Bot API server on 127.0.0.1 for end-to-end tests ------------------------------------


class FakeBotAPI:
    """A small Bot API server: queues updates for ``getUpdates`` and records what the bot sends.

    Messages the bot sends are stored, so a callback query can carry the message it is pressed
    on (with ``reply_to_message``, as Telegram does).
    """

    def __init__(self, token: str, refuse: Collection[str] = ()) -> None:
        """``refuse``: methods this server does not implement (answered 404, like some
        emulators), to check that the bot treats them as cosmetic."""
        import threading
        from http.server import ThreadingHTTPServer

        self.token = token
        self.refuse = set(refuse)
        self.calls: list[Call] = []
        self.errors: list[str] = []
        self._updates: list[dict] = []
        self.allowed_updates: list[str] | None = None
        """What the bot's last ``getUpdates`` asked for."""
        self._messages: dict[tuple[int, int], dict] = {}
        self._ids = itertools.count(1)
        self._message_ids = itertools.count(9000)
        self._cond = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/bot"

    def __enter__(self) -> FakeBotAPI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- the scripted user's side --

    def push(self, kind: str, payload: dict) -> None:
        with self._cond:
            self._updates.append({"update_id": next(self._ids), kind: payload})
            self._cond.notify_all()

    def user_says(self, text: str, from_user: dict) -> dict:
        msg = message(text, from_user=from_user, message_id=next(self._message_ids))
        with self._cond:
            self._messages[(msg["chat"]["id"], msg["message_id"])] = msg
        self.push("message", msg)
        return msg

    def press(self, data: str, bot_message: dict, from_user: dict) -> None:
        payload = {
            "id": str(next(self._ids)),
            "from": from_user,
            "chat_instance": "ci",
            "message": bot_message,
            "data": data,
        }
        self.push("callback_query", payload)

    def last_bot_message(self, chat_id: int) -> dict:
        """The bot's latest message in ``chat_id`` as Telegram would send it in a callback."""
        with self._cond:
            keys = [k for k, m in self._messages.items() if k[0] == chat_id and m["from"]["is_bot"]]
            return json.loads(json.dumps(self._messages[max(keys, key=lambda k: k[1])]))

    def wait_for(
        self, predicate: Callable[[Call], bool], after: int = 0, timeout: float = 20
    ) -> Call:
        """The first call from index ``after`` on that matches; fails after ``timeout`` s."""
        with self._cond:
            found = self._cond.wait_for(
                lambda: next((c for c in self.calls[after:] if predicate(c)), None), timeout
            )
        assert found is not None, f"no matching call; calls: {self.calls[after:]}"
        return found

    # -- the server side --

    def _handler_class(self) -> type:
        from http.server import BaseHTTPRequestHandler
        from urllib.parse import parse_qsl

        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    params = json.loads(body or "{}")
                else:
                    params = _params_from_form(dict(parse_qsl(body)))
                prefix = f"/bot{api.token}/"
                if not self.path.startswith(prefix):
                    return self._reply(
                        404, {"ok": False, "error_code": 404, "description": "Not Found"}
                    )
                status, answer = api._call(self.path[len(prefix) :], params)
                self._reply(status, answer)

            do_GET = do_POST

            def _reply(self, status: int, answer: dict) -> None:
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                # The bot drops a pending long poll when it stops: nothing to report then.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def _call(self, method: str, params: dict) -> tuple[int, dict]:
        if method == "getUpdates":
            return 200, {"ok": True, "result": self._get_updates(params)}
        with self._cond:
            self.calls.append(Call(method, params))
            # The methods whose text is HTML (with Defaults, PTB sends parse_mode with others too).
            if method in ("sendMessage", "editMessageText") and params.get("parse_mode") == "HTML":
                self.errors += telegram_html_errors(params.get("text", ""))
            if method in self.refuse:
                self._cond.notify_all()
                return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
            result = self._result(method, params)
            self._cond.notify_all()
        if result is None:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: not found"}
        return 200, {"ok": True, "result": result}

    def _get_updates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        self.allowed_updates = params.get("allowed_updates")
        timeout = min(float(params.get("timeout") or 0), 2.0)
        with self._cond:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and timeout:
                self._cond.wait_for(lambda: self._updates, timeout)
            return list(self._updates)

    def _result(self, method: str, params: dict) -> Any:
        if method == "sendMessage":
            chat_id = int(params["chat_id"])
            msg = default_result(method, params, self._message_ids)
            reply = (params.get("reply_parameters") or {}).get("message_id")
            if reply is not None and (chat_id, int(reply)) in self._messages:
                msg["reply_to_message"] = self._messages[(chat_id, int(reply))]
            if params.get("parse_mode") == "HTML":  # Telegram returns the text without markup
                msg["text"] = html.unescape(re.sub(r"<[^>]*>", "", msg["text"]))
            self._messages[(chat_id, msg["message_id"])] = msg
            return msg
        if method == "editMessageText":
            key = (int(params["chat_id"]), int(params["message_id"]))
            if key not in self._messages:
                return None
            msg = self._messages[key]
            msg["text"] = html.unescape(re.sub(r"<[^>]*>", "", params["text"]))
            msg["reply_markup"] = params.get("reply_markup")
            return msg
        if method == "editMessageReplyMarkup":
            key = (int(params["chat_id"]), int(params["message_id"]))
            if key not in self._messages:
                return None
            self._messages[key]["reply_markup"] = params.get("reply_markup")
            return self._messages[key]
        return default_result(method, params, self._message_ids)


def _params_from_form(form: dict[str, str]) -> dict:
    params: dict[str, Any] = {}
    for key, value in form.items():
        if value[:1] in "[{":
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
                continue
        params[key] = value
    return params
