"""The Graph API client at the transport seam (httpx.MockTransport): no server needed to check its error handling."""
from __future__ import annotations

import json
from typing import Callable

import httpx
import pytest

from bot.channels.whatsapp.client import ConfigurationError, GraphError, Uncertain, WhatsAppClient, WindowClosed

BASE = "https://graph.test/v21.0"
PHONE_ID = "1234567890"


def error(code: int, message: str = "error", status: int = 400, subcode: int | None = None) -> httpx.Response:
    body = {"error": {"code": code, "message": message, **({"error_subcode": subcode} if subcode else {})}}
    return httpx.Response(status, json=body)


def sent(wamid: str = "wamid.OK") -> httpx.Response:
    return httpx.Response(200, json={"messaging_product": "whatsapp", "messages": [{"id": wamid}]})


class Script:
    """Answers the client's requests in order, and keeps them."""

    def __init__(self, *answers: httpx.Response | Exception):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def client_for(script: Callable[[httpx.Request], httpx.Response], **kw) -> tuple[WhatsAppClient, list[float]]:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    http = httpx.AsyncClient(transport=httpx.MockTransport(script))
    return WhatsAppClient(BASE, PHONE_ID, "EAAtoken", http=http, sleep=sleep, **kw), slept


async def test_a_text_is_posted_with_the_token_and_returns_its_wamid():
    script = Script(sent("wamid.1"))
    client, _ = client_for(script)
    assert (await client.send_text("919800000001", "Namaste")).wamid == "wamid.1"
    (request,) = script.requests
    assert str(request.url) == f"{BASE}/{PHONE_ID}/messages"
    assert request.headers["Authorization"] == "Bearer EAAtoken"
    assert json.loads(request.content) == {"messaging_product": "whatsapp", "recipient_type": "individual",
                                           "to": "919800000001", "type": "text",
                                           "text": {"body": "Namaste", "preview_url": False}}
    await client.aclose()


async def test_a_rate_limit_is_retried_with_growing_waits():
    script = Script(error(130429), error(131056), sent())
    client, slept = client_for(script)
    assert (await client.send_text("91", "x")).wamid == "wamid.OK"
    assert len(script.requests) == 3 and slept == [1.0, 2.0]
    await client.aclose()


async def test_once_sends_a_rate_limited_request_a_single_time():
    script = Script(error(130429))
    client, slept = client_for(script)
    with pytest.raises(GraphError) as caught:
        await client.once().send_text("91", "x")
    assert caught.value.code == 130429 and len(script.requests) == 1 and slept == []
    await client.aclose()


async def test_attempts_end_with_the_last_error():
    script = Script(*[error(130429)] * 3)
    client, slept = client_for(script, max_attempts=3)
    with pytest.raises(GraphError):
        await client.send_text("91", "x")
    assert len(script.requests) == 3 and slept == [1.0, 2.0]
    await client.aclose()


async def test_a_connection_that_never_reached_meta_is_retried():
    request = httpx.Request("POST", BASE)
    script = Script(httpx.ConnectError("refused", request=request), sent())
    client, slept = client_for(script)
    assert (await client.send_text("91", "x")).wamid == "wamid.OK" and slept == [1.0]
    await client.aclose()


async def test_no_answer_after_sending_is_uncertain_and_never_resent():
    request = httpx.Request("POST", BASE)
    script = Script(httpx.ReadTimeout("no answer", request=request), sent())
    client, _ = client_for(script)
    with pytest.raises(Uncertain):
        await client.send_text("91", "x")
    assert len(script.requests) == 1
    await client.aclose()


async def test_a_closed_window_and_a_wrong_token_are_their_own_errors():
    client, _ = client_for(Script(error(131047, "Re-engagement message")))
    with pytest.raises(WindowClosed):
        await client.send_text("91", "x")
    await client.aclose()
    client, _ = client_for(Script(error(190, "Invalid OAuth access token", status=401)))
    with pytest.raises(ConfigurationError):
        await client.check()
    await client.aclose()
    client, _ = client_for(Script(error(100, "Unsupported get request", subcode=33)))
    with pytest.raises(ConfigurationError):
        await client.check()
    await client.aclose()


async def test_an_answer_without_json_is_an_error_not_a_crash():
    client, _ = client_for(Script(httpx.Response(502, text="Bad Gateway")))
    with pytest.raises(GraphError) as caught:
        await client.check()
    assert caught.value.status == 502
    await client.aclose()
