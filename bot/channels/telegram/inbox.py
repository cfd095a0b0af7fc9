"""Durable Telegram updates: stored in SQLite before Telegram is told they arrived, answered from there.

Webhook: the update is checked against the shapes the bot reads and stored,
then 200. Polling: each batch from ``getUpdates`` is stored before the next
call's offset confirms it. One :class:`~bot.services.inbox.InboxWorker`
answers the stored updates with python-telegram-bot's ``process_update``; an
update it cannot parse is marked ``bad`` and skipped, a reply that failed to
send is retried with back-off (only the messages not yet sent).
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from typing import Any

import httpx
from telegram import Update
from telegram.error import NetworkError, RetryAfter
from telegram.ext import Application

from ...core.texts import t
from ...services.conversation import anonymise
from ...services.inbox import InboxWorker, Retry, replies_from_json
from ...store import DATABASE_ERRORS
from ..webhooks import BadBody, check_value, loads_lenient
from .handlers import CHANNEL, CURRENT, RowContext, deliver
from .sender import retry_seconds

log = logging.getLogger("exportbot.telegram")

MAX_ID = 2 ** 52                  # Telegram ids fit in 52 bits
MAX_TEXT = 10_000                 # Telegram's own limit is 4,096 UTF-16 units
CALLBACK_DATA_MAX = 64            # bytes
MESSAGE_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post", "business_message",
                 "edited_business_message")
MEMBER_KINDS = ("my_chat_member", "chat_member")
POLL_TIMEOUT = 10.0


class BadUpdate(ValueError):
    """Not the shape of a Telegram update the bot reads."""


def _obj(parent: dict[str, Any], key: str, required: bool = True) -> dict[str, Any] | None:
    value = parent.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        raise BadUpdate(f"{key} is not an object")
    return value


def _id(parent: dict[str, Any], key: str, required: bool = True) -> int | None:
    value = parent.get(key)
    if value is None and not required:
        return None
    if type(value) is not int or not -MAX_ID < value < MAX_ID:
        raise BadUpdate(f"{key} is not an id")
    return value


def _str(parent: dict[str, Any], key: str, limit: int = MAX_TEXT, required: bool = False) -> None:
    value = parent.get(key)
    if value is None and not required:
        return
    if not isinstance(value, str) or len(value) > limit:
        raise BadUpdate(f"{key} is not text")


def _user(parent: dict[str, Any], key: str, required: bool = True) -> None:
    user = _obj(parent, key, required)
    if user is not None:
        _id(user, "id")
        _str(user, "first_name", 256)
        _str(user, "language_code", 35)


def _message(message: dict[str, Any]) -> int:
    chat = _obj(message, "chat")
    assert chat is not None
    chat_id = _id(chat, "id")
    _str(chat, "type", 32, required=True)
    _id(message, "message_id")
    _id(message, "date", required=False)
    _user(message, "from", required=False)
    _str(message, "text")
    _str(message, "caption")
    for key in ("entities", "caption_entities"):
        entities = message.get(key)
        if entities is None:
            continue
        if not isinstance(entities, list):
            raise BadUpdate(f"{key} is not a list")
        for entity in entities:
            if not isinstance(entity, dict):
                raise BadUpdate("an entity is not an object")
            _id(entity, "offset")
            _id(entity, "length")
            _str(entity, "type", 64, required=True)
    assert chat_id is not None
    return chat_id


def validate_update(raw: Any) -> tuple[int, str]:
    """(update id, chat id or '') of an update whose fields the bot reads have the right types and ranges."""
    if not isinstance(raw, dict):
        raise BadUpdate("not an object")
    update_id = _id(raw, "update_id")
    assert update_id is not None
    if update_id < 0:
        raise BadUpdate("negative update_id")
    kinds = [k for k in raw if k != "update_id"]
    if len(kinds) != 1:
        raise BadUpdate("not exactly one kind of update")
    kind = kinds[0]
    body = _obj(raw, kind)
    assert body is not None
    chat = ""
    if kind in MESSAGE_KINDS:
        chat = str(_message(body))
    elif kind == "callback_query":
        _str(body, "id", 256, required=True)
        _user(body, "from")
        data = body.get("data")
        if data is not None and (not isinstance(data, str) or len(data.encode("utf-8", "replace")) > CALLBACK_DATA_MAX):
            raise BadUpdate("callback data is not short text")
        message = _obj(body, "message", required=False)
        if message is not None:
            chat = str(_message(message))
    elif kind in MEMBER_KINDS:
        chat_obj = _obj(body, "chat")
        assert chat_obj is not None
        chat = str(_id(chat_obj, "id"))
        _str(chat_obj, "type", 32, required=True)
        _user(body, "from")
        member = _obj(body, "new_chat_member")
        assert member is not None
        _str(member, "status", 32, required=True)
        _user(member, "user")
    try:
        check_value(raw)
    except BadBody as exc:
        raise BadUpdate(exc.reason) from None
    return update_id, chat


def _lang_of(payload: str) -> str:
    """The user's language from the update itself (for when the database cannot be read)."""
    with contextlib.suppress(Exception):
        raw = json.loads(payload)
        body = next(v for k, v in raw.items() if k != "update_id")
        user = body.get("from") or {}
        if str(user.get("language_code") or "").startswith("hi"):
            return "hi"
    return "en"


