"""A lean Bot API double for throughput runs: Telegram's side of a webhook bot, cheap enough not to be the bottleneck.

tests/fakes/telegram_api.py is the faithful double the tests use (uvicorn + Starlette, every call recorded
with its parameters); at a few hundred messages a second its own work would weigh as much as the bare bot's.
This one speaks the same HTTP on 127.0.0.1 with plain asyncio streams and does only what a webhook bot needs:

* ``/bot<token>/<method>`` for getMe, setWebhook, deleteWebhook, setMyCommands, sendMessage,
  answerCallbackQuery (form-encoded, as python-telegram-bot sends them, or JSON); a sent message comes back as
  a Message the way Telegram returns it (chat, date, text, reply_markup), others are ``{"ok": true}``;
* delivers updates the way Telegram does to a webhook: HTTP POST of the update's JSON with the
  ``X-Telegram-Bot-Api-Secret-Token`` header, over a pool of at most ``max_connections`` (Telegram's default 40)
  keep-alive connections, to the URL set with setWebhook, or round robin to ``targets`` (a load balancer in
  front of several workers);
* times each update from the moment its POST starts to the first message sent back to its chat (each update
  comes from a chat of its own, so a reply names its update), counts every message per chat, and those that
  repeat a text already sent to that chat (an update answered twice).
"""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

JSON_FIELDS = {"reply_markup", "allowed_updates", "commands", "scope", "link_preview_options", "reply_parameters",
               "entities"}


