"""A local stand-in for the WhatsApp Cloud API (Meta Graph API), served over real HTTP.

``FakeGraphAPI`` runs a small Starlette app under uvicorn on 127.0.0.1 (free port) inside the
running event loop, so the bot's real HTTP client can talk to it::

    async with FakeGraphAPI(token="EAAtest", phone_number_id="1234567890", version="v21.0") as fake:
        client = WhatsAppClient(base_url=fake.base_url, token="EAAtest", phone_number_id="1234567890")
        ...
        await fake.wait_for_sent(1)
        assert fake.sent_to("919812345678")[0]["body"] == "..."

What it mirrors of the real Cloud API:

* ``POST /{version}/{phone_number_id}/messages`` with ``Authorization: Bearer <token>`` (or the
  ``access_token`` query parameter, as the Graph API also accepts). Message types ``text``,
  ``interactive`` (``button`` and ``list`` validated in detail; other interactive types accepted),
  ``template``, ``document``, ``image``/``audio``/``video``/``sticker``, ``location``,
  ``reaction``, ``contacts``.
* ``GET /{version}/{phone_number_id}`` -> the phone number object (``fields=`` honoured).
* Success: ``{"messaging_product": "whatsapp", "contacts": [{"input", "wa_id"}],
  "messages": [{"id": "wamid..."}]}`` (templates add ``"message_status": "accepted"``).
* Errors as ``{"error": {"message", "type", "code", "error_subcode"?, "error_data"?,
  "fbtrace_id"}}`` with HTTP 401 for code 190 and 400 for everything else, as Meta documents.
  Wording follows responses seen from the real API, e.g. 131009 "(#131009) Parameter value is not
  valid" with details "Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: 3",
  "Button title length invalid. Min length: 1, Max length: 20", "Total row count exceed max
  allowed count: 10", "Body text length invalid. Min length: 1, Max length: 1024"; and 100
  "(#100) Param text['body'] must be at most 4096 characters long.".
  As on the real API, a wrong token (190) carries no ``error_data``, and an unknown phone number
  id is a ``GraphMethodException`` (code 100, subcode 33) without ``error_data``; WhatsApp-level
  errors (100 on a message, 131xxx, 130429, 132xxx) carry ``error_data.messaging_product`` and
  ``error_data.details``.

Lengths are counted in Unicode code points (Python ``len``).

Webhook payload builders (module-level functions; the same names exist as methods on the fake,
pre-filled with its phone number id) return the real webhook JSON (``object:
"whatsapp_business_account"``). ``sign(body, app_secret)`` gives the ``X-Hub-Signature-256`` value.

Everything runs on the test's event loop; call the helpers from that loop's thread.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import itertools
import json
import re
import secrets
import time
import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .loopback import LoopbackServer

__all__ = [
    "FakeGraphAPI",
    "GraphAPIError",
    "audio",
    "button_reply",
    "contacts_message",
    "document",
    "dumps",
    "image",
    "list_reply",
    "location",
    "reaction",
    "sign",
    "status",
    "sticker",
    "text_message",
    "unsupported",
    "video",
]

DEFAULT_PHONE_NUMBER_ID = "1234567890"
DEFAULT_DISPLAY_PHONE_NUMBER = "+91 98765 43210"
DEFAULT_WABA_ID = "102290129340398"
DEFAULT_VERIFIED_NAME = "Export Helpdesk"

MAX_TEXT_BODY = 4096
MAX_INTERACTIVE_BODY = 1024
MAX_HEADER_FOOTER = 60
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256
MAX_LIST_ROWS = 10
MAX_LIST_SECTIONS = 10
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_ROW_ID = 200
MAX_LIST_BUTTON = 20
MAX_SECTION_TITLE = 24
MAX_CAPTION = 1024

ERROR_DOCS_HREF = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"

MESSAGE_TYPES = (
    "audio", "contacts", "document", "image", "interactive", "location", "reaction",
    "sticker", "template", "text", "video",
)
INTERACTIVE_TYPES = (
    "button", "list", "cta_url", "flow", "location_request_message", "product", "product_list",
    "catalog_message", "address_message", "call_permission_request",
)

# code -> (message, details, http_status, title used in status webhooks)
KNOWN_ERRORS: dict[int, tuple[str, str | None, int, str]] = {
    130429: (
        "(#130429) Rate limit hit",
        "Cloud API message throughput has been reached.",
        400,
        "Rate limit hit",
    ),
    131056: (
        "(#131056) (Business Account, Consumer Account) pair rate limit hit",
        "Message failed to send because there were too many messages sent from this phone number "
        "to the same phone number in a short period of time.",
        400,
        "(Business Account, Consumer Account) pair rate limit hit",
    ),
    131047: (
        "(#131047) Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer last "
        "replied to this number.",
        400,
        "Re-engagement message",
    ),
    131026: (
        "(#131026) Message undeliverable",
        "Message Undeliverable.",
        400,
        "Message undeliverable",
    ),
    131030: (
        "(#131030) Recipient phone number not in allowed list",
        "Recipient phone number not in allowed list: Add recipient phone number to recipient list "
        "and try again.",
        400,
        "Recipient phone number not in allowed list",
    ),
    131000: (
        "(#131000) Something went wrong",
        "Something went wrong",
        500,
        "Something went wrong",
    ),
    131009: ("(#131009) Parameter value is not valid", None, 400, "Parameter value is not valid"),
    132001: (
        "(#132001) Template name does not exist in the translation",
        None,
        404,
        "Template name does not exist in the translation",
    ),
    190: ("Invalid OAuth access token - Cannot parse access token", None, 401, "Invalid OAuth access token"),
    100: ("(#100) Invalid parameter", "Invalid parameter", 400, "Invalid parameter"),
}


class GraphAPIError(Exception):
    """Raised inside a handler to produce a Graph API error response."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        details: str | None = None,
        http_status: int | None = None,
        error_type: str = "OAuthException",
        error_subcode: int | None = None,
        whatsapp: bool = True,
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
        self.http_status = http_status if http_status is not None else (401 if code == 190 else 400)
        self.error_type = error_type
        self.error_subcode = error_subcode
        self.whatsapp = whatsapp

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.error_type, "code": self.code}
        if self.error_subcode is not None:
            error["error_subcode"] = self.error_subcode
        if self.whatsapp:
            error["error_data"] = {
                "messaging_product": "whatsapp",
                "details": self.details if self.details is not None else self.message,
            }
        error["fbtrace_id"] = _fbtrace_id()
        return {"error": error}


