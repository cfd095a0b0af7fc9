"""python-telegram-bot's calls to the Bot API over aiohttp (its documented ``BaseRequest`` extension point).

The default backend, httpx, costs about 0.65 ms of CPU per ``sendMessage`` on this project's machine; aiohttp,
whose HTTP parser is compiled, with the parameters as one JSON body (the Bot API takes ``application/json`` for
every call without a file; a file goes as multipart, as before), about 0.25 ms. The answer is handed back as the
bytes received, so every library behaviour above it (429 ``RetryAfter``, 403 ``Forbidden``, parsing the answer)
is unchanged. It matters where the bot spends its time: one call per reply, and one per broadcast message.

``TELEGRAM_HTTP_CLIENT=httpx`` goes back to python-telegram-bot's own ``HTTPXRequest``.
"""
from __future__ import annotations

import asyncio
import json
import socket
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

# Send small requests at once: without TCP_NODELAY, Nagle's algorithm and delayed ACKs cost ~40 ms a request.
# (aiohttp sets it on its own connections; httpx needs it asked for.)
NO_DELAY = ((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)
POOL_SIZE = 8
JSON_BODY = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    """A :class:`telegram.request.BaseRequest` on one ``aiohttp.ClientSession`` (a pool of keep-alive connections).

    Timeouts as python-telegram-bot's: ``read`` (waiting for the answer), ``connect`` and ``pool`` (waiting for a
    free connection; aiohttp counts it in its ``connect`` time), each overridable per call. aiohttp has no
    timeout for writing a request; a write that stalls ends with the read timeout. Proxies come from the
    environment (``HTTPS_PROXY``, ``NO_PROXY``), as with httpx — read once per host, not at every call as
    aiohttp's ``trust_env`` does (that alone costs 0.3 ms a call).
    """

    __slots__ = ("_session", "_size", "_read", "_connect", "_pool", "_media_read", "_proxies")

    def __init__(self, connection_pool_size: int = POOL_SIZE, read_timeout: float | None = 5.0,
                 connect_timeout: float | None = 5.0, pool_timeout: float | None = 1.0,
                 media_read_timeout: float | None = 20.0):
        self._session: aiohttp.ClientSession | None = None
        self._size = connection_pool_size
        self._read = read_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_read = media_read_timeout   # an upload's answer comes after the whole file went
        self._proxies: dict[tuple[str, str], str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._size),
                headers={"User-Agent": self.USER_AGENT}, skip_auto_headers=("Accept-Encoding",))

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = BaseRequest.DEFAULT_NONE, write_timeout: Any = BaseRequest.DEFAULT_NONE,
                         connect_timeout: Any = BaseRequest.DEFAULT_NONE,
                         pool_timeout: Any = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        read = _given(read_timeout, self._media_read if files else self._read)
        connect = _given(connect_timeout, self._connect)
        pool = _given(pool_timeout, self._pool)
        timeout = aiohttp.ClientTimeout(total=None, sock_read=read, sock_connect=connect,
                                        connect=None if connect is None or pool is None else connect + pool)
        data: Any = None
        headers = None
        if files and request_data is not None:
            form = aiohttp.FormData()
            for name, value in request_data.json_parameters.items():   # (files come only with request data)
                form.add_field(name, value)
            for name, (filename, content, mimetype) in files.items():
                form.add_field(name, content, filename=filename, content_type=mimetype)
            data = form
        elif request_data is not None:
            # One JSON body (the Bot API takes application/json for every call without a file): cheaper than
            # form-encoding, which percent-encodes every byte of a Hindi text three times over.
            data = json.dumps(request_data.parameters, ensure_ascii=False, separators=(",", ":")).encode()
            headers = JSON_BODY
        try:
            async with self._session.request(method, url, data=data, headers=headers, timeout=timeout,
                                             proxy=self._proxy(url)) as response:
                return response.status, await response.read()
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc

    def _proxy(self, url: str) -> str | None:
        """The proxy the environment names for this URL's scheme and host (worked out once per host)."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxies:
            proxy = urllib.request.getproxies().get(parts.scheme)
            self._proxies[key] = None if not proxy or urllib.request.proxy_bypass(key[1]) else proxy
        return self._proxies[key]


def _given(value: Any, default: float | None) -> float | None:
    return default if isinstance(value, type(BaseRequest.DEFAULT_NONE)) else value


def make_request(client: str) -> BaseRequest:
    """The networking for the Bot API calls: ``aiohttp`` (the default) or ``httpx`` (python-telegram-bot's own)."""
    if client == "httpx":
        return HTTPXRequest(connection_pool_size=POOL_SIZE, socket_options=NO_DELAY)
    return AiohttpRequest()
