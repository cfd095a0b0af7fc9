"""A local, in-process stand-in for the Telegram Bot API, served over real HTTP.

``FakeBotAPI`` runs a small Starlette app under uvicorn on 127.0.0.1 (free port) inside the
running event loop, so a real python-telegram-bot ``Bot``/``Application`` can talk to it::

    async with FakeBotAPI(token="123:ABC") as fake:
        app = ApplicationBuilder().token("123:ABC").base_url(f"{fake.url}/bot").build()
        fake.add_message(42, "/start")
        ...
        await fake.wait_for_sent(1)
        assert fake.sent_to(42)[0]["text"] == "..."

It mirrors the real API where it matters to a bot:

* ``POST``/``GET`` ``/bot<token>/<method>``; parameters from JSON, form-encoded or multipart
  bodies (python-telegram-bot sends every value as a string, JSON-encoding non-strings), or
  from the query string.
* ``{"ok": true, "result": ...}`` responses; errors as
  ``{"ok": false, "error_code": N, "description": "...", "parameters": {...}}`` with the
  matching HTTP status. A wrong token gives 401, an unknown method 404: only the methods the
  bot calls are served (getMe, setWebhook, deleteWebhook, getUpdates, sendMessage, editMessageText,
  answerCallbackQuery, setMyCommands, sendDocument).
* ``getUpdates`` long polling with offset confirmation (``offset`` is the id of the first update
  to return; everything delivered with a smaller id is forgotten), ``limit``, ``timeout``
  (capped by ``max_poll_timeout``), ``allowed_updates``, 409 when a second ``getUpdates``
  overlaps a running one or when a webhook is set.
* ``sendMessage`` rejects an empty or over-long (> 4096) text, like the real API, and any
  ``parse_mode``: the bot sends plain text only, and this double holds it to that.
  ``editMessageText`` on a message it knows, with unchanged text and keyboard, gives
  "Bad Request: message is not modified". ``fake.sent`` keeps the text exactly as the bot sent it.

Everything runs on the test's event loop; call the helpers from that loop's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import email.message
import email.utils
import itertools
import json
import re
import time
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .loopback import LoopbackServer

__all__ = ["FakeBotAPI", "TelegramAPIError"]

BOT_FIRST_NAME = "ExportBot"
BOT_USERNAME = "export_test_bot"

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024

# Parameters whose form-encoded string value should be turned back into a typed value.
_INT_FIELDS = {
    "chat_id", "from_chat_id", "message_id", "offset", "limit", "reply_to_message_id",
    "message_thread_id", "cache_time", "max_connections", "user_id", "until_date",
}
_FLOAT_FIELDS = {"timeout", "latitude", "longitude"}
_BOOL_FIELDS = {
    "disable_notification", "protect_content", "show_alert", "drop_pending_updates",
    "disable_web_page_preview", "allow_sending_without_reply", "disable_content_type_detection",
    "allow_paid_broadcast", "has_spoiler", "is_personal",
}
_JSON_FIELDS = {
    "reply_markup", "allowed_updates", "commands", "scope", "entities", "caption_entities",
    "link_preview_options", "reply_parameters", "menu_button", "media", "results",
}

# Update types Telegram leaves out when allowed_updates is not given (or empty).
_OPT_IN_UPDATE_TYPES = {"chat_member", "message_reaction", "message_reaction_count"}

class TelegramAPIError(Exception):
    """Raised inside a handler to produce an ``{"ok": false, ...}`` response."""

    def __init__(self, code: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, str], dict[str, dict]]:
    """Minimal multipart/form-data parser (no python-multipart dependency)."""
    header = email.message.Message()
    header["content-type"] = content_type
    boundary = header.get_param("boundary")
    if not boundary:
        raise TelegramAPIError(400, "Bad Request: invalid multipart body")
    boundary_b = str(boundary).encode("latin-1")
    fields: dict[str, str] = {}
    files: dict[str, dict] = {}
    chunks = (b"\r\n" + body).split(b"\r\n--" + boundary_b)
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk
        head, _, content = chunk.partition(b"\r\n\r\n")
        part = email.message.Message()
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if ":" in line:
                key, _, value = line.partition(":")
                part[key.strip()] = value.strip()
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        name = email.utils.collapse_rfc2231_value(name)
        filename = part.get_filename()
        if filename is not None:
            files[name] = {
                "file_name": filename,
                "content": content,
                "mime_type": part.get_content_type() if part["content-type"] else None,
            }
        else:
            fields[name] = content.decode("utf-8")
    return fields, files


def _coerce(params: dict[str, Any]) -> dict[str, Any]:
    """Turn string values (form/multipart encoding) back into what the JSON encoding would carry."""
    for key, value in list(params.items()):
        if not isinstance(value, str):
            continue
        if key in _JSON_FIELDS:
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
        elif key in _INT_FIELDS and re.fullmatch(r"-?\d+", value.strip()):
            params[key] = int(value)
        elif key in _FLOAT_FIELDS:
            with contextlib.suppress(ValueError):
                number = float(value)
                params[key] = int(number) if number.is_integer() and key == "timeout" else number
        elif key in _BOOL_FIELDS and value.lower() in ("true", "false", "1", "0"):
            params[key] = value.lower() in ("true", "1")
    return params


def _norm_chat_id(chat_id: Any) -> Any:
    if isinstance(chat_id, str) and re.fullmatch(r"-?\d+", chat_id.strip()):
        return int(chat_id)
    return chat_id


class FakeBotAPI:
    """Fake Telegram Bot API server. Use as ``async with FakeBotAPI(token=...) as fake:``."""

    def __init__(
        self,
        token: str = "123:ABC",
        *,
        max_poll_timeout: float = 1.0,
        bot_first_name: str = BOT_FIRST_NAME,
        bot_username: str = BOT_USERNAME,
    ):
        self.token = token
        self.max_poll_timeout = max_poll_timeout
        head = token.split(":", 1)[0]
        self.bot_user: dict[str, Any] = {
            "id": int(head) if head.isdigit() else 123456789,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }

        # Recording
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.call_log: list[dict[str, Any]] = []  # every call: method, params, timestamp, ok, code
        self.sent: list[dict[str, Any]] = []
        self.commands: dict[str, dict[str, Any]] = {}
        self.webhook: dict[str, Any] | None = None
        self.messages: dict[tuple[Any, int], dict[str, Any]] = {}  # (chat_id, message_id) -> Message

        # State
        self._queue: list[dict[str, Any]] = []  # {"update": dict, "delivered": bool}
        self._last_update_id = 0
        self._message_ids: dict[Any, int] = {}
        self._last_incoming: dict[Any, int] = {}  # chat_id -> message_id of the last user message
        self._chats: dict[Any, dict[str, Any]] = {}
        self._callback_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._failures: list[dict[str, Any]] = []
        self._update_signal = asyncio.Event()
        self._sent_signal = asyncio.Event()
        self._active_poll: dict[str, Any] | None = None
        self._closing = False

        self._http = LoopbackServer("FakeBotAPI")
        self.port: int | None = None

        self._handlers = {
            "getme": self._get_me,
            "deletewebhook": self._delete_webhook,
            "setwebhook": self._set_webhook,
            "getupdates": self._get_updates,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "answercallbackquery": self._true,
            "setmycommands": self._set_my_commands,
            "senddocument": self._send_document,
        }
        self.app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
                Route("/{path:path}", self._not_found, methods=["GET", "POST"]),
            ]
        )

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("FakeBotAPI is not running")
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """Value for ``ApplicationBuilder().base_url(...)`` / ``Bot(base_url=...)``."""
        return f"{self.url}/bot"

    async def start(self) -> FakeBotAPI:
        self._closing = False
        self.port = await self._http.start(self.app)
        return self

    async def stop(self) -> None:
        self._closing = True
        self._wake(self._update_signal_name)
        await self._http.stop()

    async def __aenter__(self) -> FakeBotAPI:
        return await self.start()

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.stop()

    # ------------------------------------------------------------------ signalling

    _update_signal_name = "_update_signal"
    _sent_signal_name = "_sent_signal"

    def _wake(self, name: str) -> None:
        # Replace-then-set: every waiter holding the old event wakes up, later waiters get a new one.
        old = getattr(self, name)
        setattr(self, name, asyncio.Event())
        old.set()

    # ------------------------------------------------------------------ HTTP layer

    async def _not_found(self, request: Request) -> JSONResponse:
        return self._error(404, "Not Found")

    @staticmethod
    def _error(code: int, description: str, parameters: dict | None = None) -> JSONResponse:
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if parameters:
            body["parameters"] = parameters
        return JSONResponse(body, status_code=code)

    async def _read_params(self, request: Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query_params)
        content_type = request.headers.get("content-type", "")
        body = await request.body()
        ctype = content_type.split(";", 1)[0].strip().lower()
        if body:
            if ctype == "application/json":
                try:
                    data = json.loads(body)
                except ValueError as exc:
                    raise TelegramAPIError(400, "Bad Request: can't parse JSON object") from exc
                if not isinstance(data, dict):
                    raise TelegramAPIError(400, "Bad Request: JSON object expected")
                params.update(data)
            elif ctype == "multipart/form-data":
                fields, files = _parse_multipart(body, content_type)
                params.update(fields)
                params.update(files)
            else:  # application/x-www-form-urlencoded (or unspecified)
                params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        return _coerce(params)

    async def _endpoint(self, request: Request) -> JSONResponse:
        token = request.path_params["token"]
        method = request.path_params["method"]
        now = time.monotonic()
        try:
            params = await self._read_params(request)
        except TelegramAPIError as err:
            params = {}
            self.requests.append((method, params))
            self.call_log.append(
                {"method": method, "params": params, "timestamp": now, "ok": False, "code": err.code}
            )
            return self._error(err.code, err.description, err.parameters)
        self.requests.append((method, params))
        entry: dict[str, Any] = {"method": method, "params": params, "timestamp": now, "ok": True, "code": 200}
        self.call_log.append(entry)

        def fail(code: int, description: str, parameters: dict | None = None) -> JSONResponse:
            entry["ok"] = False
            entry["code"] = code
            return self._error(code, description, parameters)

        if token != self.token:
            return fail(401, "Unauthorized")
        handler = self._handlers.get(method.lower())
        if handler is None:
            return fail(404, "Not Found: method not found")
        injected = self._take_failure(method, params)
        if injected is not None:
            return fail(injected["code"], injected["description"], injected["parameters"])
        try:
            result = await handler(params, now)
        except TelegramAPIError as err:
            return fail(err.code, err.description, err.parameters)
        return JSONResponse({"ok": True, "result": result})

    # ------------------------------------------------------------------ failure injection

    def fail_next(
        self,
        method: str,
        chat_id: Any = None,
        code: int = 429,
        description: str | None = None,
        retry_after: int | None = 1,
        times: int | None = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (optionally only for ``chat_id``) fail.

        ``times=None`` fails forever (until :meth:`clear_failures`). Default descriptions follow
        the real API: 429 -> "Too Many Requests: retry after N" with parameters.retry_after,
        403 -> "Forbidden: bot was blocked by the user", 400 -> "Bad Request: chat not found".
        """
        if description is None:
            description = {
                429: f"Too Many Requests: retry after {retry_after}",
                403: "Forbidden: bot was blocked by the user",
                400: "Bad Request: chat not found",
                401: "Unauthorized",
                409: "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
                502: "Bad Gateway",
            }.get(code, "Internal Server Error")
        parameters = {"retry_after": retry_after} if code == 429 and retry_after else None
        self._failures.append(
            {
                "method": method.lower(),
                "chat_id": _norm_chat_id(chat_id),
                "code": code,
                "description": description,
                "parameters": parameters,
                "remaining": times,
            }
        )

    def clear_failures(self) -> None:
        self._failures.clear()

    def _take_failure(self, method: str, params: dict[str, Any]) -> dict[str, Any] | None:
        for rule in self._failures:
            if rule["method"] != method.lower():
                continue
            if rule["chat_id"] is not None and _norm_chat_id(params.get("chat_id")) != rule["chat_id"]:
                continue
            if rule["remaining"] is not None:
                rule["remaining"] -= 1
                if rule["remaining"] <= 0:
                    self._failures.remove(rule)
            return rule
        return None

    # ------------------------------------------------------------------ recording helpers

    def sent_to(self, chat_id: Any) -> list[dict[str, Any]]:
        chat_id = _norm_chat_id(chat_id)
        return [s for s in self.sent if s["chat_id"] == chat_id]

    def calls(self, method: str) -> list[dict[str, Any]]:
        """Params of every recorded call of ``method`` (case-insensitive)."""
        return [p for m, p in self.requests if m.lower() == method.lower()]

    async def wait_for_sent(self, n: int, timeout: float = 5, chat_id: Any = None) -> list[dict[str, Any]]:
        """Wait until at least ``n`` messages were sent (to ``chat_id`` if given); return them."""
        deadline = time.monotonic() + timeout
        while True:
            signal = self._sent_signal
            current = self.sent if chat_id is None else self.sent_to(chat_id)
            if len(current) >= n:
                return list(current)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                texts = [(s["chat_id"], s["text"]) for s in current]
                raise TimeoutError(f"expected {n} sent message(s) within {timeout}s, got {len(current)}: {texts}")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(signal.wait(), timeout=remaining)

    def max_in_window(self, window: float = 1.0, chat_id: Any = None, include_failed: bool = True) -> int:
        """Largest number of send* calls within any ``window`` seconds.

        Counts attempted calls (including ones answered with an injected/real error) unless
        ``include_failed=False``. Two calls exactly ``window`` apart are not in the same window.
        """
        chat_id = _norm_chat_id(chat_id)
        stamps = sorted(
            c["timestamp"]
            for c in self.call_log
            if c["method"].lower().startswith("send")
            and (include_failed or c["ok"])
            and (chat_id is None or _norm_chat_id(c["params"].get("chat_id")) == chat_id)
        )
        best = 0
        start = 0
        for end, stamp in enumerate(stamps):
            while stamp - stamps[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best

    # ------------------------------------------------------------------ objects

    def _chat(self, chat_id: Any) -> dict[str, Any]:
        chat_id = _norm_chat_id(chat_id)
        if chat_id not in self._chats:
            if isinstance(chat_id, int) and chat_id < 0:
                kind = "supergroup" if str(chat_id).startswith("-100") else "group"
                self._chats[chat_id] = {"id": chat_id, "title": "Test Group", "type": kind}
            else:
                self._chats[chat_id] = {"id": chat_id, "first_name": "Ram", "type": "private"}
        return dict(self._chats[chat_id])

    def _register_chat(self, chat_id: int, chat_type: str, first_name: str) -> dict[str, Any]:
        if chat_type == "private":
            chat = {"id": chat_id, "first_name": first_name, "type": "private"}
        else:
            chat = {"id": chat_id, "title": "Test Group", "type": chat_type}
        self._chats[chat_id] = chat
        return dict(chat)

    def _next_message_id(self, chat_id: Any) -> int:
        chat_id = _norm_chat_id(chat_id)
        self._message_ids[chat_id] = self._message_ids.get(chat_id, 0) + 1
        return self._message_ids[chat_id]

    def _next_update_id(self) -> int:
        self._last_update_id += 1
        return self._last_update_id

    def _user(self, user_id: int, first_name: str) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "en"}

    def _file_ids_pair(self, prefix: str) -> tuple[str, str]:
        n = next(self._file_ids)
        return f"{prefix}-file-{n}-AgADBAAD", f"{prefix}-uniq-{n}"

    # ------------------------------------------------------------------ update builders (no queueing)

    def _base_message(
        self,
        chat_id: int,
        user_id: int | None,
        first_name: str | None,
        chat_type: str | None,
        message_id: int | None,
    ) -> dict[str, Any]:
        known = self._chats.get(chat_id)
        if chat_type is None:
            chat_type = known["type"] if known else ("private" if chat_id > 0 else "group")
        if first_name is None:
            first_name = known.get("first_name", "Ram") if known and chat_type == "private" else "Ram"
        if user_id is None:
            user_id = chat_id if chat_type == "private" else 777000111
        chat = self._register_chat(chat_id, chat_type, first_name)
        if message_id is None:
            message_id = self._next_message_id(chat_id)
            self._last_incoming[chat_id] = message_id
        return {
            "message_id": message_id,
            "from": self._user(user_id, first_name),
            "chat": chat,
            "date": int(time.time()),
        }

    def _wrap(self, key: str, payload: dict[str, Any], update_id: int | None) -> dict[str, Any]:
        return {"update_id": update_id if update_id is not None else self._next_update_id(), key: payload}

    def make_message_update(
        self,
        chat_id: int,
        text: str,
        user_id: int | None = None,
        first_name: str = "Ram",
        chat_type: str = "private",
        update_id: int | None = None,
        message_id: int | None = None,
    ) -> dict[str, Any]:
        message = self._base_message(chat_id, user_id, first_name, chat_type, message_id)
        message["text"] = text
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0] if text.strip() else text
            message["entities"] = [{"offset": 0, "length": _utf16_len(command), "type": "bot_command"}]
        return self._wrap("message", message, update_id)

    def make_callback_update(
        self,
        chat_id: int,
        data: str,
        message_id: int = 1,
        user_id: int | None = None,
        first_name: str = "Ram",
        update_id: int | None = None,
    ) -> dict[str, Any]:
        user_id = chat_id if user_id is None else user_id
        message = self.messages.get((_norm_chat_id(chat_id), message_id))
        if message is not None:
            message = copy.deepcopy(message)
        else:
            message = {
                "message_id": message_id,
                "from": dict(self.bot_user),
                "chat": self._chat(chat_id),
                "date": int(time.time()),
                "text": "Message",
            }
        callback = {
            "id": str(4382000000000000000 + next(self._callback_ids)),
            "from": self._user(user_id, first_name),
            "message": message,
            "chat_instance": str(abs(hash(("chat_instance", chat_id))) % 10**18),
            "data": data,
        }
        return self._wrap("callback_query", callback, update_id)

    def make_sticker_update(self, chat_id: int, user_id: int | None = None, update_id: int | None = None) -> dict:
        message = self._base_message(chat_id, user_id, None, None, None)
        file_id, unique = self._file_ids_pair("sticker")
        message["sticker"] = {
            "file_id": file_id,
            "file_unique_id": unique,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "\U0001f44d",
            "set_name": "TestStickers",
            "file_size": 23000,
        }
        return self._wrap("message", message, update_id)

    def make_photo_update(
        self, chat_id: int, caption: str | None = None, user_id: int | None = None, update_id: int | None = None
    ) -> dict:
        message = self._base_message(chat_id, user_id, None, None, None)
        sizes = []
        for width, height, size in ((90, 67, 1200), (320, 240, 15000), (800, 600, 60000)):
            file_id, unique = self._file_ids_pair("photo")
            sizes.append(
                {"file_id": file_id, "file_unique_id": unique, "width": width, "height": height, "file_size": size}
            )
        message["photo"] = sizes
        if caption is not None:
            message["caption"] = caption
        return self._wrap("message", message, update_id)

    def make_voice_update(self, chat_id: int, user_id: int | None = None, update_id: int | None = None) -> dict:
        message = self._base_message(chat_id, user_id, None, None, None)
        file_id, unique = self._file_ids_pair("voice")
        message["voice"] = {
            "file_id": file_id,
            "file_unique_id": unique,
            "duration": 3,
            "mime_type": "audio/ogg",
            "file_size": 9000,
        }
        return self._wrap("message", message, update_id)

    def make_document_update(
        self,
        chat_id: int,
        file_name: str = "invoice.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        user_id: int | None = None,
        update_id: int | None = None,
    ) -> dict:
        message = self._base_message(chat_id, user_id, None, None, None)
        file_id, unique = self._file_ids_pair("document")
        message["document"] = {
            "file_id": file_id,
            "file_unique_id": unique,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": 34567,
        }
        if caption is not None:
            message["caption"] = caption
        return self._wrap("message", message, update_id)

    def make_location_update(
        self,
        chat_id: int,
        latitude: float = 26.8467,
        longitude: float = 80.9462,
        user_id: int | None = None,
        update_id: int | None = None,
    ) -> dict:
        message = self._base_message(chat_id, user_id, None, None, None)
        message["location"] = {"latitude": latitude, "longitude": longitude}
        return self._wrap("message", message, update_id)

    def make_edited_message_update(
        self,
        chat_id: int,
        text: str,
        message_id: int | None = None,
        user_id: int | None = None,
        first_name: str | None = None,
        update_id: int | None = None,
    ) -> dict:
        if message_id is None:
            message_id = self._last_incoming.get(_norm_chat_id(chat_id), 1)
        message = self._base_message(chat_id, user_id, first_name, None, message_id)
        message["date"] = int(time.time()) - 30
        message["edit_date"] = int(time.time())
        message["text"] = text
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0] if text.strip() else text
            message["entities"] = [{"offset": 0, "length": _utf16_len(command), "type": "bot_command"}]
        return self._wrap("edited_message", message, update_id)

    def make_my_chat_member_update(
        self,
        chat_id: int,
        status: str = "kicked",
        user_id: int | None = None,
        update_id: int | None = None,
    ) -> dict:
        user_id = chat_id if user_id is None else user_id
        bot = dict(self.bot_user)
        now = int(time.time())

        def member(state: str) -> dict[str, Any]:
            data: dict[str, Any] = {"user": bot, "status": state}
            if state == "kicked":
                data["until_date"] = 0
            elif state == "administrator":
                data.update(
                    can_be_edited=False, is_anonymous=False, can_manage_chat=True, can_delete_messages=True,
                    can_manage_video_chats=True, can_restrict_members=True, can_promote_members=False,
                    can_change_info=True, can_invite_users=True, can_post_stories=False,
                    can_edit_stories=False, can_delete_stories=False,
                )
            elif state == "restricted":
                data.update(
                    until_date=0, is_member=True, can_send_messages=False, can_send_audios=False,
                    can_send_documents=False, can_send_photos=False, can_send_videos=False,
                    can_send_video_notes=False, can_send_voice_notes=False, can_send_polls=False,
                    can_send_other_messages=False, can_add_web_page_previews=False, can_change_info=False,
                    can_invite_users=False, can_pin_messages=False, can_manage_topics=False,
                    can_edit_tag=False, can_react_to_messages=False,
                )
            return data

        old = "member" if status in ("kicked", "left", "restricted", "administrator") else "kicked"
        payload = {
            "chat": self._chat(chat_id),
            "from": self._user(user_id, "Ram"),
            "date": now,
            "old_chat_member": member(old),
            "new_chat_member": member(status),
        }
        return self._wrap("my_chat_member", payload, update_id)

    @staticmethod
    def updates_json(update: dict[str, Any] | list[dict[str, Any]]) -> str:
        """JSON text of an update (or a list of them), e.g. to POST to a webhook endpoint."""
        return json.dumps(update, ensure_ascii=False)

    # ------------------------------------------------------------------ update injection

    def add_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates. Re-adding an already seen update_id is allowed: the
        copy is delivered once more (simulating Telegram redelivering an unconfirmed update)."""
        update = copy.deepcopy(update)
        if "update_id" not in update:
            update["update_id"] = self._next_update_id()
        self._last_update_id = max(self._last_update_id, int(update["update_id"]))
        self._queue.append({"update": update, "delivered": False})
        self._wake(self._update_signal_name)
        return update

    def add_message(
        self,
        chat_id: int,
        text: str,
        user_id: int | None = None,
        first_name: str = "Ram",
        chat_type: str = "private",
        update_id: int | None = None,
    ) -> dict[str, Any]:
        return self.add_update(self.make_message_update(chat_id, text, user_id, first_name, chat_type, update_id))

    def add_callback(self, chat_id: int, data: str, message_id: int = 1, user_id: int | None = None) -> dict:
        return self.add_update(self.make_callback_update(chat_id, data, message_id, user_id))

    def add_sticker(self, chat_id: int) -> dict:
        return self.add_update(self.make_sticker_update(chat_id))

    def add_photo(self, chat_id: int, caption: str | None = None) -> dict:
        return self.add_update(self.make_photo_update(chat_id, caption))

    def add_voice(self, chat_id: int) -> dict:
        return self.add_update(self.make_voice_update(chat_id))

    def add_document(self, chat_id: int, file_name: str = "invoice.pdf", caption: str | None = None) -> dict:
        return self.add_update(self.make_document_update(chat_id, file_name=file_name, caption=caption))

    def add_location(self, chat_id: int, latitude: float = 26.8467, longitude: float = 80.9462) -> dict:
        return self.add_update(self.make_location_update(chat_id, latitude, longitude))

    def add_edited_message(self, chat_id: int, text: str, message_id: int | None = None) -> dict:
        return self.add_update(self.make_edited_message_update(chat_id, text, message_id))

    def add_my_chat_member(self, chat_id: int, status: str = "kicked") -> dict:
        return self.add_update(self.make_my_chat_member_update(chat_id, status))

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates still in the queue (not yet confirmed by a later offset)."""
        return [entry["update"] for entry in self._queue]

    # ------------------------------------------------------------------ method handlers

    async def _true(self, params: dict[str, Any], now: float) -> bool:
        return True

    async def _get_me(self, params: dict[str, Any], now: float) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _delete_webhook(self, params: dict[str, Any], now: float) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._queue.clear()
        return True

    async def _set_webhook(self, params: dict[str, Any], now: float) -> bool:
        url = params.get("url", "")
        if not url:
            self.webhook = None
        else:
            self.webhook = dict(params)
        if params.get("drop_pending_updates"):
            self._queue.clear()
        return True

    def _select_updates(self, offset: int | None, limit: int, allowed: Any) -> list[dict[str, Any]]:
        if offset is not None:
            if offset < 0:
                self._queue = self._queue[offset:]
            else:
                self._queue = [
                    e for e in self._queue if not (e["delivered"] and e["update"]["update_id"] < offset)
                ]
        if isinstance(allowed, list) and allowed:
            wanted = set(allowed)
        else:
            wanted = None
        batch = []
        for entry in sorted(self._queue, key=lambda e: e["update"]["update_id"]):
            kinds = set(entry["update"]) - {"update_id"}
            if wanted is not None and not kinds & wanted:
                self._queue.remove(entry)  # Telegram never stores updates the bot didn't ask for
                continue
            if wanted is None and kinds <= _OPT_IN_UPDATE_TYPES:
                self._queue.remove(entry)
                continue
            batch.append(entry)
            if len(batch) >= limit:
                break
        return batch

    async def _get_updates(self, params: dict[str, Any], now: float) -> list[dict[str, Any]]:
        if self.webhook:
            raise TelegramAPIError(
                409, "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first"
            )
        offset = params.get("offset")
        offset = int(offset) if offset is not None else None
        limit = max(1, min(int(params.get("limit") or 100), 100))
        timeout = min(float(params.get("timeout") or 0), self.max_poll_timeout)
        allowed = params.get("allowed_updates")

        # A newer getUpdates terminates an older one that is still waiting (real API: 409).
        if self._active_poll is not None:
            self._active_poll["terminated"] = True
            self._active_poll["event"].set()
        poll = {"terminated": False, "event": asyncio.Event()}
        self._active_poll = poll
        try:
            deadline = now + timeout
            while True:
                signal = self._update_signal
                batch = self._select_updates(offset, limit, allowed)
                remaining = deadline - time.monotonic()
                if batch or remaining <= 0 or self._closing:
                    break
                waiters = [asyncio.ensure_future(signal.wait()), asyncio.ensure_future(poll["event"].wait())]
                try:
                    await asyncio.wait(waiters, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for waiter in waiters:
                        waiter.cancel()
                if poll["terminated"]:
                    raise TelegramAPIError(
                        409, "Conflict: terminated by other getUpdates request; "
                        "make sure that only one bot instance is running"
                    )
        finally:
            if self._active_poll is poll:
                self._active_poll = None
        for entry in batch:
            entry["delivered"] = True
        return [copy.deepcopy(entry["update"]) for entry in batch]

    def _record_sent(self, method: str, params: dict[str, Any], now: float, message: dict | None, **extra: Any) -> dict:
        record = {
            "method": method,
            "chat_id": _norm_chat_id(params.get("chat_id")),
            "text": params.get("text", params.get("caption")),
            "reply_markup": params.get("reply_markup") if isinstance(params.get("reply_markup"), dict) else None,
            "parse_mode": params.get("parse_mode"),
            "timestamp": now,
            "message_id": (message or {}).get("message_id", params.get("message_id")),
            "params": params,
            **extra,
        }
        self.sent.append(record)
        self._wake(self._sent_signal_name)
        return record

    def _render_text(self, text: str, parse_mode: Any, limit: int, what: str) -> str:
        """Validate like Telegram and return the text as Telegram stores it.

        The bot sends plain text only (nothing to escape), so any parse mode is refused here.
        """
        if parse_mode:
            raise TelegramAPIError(400, f"Bad Request: parse_mode {parse_mode!r}: the bot sends plain text only")
        plain = text
        if not plain.strip():
            raise TelegramAPIError(400, f"Bad Request: {what} text is empty")
        if _utf16_len(plain) > limit:
            raise TelegramAPIError(400, f"Bad Request: {what} is too long")
        return plain

    def _require_chat(self, params: dict[str, Any]) -> Any:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise TelegramAPIError(400, "Bad Request: chat_id is empty")
        if not isinstance(chat_id, int):
            raise TelegramAPIError(400, "Bad Request: chat not found")
        return chat_id

    @staticmethod
    def _apply_markup(message: dict[str, Any], markup: Any) -> None:
        # Telegram echoes only inline keyboards in the returned Message.
        if isinstance(markup, dict) and markup.get("inline_keyboard"):
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)

    async def _send_message(self, params: dict[str, Any], now: float) -> dict[str, Any]:
        chat_id = self._require_chat(params)
        text = params.get("text")
        if not isinstance(text, str) or not text:
            raise TelegramAPIError(400, "Bad Request: message text is empty")
        plain = self._render_text(text, params.get("parse_mode"), MAX_MESSAGE_LENGTH, "message")
        message = {
            "message_id": self._next_message_id(chat_id),
            "from": dict(self.bot_user),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            "text": plain,
        }
        self._apply_markup(message, params.get("reply_markup"))
        self.messages[(chat_id, message["message_id"])] = message
        self._record_sent("sendMessage", params, now, message)
        return copy.deepcopy(message)

    def _message_for_edit(self, params: dict[str, Any]) -> tuple[Any, dict[str, Any] | None, bool]:
        if params.get("inline_message_id"):
            return None, None, True
        chat_id = self._require_chat(params)
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise TelegramAPIError(400, "Bad Request: message identifier is not specified")
        known = self.messages.get((chat_id, message_id))
        if known is None:
            # Lenient: the fake may not have seen the message (e.g. add_callback on message 1).
            known = {
                "message_id": message_id,
                "from": dict(self.bot_user),
                "chat": self._chat(chat_id),
                "date": int(time.time()) - 1,
                "text": "Message",
            }
            self.messages[(chat_id, message_id)] = known
            return chat_id, known, False
        return chat_id, known, True

    async def _edit_message_text(self, params: dict[str, Any], now: float) -> Any:
        text = params.get("text")
        if not isinstance(text, str) or not text:
            raise TelegramAPIError(400, "Bad Request: message text is empty")
        plain = self._render_text(text, params.get("parse_mode"), MAX_MESSAGE_LENGTH, "message")
        chat_id, message, known = self._message_for_edit(params)
        markup = params.get("reply_markup")
        if message is None:  # inline message
            self._record_sent("editMessageText", params, now, None)
            return True
        if known and message.get("text") == plain and message.get("reply_markup") == (
            markup if isinstance(markup, dict) and markup.get("inline_keyboard") else None
        ):
            raise TelegramAPIError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        message["text"] = plain
        message.pop("caption", None)
        message["edit_date"] = int(time.time())
        self._apply_markup(message, markup)
        self._record_sent("editMessageText", params, now, message)
        return copy.deepcopy(message)

    async def _set_my_commands(self, params: dict[str, Any], now: float) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise TelegramAPIError(400, "Bad Request: can't parse commands JSON object")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise TelegramAPIError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise TelegramAPIError(400, "Bad Request: command description is empty")
        self.commands[params.get("language_code") or ""] = params
        return True

    async def _send_document(self, params: dict[str, Any], now: float) -> dict[str, Any]:
        chat_id = self._require_chat(params)
        document = params.get("document")
        if isinstance(document, str) and document.startswith("attach://"):
            document = params.get(document[len("attach://"):])
        caption = params.get("caption")
        plain_caption = None
        if caption:
            plain_caption = self._render_text(caption, params.get("parse_mode"), MAX_CAPTION_LENGTH, "message caption")
        file_id, unique = self._file_ids_pair("document")
        if isinstance(document, dict):  # uploaded file
            file_name, content, mime = document["file_name"], document["content"], document["mime_type"]
        elif isinstance(document, str) and document:  # file_id or URL
            file_name, content, mime = None, None, None
            file_id = document
        else:
            raise TelegramAPIError(400, "Bad Request: there is no document in the request")
        doc: dict[str, Any] = {"file_id": file_id, "file_unique_id": unique}
        if file_name:
            doc["file_name"] = file_name
        if mime:
            doc["mime_type"] = mime
        if content is not None:
            doc["file_size"] = len(content)
        message = {
            "message_id": self._next_message_id(chat_id),
            "from": dict(self.bot_user),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            "document": doc,
        }
        if plain_caption:
            message["caption"] = plain_caption
        self._apply_markup(message, params.get("reply_markup"))
        self.messages[(chat_id, message["message_id"])] = message
        self._record_sent(
            "sendDocument", params, now, message, file_name=file_name, file_bytes=content, mime_type=mime
        )
        return copy.deepcopy(message)