def _fbtrace_id() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")[:23]


def _invalid(details: str) -> GraphAPIError:
    return GraphAPIError(131009, "(#131009) Parameter value is not valid", details=details)


def _param(message: str) -> GraphAPIError:
    """A "(#100) ..." parameter error; details repeat the message without the prefix."""
    return GraphAPIError(100, f"(#100) {message}", details=message)


def _known_error(code: int, message: str | None = None, details: str | None = None) -> GraphAPIError:
    default_message, default_details, http_status, _title = KNOWN_ERRORS.get(
        code, (f"(#{code}) Error", None, 400, "Error")
    )
    if code == 190:
        return GraphAPIError(190, message or default_message, http_status=401, whatsapp=False)
    return GraphAPIError(
        code,
        message or default_message,
        details=details if details is not None else default_details,
        http_status=http_status,
    )


def _digits(number: Any) -> str:
    return re.sub(r"\D", "", str(number))


def _new_wamid(wa_id: str = "") -> str:
    # Real wamids are "wamid." + base64 of a protobuf-ish blob holding the recipient number.
    blob = b"\x18\x0c" + _digits(wa_id).encode() + b"\x15\x02\x00\x11\x18\x12" + uuid.uuid4().hex.upper().encode()
    return "wamid." + base64.b64encode(blob).decode().rstrip("=")


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


# ---------------------------------------------------------------------------------------------
# Webhook payload builders
# ---------------------------------------------------------------------------------------------


def _now_ts(timestamp: int | str | None) -> str:
    return str(int(time.time()) if timestamp is None else int(timestamp))


def _envelope(
    value: dict[str, Any],
    *,
    phone_number_id: str,
    display_phone_number: str,
    waba_id: str,
) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": waba_id,
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": _digits(display_phone_number),
                                "phone_number_id": str(phone_number_id),
                            },
                            **value,
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }


def _inbound(
    wa_id: str,
    kind: str,
    content: dict[str, Any] | list[Any],
    *,
    wamid: str | None = None,
    name: str = "Ram",
    user_id: str | None = None,
    timestamp: int | str | None = None,
    context: dict[str, Any] | None = None,
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
    display_phone_number: str = DEFAULT_DISPLAY_PHONE_NUMBER,
    waba_id: str = DEFAULT_WABA_ID,
) -> dict[str, Any]:
    wa_id = _digits(wa_id) or str(wa_id)
    contact: dict[str, Any] = {"profile": {"name": name}, "wa_id": wa_id}
    if user_id is not None:
        contact["user_id"] = user_id
    message: dict[str, Any] = {}
    if context is not None:
        message["context"] = context
    message.update(
        {
            "from": wa_id,
            "id": wamid or _new_wamid(wa_id),
            "timestamp": _now_ts(timestamp),
            "type": kind,
            kind: content,
        }
    )
    return _envelope(
        {"contacts": [contact], "messages": [message]},
        phone_number_id=phone_number_id,
        display_phone_number=display_phone_number,
        waba_id=waba_id,
    )


def _reply_context(
    context_id: str | None, wa_id: str, display_phone_number: str
) -> dict[str, Any]:
    return {"from": _digits(display_phone_number), "id": context_id or _new_wamid(wa_id)}


def _media_id() -> str:
    return str(10**15 + secrets.randbelow(9 * 10**15))


def _sha256_b64() -> str:
    return base64.b64encode(hashlib.sha256(secrets.token_bytes(8)).digest()).decode()