@dataclass
class Pending:
    """An update delivered and not yet answered."""

    posted: float
    answered: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class LeanBotAPI:
    def __init__(self, token: str, *, max_connections: int = 40):
        self.token = token
        self.max_connections = max_connections
        self.bot_user = {"id": int(token.split(":")[0]), "is_bot": True, "first_name": "ExportBot",
                         "username": "export_bench_bot"}
        self.webhook: dict[str, Any] | None = None
        self.targets: list[str] = []              # set by the bench: workers behind a load balancer
        self.pending: dict[int, Pending] = {}     # chat id -> update waiting for its first reply
        self.latencies: list[float] = []          # seconds, update posted -> first reply, in order of replies
        self.messages: dict[int, int] = {}        # chat id -> messages sent to it
        self.repeated: dict[int, int] = {}        # chat id -> messages that repeated one already sent to it
        self._texts: dict[int, set[int]] = {}
        self.calls: dict[str, int] = {}
        self.webhook_errors = 0
        self._update_ids = itertools.count(int(time.time() * 1000))   # not reused by a later run on the same database
        self._message_ids = itertools.count(1)
        self._server: asyncio.AbstractServer | None = None
        self._pools: dict[tuple[str, int], _Pool] = {}
        self._rr = itertools.count()
        self.port = 0

    # ------------------------------------------------------------ life cycle

    async def start(self) -> "LeanBotAPI":
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    @property
    def base_url(self) -> str:
        """What TELEGRAM_API_BASE_URL is set to (the token follows it)."""
        return f"http://127.0.0.1:{self.port}/bot"

    def reset(self) -> None:
        """Forget what was measured (between phases); replies still owed keep their chats."""
        self.latencies.clear()

    # ------------------------------------------------------------ Telegram -> bot

    def make_update(self, chat_id: int, text: str, lang: str = "en") -> dict[str, Any]:
        user = {"id": chat_id, "is_bot": False, "first_name": "Ram", "language_code": lang}
        return {"update_id": next(self._update_ids),
                "message": {"message_id": next(self._message_ids), "date": int(time.time()),
                            "chat": {"id": chat_id, "type": "private", "first_name": "Ram"},
                            "from": user, "text": text}}

    async def deliver(self, update: dict[str, Any]) -> Pending:
        """POST one update to the webhook (or the next target); return what waits for its reply."""
        chat_id = update["message"]["chat"]["id"]
        body = json.dumps(update, ensure_ascii=False).encode()
        url = self.targets[next(self._rr) % len(self.targets)] if self.targets else (self.webhook or {}).get("url")
        if not url:
            raise RuntimeError("no webhook set")
        parts = urlsplit(url)
        key = (parts.hostname or "127.0.0.1", parts.port or 80)
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = _Pool(*key, self.max_connections)
        secret = (self.webhook or {}).get("secret_token") or ""
        head = (f"POST {parts.path} HTTP/1.1\r\nHost: {key[0]}:{key[1]}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nX-Telegram-Bot-Api-Secret-Token: {secret}\r\n\r\n").encode()
        pending = Pending(time.perf_counter())
        self.pending[chat_id] = pending
        status = await pool.request(head + body)
        if status != 200:
            self.webhook_errors += 1
        return pending

    # ------------------------------------------------------------ bot -> Telegram

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method_line, headers = lines[0], {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                body = await reader.readexactly(length) if length else b""
                path = method_line.split(" ")[1]
                status, payload = self._call(path, headers.get("content-type", ""), body)
                data = json.dumps(payload, ensure_ascii=False).encode()
                writer.write(f"HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\n"
                             f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
                await writer.drain()
        except ConnectionError:
            return
        finally:
            writer.close()

    def _call(self, path: str, content_type: str, body: bytes) -> tuple[int, dict[str, Any]]:
        path, _, query = path.partition("?")
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        method = path[len(prefix):].lower()
        params: dict[str, Any] = dict(parse_qsl(query))
        if content_type.startswith("application/json") and body:
            params.update(json.loads(body))
        elif body:
            for key, value in parse_qsl(body.decode(), keep_blank_values=True):
                params[key] = json.loads(value) if key in JSON_FIELDS else value
        self.calls[method] = self.calls.get(method, 0) + 1
        if method == "sendmessage":
            return 200, {"ok": True, "result": self._send_message(params)}
        if method == "getme":
            return 200, {"ok": True, "result": self.bot_user}
        if method == "setwebhook":
            self.webhook = params
            return 200, {"ok": True, "result": True}
        if method in ("deletewebhook", "setmycommands", "answercallbackquery"):
            return 200, {"ok": True, "result": True}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        now = time.perf_counter()
        chat_id = int(params["chat_id"])
        self.messages[chat_id] = self.messages.get(chat_id, 0) + 1
        seen = self._texts.setdefault(chat_id, set())
        key = hash(params.get("text", ""))
        if key in seen:
            self.repeated[chat_id] = self.repeated.get(chat_id, 0) + 1
        seen.add(key)
        pending = self.pending.pop(chat_id, None)
        if pending is not None:
            self.latencies.append(now - pending.posted)
            if not pending.answered.done():
                pending.answered.set_result(now)
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": {"id": chat_id, "type": "private", "first_name": "Ram"}, "from": self.bot_user,
                   "text": params.get("text", "")}
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message


class _Pool:
    """Keep-alive HTTP/1.1 connections to one host, at most ``size`` at a time (Telegram's max_connections)."""

    def __init__(self, host: str, port: int, size: int):
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(size)

    async def request(self, data: bytes) -> int:
        """Send one request and read the answer; 0 if it could not be sent even on a fresh connection."""
        async with self.slots:
            while self.idle:                   # the server may have closed an idle connection: then a fresh one
                status = await self._exchange(self.idle.pop(), data)
                if status:
                    return status
            try:
                conn = await asyncio.open_connection(self.host, self.port)
            except OSError:
                return 0
            return await self._exchange(conn, data)

    async def _exchange(self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], data: bytes) -> int:
        reader, writer = conn
        try:
            writer.write(data)
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ")[1])
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if length:
                await reader.readexactly(length)
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            writer.close()
            return 0
        self.idle.append(conn)
        return status

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


async def _serve_alone(token: str) -> None:
    """Serve until stdin closes, after printing the base URL (bench/update_breakdown.py runs it in a process of
    its own, so that its work is not the bot's)."""
    api = await LeanBotAPI(token).start()
    print(api.base_url, flush=True)
    loop = asyncio.get_running_loop()
    closed = loop.create_future()
    loop.add_reader(0, lambda: closed.done() or (not os.read(0, 1) and closed.set_result(None)))
    await closed
    await api.stop()


if __name__ == "__main__":
    asyncio.run(_serve_alone(sys.argv[1]))
