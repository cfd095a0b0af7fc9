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
from dataclasses import dataclass
from typing import Any

from ...core.dialogue import Incoming, Reply
from ...core.entities import clip
from ...core.normalise import has_devanagari
from ...core.texts import t
from ...services.conversation import anonymise
from ...services.runtime import Runtime
from ..limits import (BUTTON_TITLE_MAX, BUTTONS_MAX, INTERACTIVE_BODY_MAX, ROW_DESCRIPTION_MAX, ROW_TITLE_MAX,
                      ROWS_MAX, TEXT_MAX, split_text)
from .client import ConfigurationError, GraphError, WhatsAppClient, WindowClosed

CHANNEL = "whatsapp"
INBOX_BATCH = 100
log = logging.getLogger("exportbot.whatsapp")


def valid_signature(body: bytes, header: str | None, app_secret: str) -> bool:
    """X-Hub-Signature-256: 'sha256=' + HMAC-SHA256(raw body, app secret), compared in constant time."""
    if not header or not app_secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header[len("sha256="):].lower(), expected)


@dataclass(frozen=True)
class Inbound:
    wamid: str
    wa_id: str
    message: dict[str, Any]


@dataclass(frozen=True)
class Status:
    wamid: str
    recipient: str
    status: str
    error_code: int | None


def parse_payload(payload: dict[str, Any]) -> tuple[list[Inbound], list[Status]]:
    """Messages and statuses of a Cloud API webhook delivery (other fields are ignored)."""
    inbound: list[Inbound] = []
    statuses: list[Status] = []
    for entry in payload.get("entry") or []:
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            contacts = {c.get("wa_id"): c for c in value.get("contacts") or []}
            for message in value.get("messages") or []:
                sender = message.get("from") or next(iter(contacts), None)
                if message.get("id") and sender:
                    inbound.append(Inbound(str(message["id"]), str(sender), message))
            for status in value.get("statuses") or []:
                errors = status.get("errors") or []
                code = int(errors[0]["code"]) if errors and "code" in errors[0] else None
                statuses.append(Status(str(status.get("id", "")), str(status.get("recipient_id", "")),
                                       str(status.get("status", "")), code))
    return inbound, statuses


def to_incoming(message: dict[str, Any]) -> Incoming:
    kind = message.get("type")
    if kind == "text":
        body = (message.get("text") or {}).get("body", "")
        stripped = body.strip()
        if stripped.startswith("/") and len(stripped) > 1 and " " not in stripped:
            return Incoming("command", stripped[1:].lower())
        return Incoming("text", body)
    if kind == "interactive":
        interactive = message.get("interactive") or {}
        reply = interactive.get("button_reply") or interactive.get("list_reply") or {}
        return Incoming("button", str(reply.get("id", "")))
    if kind == "button":   # a quick-reply button of a template message
        return Incoming("button", str((message.get("button") or {}).get("payload", "")))
    return Incoming("media")


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
    """Processes the inbox and sends the replies; one instance per running bot."""

    def __init__(self, runtime: Runtime, client: WhatsAppClient):
        self.runtime = runtime
        self.client = client
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()

    @property
    def store(self) -> Any:
        return self.runtime.store

    async def receive(self, payload: dict[str, Any]) -> int:
        """Store the delivery (messages once each, statuses recorded); return how many messages are new."""
        inbound, statuses = parse_payload(payload)
        new = 0
        for m in inbound:
            if await self.store.inbox_add(CHANNEL, m.wamid, m.wa_id, json.dumps(m.message, ensure_ascii=False)):
                new += 1
            else:
                log.info("message %s already received; not answered again", m.wamid[-12:])
        for s in statuses:
            await self.store.record_status(CHANNEL, s.wamid, s.recipient, s.status, s.error_code)
            if s.status == "failed" and s.error_code == 131047:
                await self.store.mark_window_closed(CHANNEL, s.recipient)
        if new:
            self._wake.set()
        return new

    async def process_pending(self) -> int:
        """Answer every stored message not answered yet, oldest first."""
        done = 0
        async with self._lock:
            while batch := await self.store.inbox_pending(CHANNEL, limit=INBOX_BATCH):
                try:
                    done += await self._process(batch)
                except ConfigurationError:
                    log.error("WhatsApp token or phone number id rejected; unanswered messages kept for later")
                    break
                if len(batch) < INBOX_BATCH:
                    break
        return done

    async def _process(self, batch: list[tuple[str, str, str]]) -> int:
        done = 0
        for wamid, wa_id, raw in batch:
            try:
                await self._answer(wa_id, json.loads(raw))
            except ConfigurationError:
                raise
            except Exception:  # noqa: BLE001 - one bad message must not stop the others
                log.exception("could not answer WhatsApp message %s", wamid[-12:])
            await self.store.inbox_done(CHANNEL, wamid)
            done += 1
        return done

    async def run(self, stop: asyncio.Event) -> None:
        """The worker: process the inbox whenever something arrives, until stopped."""
        self._wake.set()                      # first, what was stored before a restart
        while not stop.is_set():
            if self._wake.is_set():
                self._wake.clear()
                try:
                    await self.process_pending()
                except Exception:  # noqa: BLE001 - the worker must outlive a bad moment of the database
                    log.exception("WhatsApp inbox run failed; trying again shortly")
                    await asyncio.sleep(1.0)
                    self._wake.set()
                continue
            waiter = asyncio.create_task(self._wake.wait())
            stopper = asyncio.create_task(stop.wait())
            await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()

    async def _answer(self, wa_id: str, message: dict[str, Any]) -> None:
        replies = await self.runtime.conversation(CHANNEL).handle(wa_id, to_incoming(message))
        await self.send(wa_id, replies)

    async def send(self, wa_id: str, replies: tuple[Reply, ...]) -> bool:
        """Send replies; False if the user's window is closed (nothing more is sent then)."""
        for reply in replies:
            for message in render(reply):
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
                except ConfigurationError:
                    raise
                except GraphError as exc:
                    log.warning("user=%s: message not sent: %s", anonymise(CHANNEL, wa_id), exc)
                    return False
        return True
