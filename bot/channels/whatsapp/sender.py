"""WhatsApp sender for reminders and broadcasts: the 24-hour window, templates, and errors as plain outcomes."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ...services.outbox import SendResult
from ..limits import TEXT_MAX, split_text
from .client import (PAIR_RATE_LIMIT, RATE_LIMIT, RETRYABLE, ConfigurationError, GraphError, Uncertain, WhatsAppClient,
                     WindowClosed)

if TYPE_CHECKING:
    from ...store import Store


class WhatsAppSender:
    """Free-form text inside the 24-hour window; outside it the template configured for the reminder type."""

    channel = "whatsapp"

    def __init__(self, client: WhatsAppClient, store: Store, templates: dict[str, tuple[str, str]]):
        self.client = client.once()      # rate limits and network errors are retried by the outbox, not twice
        self.store = store
        self.templates = templates          # reminder kind -> (template name, language code)

    async def send(self, chat_id: str, text: str, lang: str, kind: str, params: list[str]) -> SendResult:
        try:
            if await self.store.window_open(self.channel, chat_id):
                try:
                    for chunk in split_text(text, TEXT_MAX):
                        sent = await self.client.send_text(chat_id, chunk)
                    return SendResult("sent", message_id=sent.wamid)
                except WindowClosed:
                    await self.store.mark_window_closed(self.channel, chat_id)
            template = self.templates.get(kind) or self.templates.get("*")
            if template is None:
                return SendResult("window_closed", error="outside the 24-hour window and no template configured")
            name, language = template
            sent = await self.client.send_template(chat_id, name, language, params)
            return SendResult("sent", message_id=sent.wamid)
        except ConfigurationError as exc:
            return SendResult("failed", error=str(exc))
        except Uncertain as exc:
            return SendResult("uncertain", error=str(exc))
        except GraphError as exc:
            if exc.code in (RATE_LIMIT, PAIR_RATE_LIMIT):
                return SendResult("retry", retry_after=2.0)
            if exc.code == 0 or exc.code in RETRYABLE:       # a network error, or Meta's side briefly unwell
                return SendResult("transient", error=str(exc))
            return SendResult("failed", error=str(exc))


def parse_templates(raw: str) -> dict[str, tuple[str, str]]:
    """'start-7d=event_week:hi,deadline-2d=reg_deadline:en,*=announcement:en' -> {kind: (name, language)}."""
    out: dict[str, tuple[str, str]] = {}
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        kind, _, rest = part.partition("=")
        name, _, language = rest.partition(":")
        if not kind or not name:
            raise SystemExit(f"WHATSAPP_TEMPLATES: '{part}' should look like 'start-7d=template_name:en'")
        out[kind.strip()] = (name.strip(), (language or "en").strip())
    return out
