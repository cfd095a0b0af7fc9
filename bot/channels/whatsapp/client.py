"""A small async client for the WhatsApp Cloud API (Graph API) messages endpoint.

Why not pywa: its base URL is fixed to Meta's servers, and we need to point
the bot at a local Graph API double (tests, staging) through
``WHATSAPP_API_BASE_URL``; we also only need four calls. This client keeps the
base URL configurable, retries rate limits with back-off, and turns Graph API
errors into exceptions the channel can act on.
"""
from __future__ import annotations

import asyncio
import logging
import socket
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import httpx

log = logging.getLogger("exportbot.whatsapp")

RATE_LIMIT = 130429          # throughput (per-number) rate limit hit
PAIR_RATE_LIMIT = 131056     # too many messages to the same user
WINDOW_CLOSED = 131047       # re-engagement: more than 24 hours since the user wrote
AUTH_ERRORS = (190,)         # invalid or expired access token
BAD_PARAMETER = 100          # e.g. unknown phone number id
RETRYABLE = (RATE_LIMIT, PAIR_RATE_LIMIT, 131000, 2)


class GraphError(Exception):
    def __init__(self, code: int, message: str, status: int, subcode: int | None = None):
        super().__init__(f"Graph API error {code}: {message}")
        self.code, self.message, self.status, self.subcode = code, message, status, subcode


class WindowClosed(GraphError):
    """The user's 24-hour customer-service window is closed: only templates may be sent."""


class Uncertain(GraphError):
    """The request went out but no answer came back: it may or may not have been delivered."""


class ConfigurationError(GraphError):
    """The token or the phone number id is wrong: nothing can be sent."""


@dataclass(frozen=True)
class Sent:
    wamid: str


class WhatsAppClient:
    def __init__(self, base_url: str, phone_number_id: str, token: str, *, http: httpx.AsyncClient | None = None,
                 max_attempts: int = 5, sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 backoff: float = 1.0):
        self.base_url = base_url.rstrip("/")
        self.phone_number_id = phone_number_id
        self._token = token
        self._http = http or httpx.AsyncClient(timeout=20, transport=httpx.AsyncHTTPTransport(
            socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]))
        self.max_attempts = max_attempts
        self.sleep = sleep
        self.backoff = backoff

    async def aclose(self) -> None:
        await self._http.aclose()

    def once(self) -> "WhatsAppClient":
        """The same connection, each request sent once: for the outbox, which retries with the whole channel paused."""
        return WhatsAppClient(self.base_url, self.phone_number_id, self._token, http=self._http, max_attempts=1,
                              sleep=self.sleep, backoff=self.backoff)

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    async def check(self) -> dict[str, Any]:
        """Verify the token and the phone number id (call at start-up)."""
        response = await self._http.get(f"{self.base_url}/{self.phone_number_id}", headers=self._headers)
        return self._result(response)

    def _result(self, response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            raise GraphError(0, f"HTTP {response.status_code} without JSON", response.status_code) from None
        error = data.get("error") if isinstance(data, dict) else None
        if response.status_code >= 400 or error:
            error = error or {}
            code = int(error.get("code", 0))
            message = str(error.get("message", f"HTTP {response.status_code}"))
            details = (error.get("error_data") or {}).get("details")
            if details:
                message = f"{message} ({details})"
            subcode = error.get("error_subcode")
            if code == WINDOW_CLOSED:
                raise WindowClosed(code, message, response.status_code, subcode)
            if code in AUTH_ERRORS or (code == BAD_PARAMETER and subcode == 33) or response.status_code == 401:
                raise ConfigurationError(code, message, response.status_code, subcode)
            raise GraphError(code, message, response.status_code, subcode)
        return data

    async def _post(self, payload: dict[str, Any]) -> Sent:
        url = f"{self.base_url}/{self.phone_number_id}/messages"
        to = str(payload.pop("to"))
        # A phone number goes in "to"; a username user's id (BSUID, e.g. "US.1349...") in "recipient".
        address = {"to": to} if to.isdigit() else {"recipient": to}
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", **address, **payload}
        delay = self.backoff
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = await self._http.post(url, json=body, headers=self._headers)
                data = self._result(response)
                return Sent(str(data["messages"][0]["id"]))
            except GraphError as exc:
                if exc.code not in RETRYABLE or attempt == self.max_attempts:
                    raise
                log.info("Graph API %s (attempt %d); retrying in %.1fs", exc.code, attempt, delay)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:   # nothing reached Meta: safe to retry
                if attempt == self.max_attempts:
                    raise GraphError(0, f"network error: {exc}", 0) from exc
                log.info("network error %s (attempt %d); retrying in %.1fs", exc, attempt, delay)
            except httpx.TransportError as exc:
                # The request may have arrived: sending again could deliver it twice.
                raise Uncertain(-1, f"no answer from the Graph API: {type(exc).__name__}", 0) from exc
            await self.sleep(delay)
            delay = min(delay * 2, 60)
        raise AssertionError("unreachable")

    async def send_text(self, to: str, body: str) -> Sent:
        return await self._post({"to": to, "type": "text", "text": {"body": body, "preview_url": False}})

    async def send_buttons(self, to: str, body: str, buttons: list[tuple[str, str]]) -> Sent:
        return await self._post({"to": to, "type": "interactive", "interactive": {
            "type": "button", "body": {"text": body},
            "action": {"buttons": [{"type": "reply", "reply": {"id": i, "title": title}} for i, title in buttons]}}})

    async def send_list(self, to: str, body: str, button: str, rows: list[tuple[str, str, str]]) -> Sent:
        return await self._post({"to": to, "type": "interactive", "interactive": {
            "type": "list", "body": {"text": body},
            "action": {"button": button, "sections": [{"title": button, "rows": [
                {"id": i, "title": title, **({"description": d} if d else {})} for i, title, d in rows]}]}}})

    async def send_template(self, to: str, name: str, language: str, parameters: list[str]) -> Sent:
        template: dict[str, Any] = {"name": name, "language": {"code": language}}
        if parameters:
            template["components"] = [{"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters]}]
        return await self._post({"to": to, "type": "template", "template": template})

    async def upload_media(self, content: bytes, filename: str, mime_type: str) -> str:
        """Upload a file (e.g. an .ics) and return its media id, to send it as a document."""
        response = await self._http.post(
            f"{self.base_url}/{self.phone_number_id}/media", headers=self._headers,
            data={"messaging_product": "whatsapp", "type": mime_type},
            files={"file": (filename, content, mime_type)})
        return str(self._result(response)["id"])

    async def send_document(self, to: str, media_id: str, filename: str, caption: str = "") -> Sent:
        document: dict[str, Any] = {"id": media_id, "filename": filename}
        if caption:
            document["caption"] = caption
        return await self._post({"to": to, "type": "document", "document": document})
