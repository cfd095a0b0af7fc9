"""What both webhooks share: a size limit applied while reading, and JSON parsed strictly.

A body over the limit is refused as soon as its declared length (or the bytes
read so far) pass it, never read whole. JSON is parsed without NaN/Infinity,
with a nesting limit, and every string must be valid UTF-8 text (no lone
surrogates), so nothing the store cannot hold gets past the door.
"""
from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

MAX_BODY = 256 * 1024          # Telegram updates and WhatsApp deliveries are a few KB
MAX_DEPTH = 20                 # the shapes the bot reads are at most 8 levels deep
MAX_INT_DIGITS = 20


class BadBody(Exception):
    """The body is not something a platform sends: answer 4xx and keep nothing."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise BadBody(413, "body too large")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadBody(413, "body too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError("number too long")
    return int(text)


def strict_json(body: bytes) -> Any:
    """Parse a webhook body; :class:`BadBody` (400) for anything a platform would not send."""
    try:
        value = json.loads(body.decode("utf-8"), parse_constant=_no_constant, parse_int=_int)
    except (ValueError, RecursionError) as exc:
        raise BadBody(400, f"not JSON: {type(exc).__name__}") from None
    _check(value, 0)
    return value


def loads_lenient(body: bytes) -> Any:
    """Parse a Bot API answer that holds many updates: odd numbers and constants are kept as text, so one
    strange update cannot make the whole batch unreadable (each update is then checked on its own)."""
    return json.loads(body.decode("utf-8", errors="replace"), parse_constant=str,
                      parse_int=lambda t: int(t) if len(t.lstrip("-")) <= MAX_INT_DIGITS else t)


def check_value(value: Any) -> None:
    """:class:`BadBody` for nesting or text the store cannot hold."""
    _check(value, 0)


def _check(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise BadBody(400, "nested too deeply")
    if isinstance(value, str):
        _text(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _text(key)
            _check(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check(item, depth + 1)


def _text(value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadBody(400, "text that is not valid Unicode") from None