class TelegramInbox:
    """Stores updates (from the webhook or from polling) and answers them from the store."""

    def __init__(self, application: Application, store: Any, **worker: Any):
        self.application = application
        self.store = store
        self.worker = InboxWorker(store, CHANNEL, self.handle, apologise=self.apologise, slow_down=self.slow_down,
                                  **worker)

    @property
    def bot(self) -> Any:
        return self.application.bot

    # ------------------------------------------------------------ in

    async def receive(self, raw: Any) -> bool:
        """Store one update from the webhook (:class:`BadUpdate` if malformed); False if already stored."""
        update_id, chat = validate_update(raw)
        try:
            return await self._store(update_id, chat, raw)
        except DATABASE_ERRORS:
            await self.store.rollback()          # the next delivery starts with a clean transaction
            raise

    async def _store(self, update_id: int, chat: str, raw: Any) -> bool:
        payload = json.dumps(raw, ensure_ascii=False, separators=(",", ":"))
        key = str(update_id)
        if await self.store.inbox_add(CHANNEL, key, chat, payload):
            self.worker.wake()
            return True
        stored = await self.store.inbox_payload(CHANNEL, key)
        if stored is not None and stored != payload:
            # Same id, other content: a new Bot API server counting from the start again. Keep both.
            key = f"{update_id}:{hashlib.sha256(payload.encode()).hexdigest()[:12]}"
            if await self.store.inbox_add(CHANNEL, key, chat, payload):
                self.worker.wake()
                return True
        log.info("update %s already received; not answered again", update_id)
        return False

    async def store_polled(self, raw: Any) -> int | None:
        """Store one update from getUpdates; return its id (to confirm), or None if it has no usable id."""
        update_id = raw.get("update_id") if isinstance(raw, dict) else None
        if type(update_id) is not int or not 0 <= update_id < MAX_ID:
            log.warning("getUpdates returned an update without a usable update_id; skipped")
            return None
        try:
            _, chat = validate_update(raw)
        except BadUpdate as exc:
            log.warning("update %s is malformed (%s); kept as 'bad' and skipped", update_id, exc)
            await self.store.inbox_add_bad(CHANNEL, str(update_id), json.dumps(raw, ensure_ascii=True)[:65536],
                                           str(exc))
            return update_id
        await self._store(update_id, chat, raw)
        return update_id

    async def poll(self, stop: asyncio.Event, base_url: str, token: str, timeout: float = POLL_TIMEOUT) -> None:
        """Long polling: store each batch, then confirm it with the next call's offset."""
        url = f"{base_url}{token}/getUpdates"
        offset: int | None = None
        delay = 1.0
        async with httpx.AsyncClient(timeout=timeout + 15) as http:
            while not stop.is_set():
                try:
                    params: dict[str, Any] = {"timeout": timeout, "allowed_updates": list(Update.ALL_TYPES)}
                    if offset is not None:
                        params["offset"] = offset
                    call = asyncio.create_task(http.post(url, json=params))
                    stopper = asyncio.create_task(stop.wait())
                    await asyncio.wait({call, stopper}, return_when=asyncio.FIRST_COMPLETED)
                    stopper.cancel()
                    if not call.done():
                        call.cancel()
                        with contextlib.suppress(BaseException):
                            await call
                        return
                    response = call.result()
                    data = loads_lenient(response.content)
                    if not isinstance(data, dict) or data.get("ok") is not True or not isinstance(data.get("result"), list):
                        description = data.get("description") if isinstance(data, dict) else None
                        raise ConnectionError(f"HTTP {response.status_code}: {str(description)[:200]}")
                    for raw in data["result"]:
                        update_id = await self.store_polled(raw)
                        if update_id is not None:
                            offset = max(offset or 0, update_id + 1)
                    delay = 1.0
                except (httpx.HTTPError, ConnectionError, ValueError, RecursionError, *DATABASE_ERRORS) as exc:
                    if isinstance(exc, DATABASE_ERRORS):
                        await self.store.rollback()
                    log.warning("getUpdates failed (%s: %s); trying again in %.0fs", type(exc).__name__,
                                str(exc)[:200], delay)
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(stop.wait(), delay)
                    delay = min(delay * 2, 30.0)

    # ------------------------------------------------------------ out

    async def handle(self, row: Any) -> str:
        """Answer one stored update (or finish sending its replies)."""
        if row.replies is not None:
            chat_id, replies = replies_from_json(row.replies)
            try:
                await deliver(self.bot, self.store, row, int(chat_id), replies, start=row.sent)
            except (RetryAfter, NetworkError) as exc:
                raise _retry(exc) from None
            return "done"
        try:
            update = Update.de_json(json.loads(row.payload), self.bot)
        except Exception as exc:  # noqa: BLE001 - python-telegram-bot cannot read it: skip it, once
            log.warning("update %s cannot be read (%s); skipped", row.message_id, type(exc).__name__)
            return "bad"
        context = RowContext(row)
        token = CURRENT.set(context)
        try:
            await self.application.process_update(update)
        finally:
            CURRENT.reset(token)
        error = context.error
        if error is None:
            return "done"
        if isinstance(error, DATABASE_ERRORS):
            raise error
        if context.sent:          # the replies went out before the error: count the last one too (see deliver)
            await self.store.inbox_sent(CHANNEL, row.message_id, context.sent)
        if isinstance(error, (RetryAfter, NetworkError)):
            raise _retry(error)
        log.error("update %s broke a handler (%s); the user was told and it was skipped", row.message_id,
                  type(error).__name__, exc_info=error)
        if row.chat_id:
            await self._tell(row, "error")
        return "failed"

    async def apologise(self, row: Any) -> None:
        if row.chat_id:
            await self._tell(row, "error")

    async def slow_down(self, row: Any) -> None:
        if row.chat_id:
            await self._tell(row, "slow_down")
            log.info("user=%s is sending very fast; throttled", anonymise(CHANNEL, row.chat_id))

    async def _tell(self, row: Any, key: str) -> None:
        lang = _lang_of(row.payload)
        with contextlib.suppress(DATABASE_ERRORS):
            record = await self.store.get_user(CHANNEL, row.chat_id)
            if record is not None and record.state.lang:
                lang = record.state.lang
        await self.bot.send_message(int(row.chat_id), t(key, lang))


def _retry(exc: Exception) -> Retry:
    after = retry_seconds(exc) if isinstance(exc, RetryAfter) else None
    return Retry(f"Telegram: {type(exc).__name__}", after=after)
