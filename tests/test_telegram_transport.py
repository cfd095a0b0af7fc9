"""The Bot API calls over aiohttp (bot/channels/telegram/transport.py): what python-telegram-bot sees when the
network misbehaves, and the choice of backend. The calls themselves (messages, keyboards, files, 400/403/429)
run over both backends in tests/test_fake_telegram_api.py."""
from __future__ import annotations

import asyncio
import json
import socket

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest

from bot.channels.telegram.application import make_bot
from bot.channels.telegram.transport import AiohttpRequest, make_request
from bot.settings import Settings

TOKEN = "123:ABC"


async def test_an_answer_that_never_comes_is_a_timeout_and_the_bot_goes_on():
    """A server that takes the request and says nothing: TimedOut after the read timeout, as with httpx."""
    got: list[bytes] = []
    done = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        got.append(await reader.read(65536))
        await done.wait()
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        request = AiohttpRequest(read_timeout=0.3)
        bot = telegram.Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
        await request.initialize()
        with pytest.raises(TimedOut):
            await bot.send_message(42, "नमस्ते", reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("हाँ", callback_data="y")]]))
        await request.shutdown()
    finally:
        done.set()
        server.close()
        await server.wait_closed()
    head, _, body = got[0].partition(b"\r\n\r\n")
    assert head.startswith(b"POST /bot123:ABC/sendMessage HTTP/1.1")
    # One JSON body, the Hindi as UTF-8 (not percent-encoded form fields), the keyboard as an object.
    assert b"\r\nContent-Type: application/json\r\n" in head
    assert json.loads(body) == {"chat_id": 42, "text": "नमस्ते",
                                "reply_markup": {"inline_keyboard": [[{"text": "हाँ", "callback_data": "y"}]]}}


async def test_nobody_listening_is_a_network_error():
    with socket.socket() as s:      # a port that was free a moment ago: nothing listens there now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError, match="aiohttp.ClientConnectorError"):
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/sendMessage")
    finally:
        await request.shutdown()


async def test_a_closed_request_says_so():
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/x", "POST")


def test_the_backend_is_chosen_by_setting():
    assert isinstance(make_request("aiohttp"), AiohttpRequest)
    assert isinstance(make_request("httpx"), HTTPXRequest)
    assert Settings.from_env({}, dotenv=None).telegram_http_client == "aiohttp"
    settings = Settings.from_env({"TELEGRAM_HTTP_CLIENT": "HTTPX", "TELEGRAM_BOT_TOKEN": TOKEN}, dotenv=None)
    assert settings.telegram_http_client == "httpx"
    assert isinstance(make_bot(settings).request, HTTPXRequest)
    with pytest.raises(SystemExit, match="TELEGRAM_HTTP_CLIENT must be one of aiohttp, httpx, not 'curl'"):
        Settings.from_env({"TELEGRAM_HTTP_CLIENT": "curl"}, dotenv=None)


def test_the_proxy_comes_from_the_environment_once_per_host(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.local:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    request = AiohttpRequest()
    assert request._proxy("https://api.telegram.org/bot123:ABC/sendMessage") == "http://proxy.local:3128"
    assert request._proxy("http://127.0.0.1:8081/bot123:ABC/sendMessage") is None
    monkeypatch.setenv("HTTPS_PROXY", "http://other.local:3128")    # read once per host: a running bot keeps its proxy
    assert request._proxy("https://api.telegram.org/bot123:ABC/getMe") == "http://proxy.local:3128"
