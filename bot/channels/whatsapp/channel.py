"""WhatsApp channel: webhook payloads in, the shared conversation, Cloud API messages out.

The webhook stores each delivered message in the SQLite inbox (unique on its
``wamid``) and answers 200 at once; a worker then processes the inbox, so a
redelivered message is answered once, even across a restart. Rendering fits
WhatsApp's limits: ≤ 3 reply buttons (titles ≤ 20), lists of ≤ 10 rows
(titles ≤ 24, descriptions ≤ 72), interactive bodies ≤ 1,024 characters.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from ...core.dialogue import Incoming, Reply
from ...core.entities import clip
from ...core.normalise import has_devanagari
from ...core.texts import t
from ...services.conversation import anonymise
from ...services.inbox import InboxWorker, Retry, replies_from_json, replies_to_json
from ...services.runtime import Runtime
from ...store import DATABASE_ERRORS
from ..limits import (BUTTON_TITLE_MAX, BUTTONS_MAX, INTERACTIVE_BODY_MAX, ROW_DESCRIPTION_MAX, ROW_TITLE_MAX,
                      ROWS_MAX, TEXT_MAX, split_text)
from .client import ConfigurationError, GraphError, Uncertain, WhatsAppClient, WindowClosed

CHANNEL = "whatsapp"
log = logging.getLogger("exportbot.whatsapp")


def valid_signature(body: bytes, header: str | None, app_secret: str) -> bool:
    """X-Hub-Signature-256: 'sha256=' + HMAC-SHA256(raw body, app secret), compared in constant time."""
    if not header or not app_secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header[len("sha256="):].lower(), expected)


WA_ID = re.compile(r"^[0-9]{5,20}$")                       # a phone number in international form, digits only
BSUID = re.compile(r"^[A-Z]{2}\.(ENT\.)?[0-9A-Za-z]{1,64}$")   # a username user's id, e.g. US.13491208655302741918
MESSAGE_ID_MAX = 256
TEXT_MAX_IN = 10_000
STATUSES = ("sent", "delivered", "read", "failed", "deleted")
QUIET_TYPES = ("reaction", "revoke", "edit", "system", "deleted", "ephemeral")   # answered with nothing


class BadPayload(ValueError):
    """Not the shape of a WhatsApp Cloud API delivery the bot reads."""


@dataclass(frozen=True)
class Inbound:
    wamid: str
    wa_id: str                 # phone number (wa_id) or, for a username user, the BSUID
    message: dict[str, Any]


@dataclass(frozen=True)
class Status:
    wamid: str
    recipient: str
    status: str
    error_code: int | None


def _list(parent: dict[str, Any], key: str) -> list[Any]:
    value = parent.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadPayload(f"{key} is not a list")
    return value


def _dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadPayload(f"{what} is not an object")
    return value


def _text(parent: dict[str, Any], key: str, limit: int, required: bool = False) -> str | None:
    value = parent.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > limit:
        raise BadPayload(f"{key} is not text")
    return value


def _sender(value: Any) -> str:
    if not isinstance(value, str) or not (WA_ID.match(value) or BSUID.match(value)):
        raise BadPayload("the sender is not a WhatsApp id")
    return value


def _message(message: dict[str, Any], contacts: list[dict[str, Any]]) -> Inbound:
    wamid = _text(message, "id", MESSAGE_ID_MAX, required=True)
    kind = _text(message, "type", 64, required=True)
    if "from" in message:
        sender = _sender(message["from"])
    elif "from_user_id" in message:
        sender = _sender(message["from_user_id"])
    elif len(contacts) == 1 and ("wa_id" in contacts[0] or "user_id" in contacts[0]):
        sender = _sender(contacts[0].get("wa_id") or contacts[0].get("user_id"))
    else:
        raise BadPayload("a message without a sender")
    timestamp = message.get("timestamp")
    if timestamp is not None and not (isinstance(timestamp, str) and timestamp.isascii() and timestamp.isdigit()
                                      and len(timestamp) <= 12):
        raise BadPayload("timestamp is not a number")
    if kind == "text":
        _text(_dict(message.get("text"), "text"), "body", TEXT_MAX_IN, required=True)
    elif kind == "interactive" and "interactive" in message:       # without it: an error notice from Meta
        interactive = _dict(message["interactive"], "interactive")
        for key in ("button_reply", "list_reply"):
            if key in interactive:
                _text(_dict(interactive[key], key), "id", 256, required=True)
    elif kind == "button":
        _text(_dict(message.get("button"), "button"), "payload", 1024)
    assert wamid is not None
    return Inbound(wamid, sender, message)


def _status(status: dict[str, Any]) -> Status | None:
    """A message status; None for other statuses (calls, for instance), which are not delivery statuses."""
    if status.get("type") not in (None, "message") or status.get("status") not in STATUSES:
        return None
    wamid = _text(status, "id", MESSAGE_ID_MAX, required=True)
    recipient = _sender(status.get("recipient_id") or status.get("recipient_user_id"))
    code = None
    errors = _list(status, "errors")
    if errors:
        first = _dict(errors[0], "error")
        code = first.get("code")
        if code is not None and (type(code) is not int or not 0 <= code < 10 ** 7):
            raise BadPayload("error code is not a number")
    assert wamid is not None
    return Status(wamid, recipient, str(status["status"]), code)


def parse_payload(payload: Any) -> tuple[list[Inbound], list[Status]]:
    """Messages and statuses of a Cloud API webhook delivery; :class:`BadPayload` if a field the bot reads has
    the wrong type or range (then nothing of it is kept). Other fields and other kinds of change are ignored."""
    payload = _dict(payload, "the delivery")
    inbound: list[Inbound] = []
    statuses: list[Status] = []
    for entry in _list(payload, "entry"):
        for change in _list(_dict(entry, "entry"), "changes"):
            value = _dict(change, "change").get("value")
            if value is None:
                continue
            value = _dict(value, "value")
            contacts = [_dict(c, "contact") for c in _list(value, "contacts")]
            for message in _list(value, "messages"):
                inbound.append(_message(_dict(message, "message"), contacts))
            for status in _list(value, "statuses"):
                parsed = _status(_dict(status, "status"))
                if parsed is not None:
                    statuses.append(parsed)
    return inbound, statuses


def to_incoming(message: dict[str, Any]) -> Incoming | None:
    """What the conversation sees of a message; None for what a person expects no answer to (reactions,
    deletions, edits, system notices)."""
    kind = message.get("type")
    if kind == "text":
        body = (message.get("text") or {}).get("body", "")
        stripped = body.strip()
        if stripped.startswith("/") and len(stripped) > 1 and " " not in stripped:
            return Incoming("command", stripped[1:].lower())
        return Incoming("text", body)
    if kind == "interactive":
        interactive = message.get("interactive") or {}
        reply = interactive.get("button_reply") or interactive.get("list_reply")
        if not reply:
            return None
        return Incoming("button", str(reply.get("id", "")))
    if kind == "button":   # a quick-reply button of a template message
        return Incoming("button", str((message.get("button") or {}).get("payload", "")))
    if kind == "request_welcome":   # the user opened the chat for the first time: greet them
        return Incoming("command", "start")
    if kind in QUIET_TYPES:
        return None
    return Incoming("media")          # images, audio, stickers, locations, unsupported kinds...


def render(reply: Reply) -> list[tuple[str, Any]]:
    """A reply as WhatsApp messages: ("text", body) | ("buttons", body, [(id, title)]) | ("list", body, label, rows)
    | ("document", (file name, content))."""
    lang = "hi" if has_devanagari(reply.text) else "en"
    buttons = [b for row in reply.buttons for b in row]
    if not buttons:
        return [("text", chunk) for chunk in split_text(reply.text, TEXT_MAX)] + _attachment(reply)
    out: list[tuple[str, Any]] = []
    body = reply.text
    if len(body) > INTERACTIVE_BODY_MAX:
        out += [("text", chunk) for chunk in split_text(body, TEXT_MAX)]
        body = t("choose_below", lang)
    if len(buttons) <= BUTTONS_MAX and all(len(b.label) <= BUTTON_TITLE_MAX for b in buttons):
        out.append(("buttons", body, [(b.data, b.label) for b in buttons]))
        return out + _attachment(reply)
    if len(buttons) > ROWS_MAX:
        log.warning("a reply had %d buttons; WhatsApp lists show %d", len(buttons), ROWS_MAX)
    rows = []
    for b in buttons[:ROWS_MAX]:
        title = clip(b.label, ROW_TITLE_MAX)
        rows.append((b.data, title, clip(b.label, ROW_DESCRIPTION_MAX) if title != b.label else ""))
    out.append(("list", body, t("b_choose", lang), rows))
    return out + _attachment(reply)


def _attachment(reply: Reply) -> list[tuple[str, Any]]:
    return [("document", reply.attachment)] if reply.attachment else []


class WhatsAppChannel:
    """Stores deliveries in the inbox and answers them from there; one instance per running bot."""

    def __init__(self, runtime: Runtime, client: WhatsAppClient, **worker: Any):
        self.runtime = runtime
        self.client = client
        self.worker = InboxWorker(runtime.store, CHANNEL, self.handle, apologise=self.apologise,
                                  slow_down=self.slow_down, **worker)

    @property
    def store(self) -> Any:
        return self.runtime.store

    async def receive(self, payload: Any) -> int:
        """Store the delivery (messages once each, statuses recorded); return how many messages are new.

        :class:`BadPayload` (and nothing stored) when it is not a delivery the bot can read."""
        inbound, statuses = parse_payload(payload)
        new = 0
        try:
            for m in inbound:
                if await self.store.inbox_add(CHANNEL, m.wamid, m.wa_id, json.dumps(m.message, ensure_ascii=False)):
                    new += 1
                else:
                    log.info("message %s already received; not answered again", m.wamid[-12:])
            for s in statuses:
                await self.store.record_status(CHANNEL, s.wamid, s.recipient, s.status, s.error_code)
                if s.status == "failed" and s.error_code == 131047:
                    await self.store.mark_window_closed(CHANNEL, s.recipient)
        except DATABASE_ERRORS:
            await self.store.rollback()          # the next delivery starts with a clean transaction
            raise
        if new:
            self.worker.wake()
        return new

    async def process_pending(self) -> int:
        """Answer every stored message that is due, oldest first."""
        return await self.worker.run_once()

    async def run(self, stop: asyncio.Event) -> None:
        """The worker: answer the inbox whenever something arrives, until stopped."""
        await self.worker.run(stop)

    async def handle(self, row: Any) -> str:
        """Answer one stored message (or finish sending its replies)."""
        if row.replies is not None:
            to, replies = replies_from_json(row.replies)
        else:
            incoming = to_incoming(json.loads(row.payload))
            if incoming is None:
                return "done"
            to = row.chat_id
            replies = await self.runtime.conversation(CHANNEL).handle(
                row.chat_id, incoming, keep=lambda replies: (row.message_id, replies_to_json(to, replies)))
        await self.send(to, replies, row=row, start=row.sent)
        return "done"

    async def apologise(self, row: Any) -> None:
        await self._tell(row, "error")

    async def slow_down(self, row: Any) -> None:
        await self._tell(row, "slow_down")
        log.info("user=%s is sending very fast; throttled", anonymise(CHANNEL, row.chat_id))

    async def _tell(self, row: Any, key: str) -> None:
        lang = "en"
        try:
            record = await self.store.get_user(CHANNEL, row.chat_id)
            if record is not None and record.state.lang:
                lang = record.state.lang
        except DATABASE_ERRORS:
            pass
        await self.client.send_text(row.chat_id, t(key, lang))

    async def send(self, wa_id: str, replies: tuple[Reply, ...], *, row: Any = None, start: int = 0) -> bool:
        """Send replies from message ``start`` on; False if the user's window is closed (nothing more is sent).

        For a stored message each message sent is counted, so a retry (or a restart) sends only the rest; the
        last is not (the worker marks the message done right after it); a failure the Graph API may get over
        (5xx, no answer, network) raises :class:`Retry`."""
        messages = [m for reply in replies for m in render(reply)]
        for index, message in enumerate(messages):
            if index < start:
                continue
            try:
                if message[0] == "text":
                    await self.client.send_text(wa_id, message[1])
                elif message[0] == "buttons":
                    await self.client.send_buttons(wa_id, message[1], message[2])
                elif message[0] == "list":
                    await self.client.send_list(wa_id, message[1], message[2], message[3])
                else:
                    name, content = message[1]
                    media_id = await self.client.upload_media(content, name, "text/calendar")
                    await self.client.send_document(wa_id, media_id, name)
            except WindowClosed:
                await self.store.mark_window_closed(CHANNEL, wa_id)
                log.info("user=%s: 24-hour window closed", anonymise(CHANNEL, wa_id))
                return False
            except ConfigurationError as exc:
                raise Retry(f"the Graph API refused the token or phone number id ({exc.code})", after=60.0) from None
            except GraphError as exc:
                if row is not None and (isinstance(exc, Uncertain) or exc.code in (0, 1, 2, 131000)
                                        or exc.status >= 500):
                    raise Retry(f"Graph API {exc.code}") from None
                log.warning("user=%s: message not sent: Graph API %s", anonymise(CHANNEL, wa_id), exc.code)
                return False
            if row is not None and index + 1 < len(messages):
                await self.store.inbox_sent(CHANNEL, row.message_id, index + 1)
        return True