def text_message(
    wa_id: str,
    body: str,
    wamid: str | None = None,
    name: str = "Ram",
    user_id: str | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """An incoming text message. ``kw``: timestamp, context, phone_number_id, display_phone_number, waba_id."""
    return _inbound(wa_id, "text", {"body": body}, wamid=wamid, name=name, user_id=user_id, **kw)


def button_reply(
    wa_id: str,
    reply_id: str,
    title: str,
    wamid: str | None = None,
    name: str = "Ram",
    user_id: str | None = None,
    context_id: str | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """A tap on a reply button (``interactive.button_reply``); ``context_id`` = wamid of the buttons message."""
    display = kw.get("display_phone_number", DEFAULT_DISPLAY_PHONE_NUMBER)
    kw.setdefault("context", _reply_context(context_id, wa_id, display))
    content = {"type": "button_reply", "button_reply": {"id": reply_id, "title": title}}
    return _inbound(wa_id, "interactive", content, wamid=wamid, name=name, user_id=user_id, **kw)


def list_reply(
    wa_id: str,
    reply_id: str,
    title: str,
    description: str = "",
    wamid: str | None = None,
    name: str = "Ram",
    user_id: str | None = None,
    context_id: str | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """A choice from a list message (``interactive.list_reply``); description omitted when empty."""
    display = kw.get("display_phone_number", DEFAULT_DISPLAY_PHONE_NUMBER)
    kw.setdefault("context", _reply_context(context_id, wa_id, display))
    reply: dict[str, Any] = {"id": reply_id, "title": title}
    if description:
        reply["description"] = description
    content = {"type": "list_reply", "list_reply": reply}
    return _inbound(wa_id, "interactive", content, wamid=wamid, name=name, user_id=user_id, **kw)


def image(
    wa_id: str,
    caption: str | None = None,
    media_id: str | None = None,
    mime_type: str = "image/jpeg",
    wamid: str | None = None,
    name: str = "Ram",
    user_id: str | None = None,
    **kw: Any,
) -> dict[str, Any]:
    content: dict[str, Any] = {}
    if caption is not None:
        content["caption"] = caption
    content.update({"mime_type": mime_type, "sha256": _sha256_b64(), "id": media_id or _media_id()})
    return _inbound(wa_id, "image", content, wamid=wamid, name=name, user_id=user_id, **kw)


def audio(
    wa_id: str,
    media_id: str | None = None,
    voice: bool = True,
    mime_type: str = "audio/ogg; codecs=opus",
    wamid: str | None = None,
    name: str = "Ram",
    user_id: str | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """A voice note by default (``voice: true``); ``voice=False`` for an audio file."""
    content = {"mime_type": mime_type, "sha256": _sha256_b64(), "id": media_id or _media_id(), "voice": voice}
    return _inbound(wa_id, "audio", content, wamid=wamid, name=name, user_id=user_id, **kw)


def video(
    wa_id: str,
    caption: str | None = None,
    media_id: str | None = None,
    mime_type: str = "video/mp4",
    wamid: str | None = None,
    name: str = "Ram",
    user_id: str | None = None,
    **kw: Any,
) -> dict[str, Any]:
    content: dict[str, Any] = {}
    if caption is not None:
        content["caption"] = caption
    content.update({"mime_type": mime_type, "sha256": _sha256_b64(), "id": media_id or _media_id()})
    return _inbound(wa_id, "video", content, wamid=wamid, name=name, user_id=user_id, **kw)


def document(
    wa_id: str,
    filename: str = "invoice.pdf",
    caption: str | None = None,
    media_id: str | None = None,
    mime_type: str = "application/pdf",
    wamid: str | None = None,
    name: str = "Ram",
    user_id: str | None = None,
    **kw: Any,
) -> dict[str, Any]:
    content: dict[str, Any] = {}
    if caption is not None:
        content["caption"] = caption
    content.update(
        {"filename": filename, "mime_type": mime_type, "sha256": _sha256_b64(), "id": media_id or _media_id()}
    )
    return _inbound(wa_id, "document", content, wamid=wamid, name=name, user_id=user_id, **kw)


def sticker(
    wa_id: str,
    media_id: str | None = None,
    animated: bool = False,
    wamid: str | None = None,
    name: str = "Ram",
    user_id: str | None = None,
    **kw: Any,
) -> dict[str, Any]:
    content = {"mime_type": "image/webp", "sha256": _sha256_b64(), "id": media_id or _media_id(), "animated": animated}
    return _inbound(wa_id, "sticker", content, wamid=wamid, name=name, user_id=user_id, **kw)


def location(
    wa_id: str,
    latitude: float = 26.8467,
    longitude: float = 80.9462,
    place_name: str | None = None,
    address: str | None = None,
    wamid: str | None = None,
    name: str = "Ram",
    user_id: str | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """A shared location (defaults to Lucknow). ``place_name``/``address`` for a named place."""
    content: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
    if place_name is not None:
        content["name"] = place_name
    if address is not None:
        content["address"] = address
    return _inbound(wa_id, "location", content, wamid=wamid, name=name, user_id=user_id, **kw)


def contacts_message(
    wa_id: str,
    contact_name: str = "Shyam Kumar",
    phone: str = "+91 99887 76655",
    wamid: str | None = None,
    name: str = "Ram",
    user_id: str | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """A shared contact card (``type: "contacts"``)."""
    first, _, last = contact_name.partition(" ")
    card_name: dict[str, Any] = {"formatted_name": contact_name, "first_name": first}
    if last:
        card_name["last_name"] = last
    card = {
        "name": card_name,
        "phones": [{"phone": phone, "wa_id": _digits(phone), "type": "CELL"}],
    }
    return _inbound(wa_id, "contacts", [card], wamid=wamid, name=name, user_id=user_id, **kw)


def reaction(
    wa_id: str,
    emoji: str,
    message_id: str,
    wamid: str | None = None,
    name: str = "Ram",
    user_id: str | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """A reaction to ``message_id``; ``emoji=""`` is a removed reaction (the key is then omitted)."""
    content: dict[str, Any] = {"message_id": message_id}
    if emoji:
        content["emoji"] = emoji
    return _inbound(wa_id, "reaction", content, wamid=wamid, name=name, user_id=user_id, **kw)


def unsupported(
    wa_id: str,
    wamid: str | None = None,
    name: str = "Ram",
    user_id: str | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """A message type the Cloud API does not support (e.g. a poll), as ``type: "unsupported"``."""
    payload = _inbound(wa_id, "unsupported", {}, wamid=wamid, name=name, user_id=user_id, **kw)
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    del message["unsupported"]  # the real payload carries "errors" instead of a type object
    message["errors"] = [
        {
            "code": 131051,
            "title": "Message type unknown",
            "message": "Message type unknown",
            "error_data": {"details": "Message type is currently not supported."},
        }
    ]
    return payload


def status(
    wamid: str,
    recipient_id: str,
    status: str = "delivered",
    errors: list[dict[str, Any]] | int | None = None,
    timestamp: int | str | None = None,
    category: str = "service",
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
    display_phone_number: str = DEFAULT_DISPLAY_PHONE_NUMBER,
    waba_id: str = DEFAULT_WABA_ID,
) -> dict[str, Any]:
    """A ``value.statuses[...]`` webhook for an outgoing message.

    ``status="failed"`` gets ``errors`` (default: 131047 re-engagement); ``errors`` may also be an
    error code from :data:`KNOWN_ERRORS` or a full list of error objects.
    """
    if status not in ("sent", "delivered", "read", "failed", "deleted", "warning"):
        raise ValueError(f"unknown status {status!r}")
    recipient_id = _digits(recipient_id) or str(recipient_id)
    entry: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": _now_ts(timestamp),
        "recipient_id": recipient_id,
    }
    if status in ("sent", "delivered"):
        entry["conversation"] = {
            "id": hashlib.md5(recipient_id.encode()).hexdigest(),
            "origin": {"type": category},
        }
        if status == "sent":
            entry["conversation"]["expiration_timestamp"] = str(int(entry["timestamp"]) + 86400)
        entry["pricing"] = {"billable": True, "pricing_model": "PMP", "category": category, "type": "regular"}
    if status == "failed" or errors is not None:
        if errors is None:
            errors = 131047
        if isinstance(errors, int):
            message, details, _http, title = KNOWN_ERRORS.get(errors, (f"(#{errors}) Error", None, 400, "Error"))
            errors = [
                {
                    "code": errors,
                    "title": title,
                    "message": title,
                    "error_data": {"details": details or title},
                    "href": ERROR_DOCS_HREF,
                }
            ]
        entry["errors"] = errors
    return _envelope(
        {"statuses": [entry]},
        phone_number_id=phone_number_id,
        display_phone_number=display_phone_number,
        waba_id=waba_id,
    )


def dumps(payload: Any) -> bytes:
    """Serialise a webhook payload the way Meta does (compact JSON, UTF-8, non-ASCII kept)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(body: bytes | str, app_secret: bytes | str) -> str:
    """The ``X-Hub-Signature-256`` header value for ``body``: ``"sha256=<hex hmac>"``."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    if isinstance(app_secret, str):
        app_secret = app_secret.encode("utf-8")
    return "sha256=" + hmac.new(app_secret, body, hashlib.sha256).hexdigest()


_BUILDERS = {
    "text_message": text_message,
    "button_reply": button_reply,
    "list_reply": list_reply,
    "image": image,
    "audio": audio,
    "video": video,
    "document": document,
    "sticker": sticker,
    "location": location,
    "contacts_message": contacts_message,
    "reaction": reaction,
    "unsupported": unsupported,
    "status": status,
}


# ---------------------------------------------------------------------------------------------
# The fake server
# ---------------------------------------------------------------------------------------------


class FakeGraphAPI:
    """Fake WhatsApp Cloud API. Use as ``async with FakeGraphAPI(token=..., phone_number_id=...) as fake:``."""

    def __init__(
        self,
        token: str = "EAAtest",
        phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
        version: str = "v21.0",
        *,
        display_phone_number: str = DEFAULT_DISPLAY_PHONE_NUMBER,
        verified_name: str = DEFAULT_VERIFIED_NAME,
        waba_id: str = DEFAULT_WABA_ID,
        templates: dict[str, set[str] | list[str]] | None = None,
        allowed_recipients: list[str] | set[str] | None = None,
    ):
        """``templates``: name -> language codes; when given, other templates fail with 132001.
        ``allowed_recipients``: when given, other numbers fail with 131030 (like a test number)."""
        self.token = token
        self.phone_number_id = str(phone_number_id)
        self.version = version
        self.display_phone_number = display_phone_number
        self.verified_name = verified_name
        self.waba_id = waba_id
        self.templates = {k: set(v) for k, v in templates.items()} if templates is not None else None
        self.allowed_recipients = (
            {_digits(n) for n in allowed_recipients} if allowed_recipients is not None else None
        )

        # Recording
        self.requests: list[tuple[str, str, Any]] = []  # (method, path, json)
        self.call_log: list[dict[str, Any]] = []  # every messages POST: to, timestamp, ok, code
        self.sent: list[dict[str, Any]] = []
        self.uploads: dict[str, bytes] = {}

        self._failures: list[dict[str, Any]] = []
        self._sent_signal = asyncio.Event()
        self._counter = itertools.count(1)

        self._http = LoopbackServer("FakeGraphAPI")
        self.port: int | None = None

        self.app = Starlette(
            routes=[
                Route("/{version}/{node}/messages", self._messages, methods=["POST"]),
                Route("/{version}/{node}/media", self._media, methods=["POST"]),
                Route("/{version}/{node}", self._node, methods=["GET"]),
                Route("/{path:path}", self._unknown_path, methods=["GET", "POST", "DELETE"]),
            ]
        )

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("FakeGraphAPI is not running")
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/<version>`` -- what replaces ``https://graph.facebook.com/<version>``."""
        return f"{self.url}/{self.version}"

    @property
    def messages_url(self) -> str:
        return f"{self.base_url}/{self.phone_number_id}/messages"

    async def start(self) -> FakeGraphAPI:
        self.port = await self._http.start(self.app)
        return self

    async def stop(self) -> None:
        await self._http.stop()

    async def __aenter__(self) -> FakeGraphAPI:
        return await self.start()

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.stop()

    # ------------------------------------------------------------------ webhook builders bound to this fake

    def __getattr__(self, name: str) -> Any:
        builder = _BUILDERS.get(name)
        if builder is None:
            raise AttributeError(name)

        def bound(*args: Any, **kw: Any) -> dict[str, Any]:
            kw.setdefault("phone_number_id", self.phone_number_id)
            kw.setdefault("display_phone_number", self.display_phone_number)
            kw.setdefault("waba_id", self.waba_id)
            return builder(*args, **kw)

        bound.__name__ = name
        bound.__doc__ = builder.__doc__
        return bound

    # ------------------------------------------------------------------ HTTP layer

    @staticmethod
    def _respond(err: GraphAPIError) -> JSONResponse:
        headers = {}
        if err.http_status == 401:
            headers["WWW-Authenticate"] = 'OAuth "Facebook Platform" "invalid_token" "' + err.message + '"'
        return JSONResponse(err.body(), status_code=err.http_status, headers=headers)

    def _check_token(self, request: Request) -> None:
        auth = request.headers.get("authorization", "")
        token = None
        if auth[:7].lower() == "bearer ":
            token = auth[7:].strip()
        elif auth[:6].lower() == "oauth ":
            token = auth[6:].strip()
        if token is None:
            token = request.query_params.get("access_token")
        if not token:
            raise GraphAPIError(
                2500,
                "An active access token must be used to query information about the current user.",
                http_status=400,
                whatsapp=False,
            )
        if token != self.token:
            raise _known_error(190)

    def _check_node(self, request: Request, verb: str) -> None:
        node = request.path_params["node"]
        if node != self.phone_number_id:
            raise GraphAPIError(
                100,
                f"Unsupported {verb} request. Object with ID '{node}' does not exist, cannot be loaded "
                "due to missing permissions, or does not support this operation. Please read the Graph "
                "API documentation at https://developers.facebook.com/docs/graph-api",
                error_type="GraphMethodException",
                error_subcode=33,
                whatsapp=False,
            )

    @staticmethod
    def _check_version(request: Request) -> None:
        version = request.path_params["version"]
        if not re.fullmatch(r"v\d+\.\d+", version):
            raise GraphAPIError(
                2500, f"Unknown path components: /{request.path_params.get('node', '')}",
                error_type="OAuthException", whatsapp=False,
            )

    async def _unknown_path(self, request: Request) -> JSONResponse:
        self.requests.append((request.method, request.url.path, None))
        err = GraphAPIError(
            2500, f"Unknown path components: {request.url.path}", whatsapp=False
        )
        return self._respond(err)

    async def _node(self, request: Request) -> JSONResponse:
        self.requests.append(("GET", request.url.path, None))
        try:
            self._check_version(request)
            self._check_token(request)
            self._check_node(request, "get")
            injected = self._take_failure(None, "phone")
        except GraphAPIError as err:
            return self._respond(err)
        if injected is not None:
            return self._respond(injected)
        full = {
            "verified_name": self.verified_name,
            "code_verification_status": "VERIFIED",
            "display_phone_number": self.display_phone_number,
            "quality_rating": "GREEN",
            "platform_type": "CLOUD_API",
            "throughput": {"level": "STANDARD"},
            "id": self.phone_number_id,
        }
        fields = request.query_params.get("fields")
        if fields:
            wanted = [f.strip() for f in fields.split(",") if f.strip()]
            result = {k: full[k] for k in wanted if k in full}
            result["id"] = self.phone_number_id
            return JSONResponse(result)
        return JSONResponse(full)

    async def _media(self, request: Request) -> JSONResponse:
        body = await request.body()
        self.requests.append(("POST", request.url.path, None))
        try:
            self._check_version(request)
            self._check_token(request)
            self._check_node(request, "post")
        except GraphAPIError as err:
            return self._respond(err)
        if not body:
            return self._respond(_param("The parameter messaging_product is required."))
        media_id = _media_id()
        self.uploads[media_id] = body          # the raw multipart body, for assertions
        return JSONResponse({"id": media_id})

    async def _messages(self, request: Request) -> JSONResponse:
        now = time.monotonic()
        raw = await request.body()
        try:
            data: Any = json.loads(raw) if raw else None
        except ValueError:
            data = None
        self.requests.append(("POST", request.url.path, data))
        entry: dict[str, Any] = {
            "to": (_digits(data.get("to", "")) or str(data.get("recipient") or "")) if isinstance(data, dict) else "",
            "timestamp": now,
            "ok": False,
            "code": None,
            "status": None,
        }
        try:
            self._check_version(request)
            self._check_token(request)
            self._check_node(request, "post")
            if not isinstance(data, dict):
                raise _param("The parameter messaging_product is required.")
            self.call_log.append(entry)
            record = self._validate(data)
            injected = self._take_failure(record["to"], "messages")
            if injected is not None:
                raise injected
            if self.allowed_recipients is not None and record["to"] not in self.allowed_recipients:
                raise _known_error(131030)
        except GraphAPIError as err:
            entry["code"] = err.code
            entry["status"] = err.http_status
            return self._respond(err)
        entry["ok"] = True
        entry["code"] = 200
        entry["status"] = 200
        wamid = _new_wamid(record["to"])
        record.update({"raw": data, "timestamp": now, "wamid": wamid})
        self.sent.append(record)
        self._wake()
        message: dict[str, Any] = {"id": wamid}
        if record["type"] == "template":
            message["message_status"] = "accepted"
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": str(data.get("to")), "wa_id": record["to"]}],
                "messages": [message],
            }
        )

    # ------------------------------------------------------------------ validation

    def _validate(self, data: dict[str, Any]) -> dict[str, Any]:
        product = data.get("messaging_product")
        if product is None:
            raise _param("The parameter messaging_product is required.")
        if product != "whatsapp":
            raise _param(f"Param messaging_product must be one of {{WHATSAPP}} - got \"{product}\".")
        recipient_type = data.get("recipient_type", "individual")
        if recipient_type not in ("individual", "group"):
            raise _param(
                f"Param recipient_type must be one of {{INDIVIDUAL, GROUP}} - got \"{recipient_type}\"."
            )
        to = data.get("to")
        bsuid = data.get("recipient") if to is None else None       # a username user's id
        if bsuid is not None:
            if not isinstance(bsuid, str) or not re.match(r"^[A-Z]{2}\.(ENT\.)?[0-9A-Za-z]+$", bsuid):
                raise _param("Param recipient must be a business-scoped user id.")
            to = bsuid
        elif to is None or to == "":
            raise _param("The parameter to is required.")
        if bsuid is None and (not isinstance(to, (str, int)) or not _digits(to)):
            raise GraphAPIError(
                131026, "(#131026) Message undeliverable",
                details="Recipient phone number is not a valid WhatsApp phone number.",
            )
        kind = data.get("type", "text")
        if kind not in MESSAGE_TYPES:
            raise _param(
                "Param type must be one of {" + ", ".join(t.upper() for t in MESSAGE_TYPES) + f"}} - got \"{kind}\"."
            )
        if not isinstance(data.get(kind), (dict, list)):
            raise _param(f"The parameter {kind} is required.")
        context = data.get("context")
        if context is not None and (not isinstance(context, dict) or not _is_str(context.get("message_id"))):
            raise _param("The parameter context['message_id'] is required.")

        record: dict[str, Any] = {
            "to": bsuid if bsuid is not None else _digits(to),
            "type": kind,
            "body": None,
            "buttons": [],
            "rows": [],
            "template": None,
            "interactive_type": None,
            "header": None,
            "footer": None,
            "button_label": None,
            "sections": [],
            "document": None,
            "reply_to": context.get("message_id") if isinstance(context, dict) else None,
        }
        getattr(self, f"_validate_{kind}", self._validate_other)(data[kind], record)
        return record

    def _validate_text(self, text: Any, record: dict[str, Any]) -> None:
        if not isinstance(text, dict):
            raise _param("Param text must be a JSON object.")
        body = text.get("body")
        if body is None:
            raise _param("The parameter text['body'] is required.")
        if not _is_str(body):
            raise _param("Param text['body'] must be a string.")
        if not body.strip():
            raise _param("Param text['body'] must be at least 1 characters long.")
        if len(body) > MAX_TEXT_BODY:
            raise _param(f"Param text['body'] must be at most {MAX_TEXT_BODY} characters long.")
        preview = text.get("preview_url")
        if preview is not None and not isinstance(preview, bool):
            raise _param("Param text['preview_url'] must be a boolean.")
        record["body"] = body
        record["preview_url"] = bool(preview)

    @staticmethod
    def _check_len(value: Any, limit: int, details: str, minimum: int = 1) -> str:
        if not _is_str(value) or not minimum <= len(value) <= limit:
            raise _invalid(details)
        return value

    def _validate_interactive(self, inter: Any, record: dict[str, Any]) -> None:
        if not isinstance(inter, dict):
            raise _param("Param interactive must be a JSON object.")
        itype = inter.get("type")
        if itype is None:
            raise _param("The parameter interactive['type'] is required.")
        if itype not in INTERACTIVE_TYPES:
            raise _param(
                "Param interactive['type'] must be one of {"
                + ", ".join(t.upper() for t in INTERACTIVE_TYPES) + f"}} - got \"{itype}\"."
            )
        record["interactive_type"] = itype
        body = inter.get("body")
        body_text = body.get("text") if isinstance(body, dict) else None
        if body_text is None:
            if itype in ("button", "list", "cta_url", "flow", "location_request_message"):
                raise _param("The parameter interactive['body']['text'] is required.")
        else:
            record["body"] = self._check_len(
                body_text, MAX_INTERACTIVE_BODY,
                f"Body text length invalid. Min length: 1, Max length: {MAX_INTERACTIVE_BODY}",
            )
        header = inter.get("header")
        if header is not None:
            if not isinstance(header, dict) or header.get("type") not in ("text", "image", "video", "document"):
                raise _param("The parameter interactive['header']['type'] is required.")
            if header["type"] == "text":
                record["header"] = self._check_len(
                    header.get("text"), MAX_HEADER_FOOTER,
                    f"Header text length invalid. Min length: 1, Max length: {MAX_HEADER_FOOTER}",
                )
            elif itype == "list":
                raise _invalid("Header type must be text for interactive list messages.")
            else:
                record["header"] = header
        footer = inter.get("footer")
        if footer is not None:
            if not isinstance(footer, dict):
                raise _param("Param interactive['footer'] must be a JSON object.")
            record["footer"] = self._check_len(
                footer.get("text"), MAX_HEADER_FOOTER,
                f"Footer text length invalid. Min length: 1, Max length: {MAX_HEADER_FOOTER}",
            )
        action = inter.get("action")
        if not isinstance(action, dict):
            if itype in ("button", "list", "cta_url", "flow", "location_request_message", "product", "product_list"):
                raise _param("The parameter interactive['action'] is required.")
            return
        if itype == "button":
            self._validate_buttons(action, record)
        elif itype == "list":
            self._validate_list(action, record)

    def _validate_buttons(self, action: dict[str, Any], record: dict[str, Any]) -> None:
        buttons = action.get("buttons")
        if buttons is None:
            raise _param("The parameter interactive['action']['buttons'] is required.")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
            raise _invalid(
                f"Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: {MAX_BUTTONS}"
            )
        seen_ids: set[str] = set()
        seen_titles: set[str] = set()
        out = []
        for i, button in enumerate(buttons):
            where = f"interactive['action']['buttons'][{i}]"
            if not isinstance(button, dict):
                raise _param(f"Param {where} must be a JSON object.")
            if button.get("type") is None:
                raise _param(f"The parameter {where}['type'] is required.")
            if button["type"] != "reply":
                raise _param(f"Param {where}['type'] must be one of {{REPLY}} - got \"{button['type']}\".")
            reply = button.get("reply")
            if not isinstance(reply, dict):
                raise _param(f"The parameter {where}['reply'] is required.")
            if reply.get("id") is None:
                raise _param(f"The parameter {where}['reply']['id'] is required.")
            if reply.get("title") is None:
                raise _param(f"The parameter {where}['reply']['title'] is required.")
            bid = self._check_len(
                reply.get("id"), MAX_BUTTON_ID,
                f"Button ID length invalid. Min length: 1, Max length: {MAX_BUTTON_ID}",
            )
            title = self._check_len(
                reply.get("title"), MAX_BUTTON_TITLE,
                f"Button title length invalid. Min length: 1, Max length: {MAX_BUTTON_TITLE}",
            )
            if bid in seen_ids:
                raise _invalid(f"Duplicate button id found: {bid}. Button ids must be unique.")
            if title in seen_titles:
                raise _invalid(f"Duplicate button title found: {title}. Button titles must be unique.")
            seen_ids.add(bid)
            seen_titles.add(title)
            out.append((bid, title))
        record["buttons"] = out

    def _validate_list(self, action: dict[str, Any], record: dict[str, Any]) -> None:
        label = action.get("button")
        if label is None:
            raise _param("The parameter interactive['action']['button'] is required.")
        record["button_label"] = self._check_len(
            label, MAX_LIST_BUTTON,
            f"Button title length invalid. Min length: 1, Max length: {MAX_LIST_BUTTON}",
        )
        sections = action.get("sections")
        if sections is None:
            raise _param("The parameter interactive['action']['sections'] is required.")
        if not isinstance(sections, list) or not 1 <= len(sections) <= MAX_LIST_SECTIONS:
            raise _invalid(
                f"Invalid sections count. Min allowed sections: 1, Max allowed sections: {MAX_LIST_SECTIONS}"
            )
        total = sum(len(s.get("rows") or []) for s in sections if isinstance(s, dict))
        if total > MAX_LIST_ROWS:
            raise _invalid(f"Total row count exceed max allowed count: {MAX_LIST_ROWS}")
        seen: set[str] = set()
        rows_out = []
        sections_out = []
        for si, section in enumerate(sections):
            where = f"interactive['action']['sections'][{si}]"
            if not isinstance(section, dict):
                raise _param(f"Param {where} must be a JSON object.")
            title = section.get("title")
            if title is None:
                if len(sections) > 1:
                    raise _invalid("Section title is required when there is more than one section.")
            else:
                self._check_len(
                    title, MAX_SECTION_TITLE,
                    f"Section title length invalid. Min length: 1, Max length: {MAX_SECTION_TITLE}",
                )
            rows = section.get("rows")
            if rows is None:
                raise _param(f"The parameter {where}['rows'] is required.")
            if not isinstance(rows, list) or not rows:
                raise _invalid("Invalid rows count. Min allowed rows: 1, Max allowed rows: 10")
            section_rows = []
            for ri, row in enumerate(rows):
                rwhere = f"{where}['rows'][{ri}]"
                if not isinstance(row, dict):
                    raise _param(f"Param {rwhere} must be a JSON object.")
                if row.get("id") is None:
                    raise _param(f"The parameter {rwhere}['id'] is required.")
                if row.get("title") is None:
                    raise _param(f"The parameter {rwhere}['title'] is required.")
                rid = self._check_len(
                    row.get("id"), MAX_ROW_ID, f"Row ID length invalid. Min length: 1, Max length: {MAX_ROW_ID}"
                )
                rtitle = self._check_len(
                    row.get("title"), MAX_ROW_TITLE,
                    f"Row title length invalid. Min length: 1, Max length: {MAX_ROW_TITLE}",
                )
                desc = row.get("description")
                if desc is not None:
                    self._check_len(
                        desc, MAX_ROW_DESCRIPTION,
                        f"Row description length invalid. Min length: 0, Max length: {MAX_ROW_DESCRIPTION}",
                        minimum=0,
                    )
                if rid in seen:
                    raise _invalid(f"Duplicate row id found: {rid}. Row ids must be unique.")
                seen.add(rid)
                rows_out.append((rid, rtitle, desc or ""))
                section_rows.append((rid, rtitle, desc or ""))
            sections_out.append({"title": title, "rows": section_rows})
        record["rows"] = rows_out
        record["sections"] = sections_out

    def _validate_template(self, template: Any, record: dict[str, Any]) -> None:
        if not isinstance(template, dict):
            raise _param("Param template must be a JSON object.")
        name = template.get("name")
        if not _is_str(name) or not name:
            raise _param("The parameter template['name'] is required.")
        language = template.get("language")
        if not isinstance(language, dict) or not _is_str(language.get("code")) or not language["code"]:
            raise _param("The parameter template['language']['code'] is required.")
        components = template.get("components")
        if components is not None and not isinstance(components, list):
            raise _param("Param template['components'] must be an array.")
        code = language["code"]
        if self.templates is not None and code not in self.templates.get(name, set()):
            raise GraphAPIError(
                132001,
                "(#132001) Template name does not exist in the translation",
                details=f"template name ({name}) does not exist in {code}",
                http_status=404,
            )
        record["template"] = (name, code)
        record["components"] = components or []

    def _validate_document(self, doc: Any, record: dict[str, Any]) -> None:
        self._validate_media("document", doc, record)
        record["document"] = {
            "link": doc.get("link"),
            "id": doc.get("id"),
            "filename": doc.get("filename"),
            "caption": doc.get("caption"),
        }

    def _validate_media(self, kind: str, media: Any, record: dict[str, Any]) -> None:
        if not isinstance(media, dict):
            raise _param(f"Param {kind} must be a JSON object.")
        has_link = _is_str(media.get("link")) and media["link"]
        has_id = media.get("id") not in (None, "")
        if not has_link and not has_id:
            raise _param(f"Param {kind} must contain either 'id' or 'link'.")
        if has_link and has_id:
            raise _param(f"Param {kind} must contain only one of 'id' or 'link'.")
        if has_link and not re.match(r"https?://", media["link"]):
            raise _param(f"Param {kind}['link'] is not a valid URI.")
        caption = media.get("caption")
        if caption is not None:
            if kind in ("audio", "sticker"):
                raise _param(f"Param {kind}['caption'] is not supported for this media type.")
            if not _is_str(caption) or len(caption) > MAX_CAPTION:
                raise _param(f"Param {kind}['caption'] must be at most {MAX_CAPTION} characters long.")
            record["body"] = caption

    def _validate_image(self, media: Any, record: dict[str, Any]) -> None:
        self._validate_media("image", media, record)

    def _validate_audio(self, media: Any, record: dict[str, Any]) -> None:
        self._validate_media("audio", media, record)

    def _validate_video(self, media: Any, record: dict[str, Any]) -> None:
        self._validate_media("video", media, record)

    def _validate_sticker(self, media: Any, record: dict[str, Any]) -> None:
        self._validate_media("sticker", media, record)

    def _validate_location(self, loc: Any, record: dict[str, Any]) -> None:
        if not isinstance(loc, dict):
            raise _param("Param location must be a JSON object.")
        for key in ("latitude", "longitude"):
            if loc.get(key) is None:
                raise _param(f"The parameter location['{key}'] is required.")

    def _validate_reaction(self, react: Any, record: dict[str, Any]) -> None:
        if not isinstance(react, dict) or not _is_str(react.get("message_id")):
            raise _param("The parameter reaction['message_id'] is required.")
        record["body"] = react.get("emoji", "")

    def _validate_other(self, content: Any, record: dict[str, Any]) -> None:
        pass

    # ------------------------------------------------------------------ failure injection

    def fail_next(
        self,
        code: int,
        to: str | None = None,
        times: int | None = 1,
        *,
        message: str | None = None,
        details: str | None = None,
        endpoint: str = "messages",
    ) -> None:
        """Make the next ``times`` sends (optionally only those to ``to``) fail with ``code``.

        Known codes get the real API's message/details/HTTP status: 130429 (rate limit hit),
        131056 (pair rate limit), 131047 (re-engagement: more than 24 hours passed), 131026
        (message undeliverable), 131030, 131000, 190 (invalid OAuth access token, HTTP 401) and
        100 (invalid parameter). ``times=None`` fails forever (until :meth:`clear_failures`).
        ``endpoint="phone"`` targets ``GET /{phone_number_id}`` instead; ``"any"`` both.
        Injected failures apply after authentication and payload validation.
        """
        self._failures.append(
            {
                "error": _known_error(code, message, details),
                "to": _digits(to) if to is not None else None,
                "remaining": times,
                "endpoint": endpoint,
            }
        )

    def clear_failures(self) -> None:
        self._failures.clear()

    def _take_failure(self, to: str | None, endpoint: str) -> GraphAPIError | None:
        for rule in self._failures:
            if rule["endpoint"] not in (endpoint, "any"):
                continue
            if rule["to"] is not None and rule["to"] != to:
                continue
            if rule["remaining"] is not None:
                rule["remaining"] -= 1
                if rule["remaining"] <= 0:
                    self._failures.remove(rule)
            err = rule["error"]
            # fresh fbtrace_id for each response
            return GraphAPIError(
                err.code, err.message, details=err.details, http_status=err.http_status,
                error_type=err.error_type, error_subcode=err.error_subcode, whatsapp=err.whatsapp,
            )
        return None

    # ------------------------------------------------------------------ recording helpers

    def _wake(self) -> None:
        old = self._sent_signal
        self._sent_signal = asyncio.Event()
        old.set()

    def sent_to(self, wa_id: str) -> list[dict[str, Any]]:
        wa_id = _digits(wa_id)
        return [s for s in self.sent if s["to"] == wa_id]

    async def wait_for_sent(self, n: int, timeout: float = 5, to: str | None = None) -> list[dict[str, Any]]:
        """Wait until at least ``n`` messages were accepted (to ``to`` if given); return them."""
        deadline = time.monotonic() + timeout
        while True:
            signal = self._sent_signal
            current = self.sent if to is None else self.sent_to(to)
            if len(current) >= n:
                return list(current)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                got = [(s["to"], s["type"], s["body"]) for s in current]
                raise TimeoutError(f"expected {n} sent message(s) within {timeout}s, got {len(current)}: {got}")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(signal.wait(), timeout=remaining)

    def max_in_window(self, window: float = 1.0, to: str | None = None, include_failed: bool = True) -> int:
        """Largest number of message sends (mark-as-read excluded) within any ``window`` seconds.

        Counts attempts answered with an error too, unless ``include_failed=False``. Two calls
        exactly ``window`` apart are not in the same window.
        """
        to = _digits(to) if to is not None else None
        stamps = sorted(
            c["timestamp"]
            for c in self.call_log
            if (include_failed or c["ok"]) and (to is None or c["to"] == to)
        )
        best = 0
        start = 0
        for end, stamp in enumerate(stamps):
            while stamp - stamps[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best
