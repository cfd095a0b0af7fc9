"""Tests of the FakeGraphAPI test double (WhatsApp Cloud API) itself, over real HTTP with httpx."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
import pytest

from tests.fakes import graph_api
from tests.fakes.graph_api import FakeGraphAPI, sign

TOKEN = "EAAtest"
PHONE_ID = "1234567890"
USER = "919812345678"


@pytest.fixture
async def fake():
    async with FakeGraphAPI(token=TOKEN, phone_number_id=PHONE_ID, version="v21.0") as api:
        yield api


@pytest.fixture
async def client(fake):
    async with httpx.AsyncClient(
        base_url=fake.base_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
    ) as c:
        yield c


def _text(body: str, to: str = USER) -> dict:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"body": body, "preview_url": False},
    }


def _buttons(n: int, title_len: int = 5) -> dict:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": USER,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Pick one"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": f"b{i}", "title": (str(i) * title_len)[:title_len]}}
                    for i in range(n)
                ]
            },
        },
    }


def _list(n_rows: int, sections: int = 1) -> dict:
    per = -(-n_rows // sections)
    secs = []
    k = 0
    for s in range(sections):
        rows = []
        for _ in range(min(per, n_rows - k)):
            rows.append({"id": f"r{k}", "title": f"Row {k}", "description": "desc"})
            k += 1
        secs.append({"title": f"Section {s}", "rows": rows})
    return {
        "messaging_product": "whatsapp",
        "to": USER,
        "type": "interactive",
        "interactive": {
            "type": "list",
            "header": {"type": "text", "text": "Topics"},
            "body": {"text": "Choose a topic"},
            "footer": {"text": "Export Helpdesk"},
            "action": {"button": "Topics", "sections": secs},
        },
    }


async def test_base_url_shape(fake):
    assert fake.base_url == f"http://127.0.0.1:{fake.port}/v21.0"


async def test_send_text_ok_and_recorded(fake, client):
    r = await client.post(f"/{PHONE_ID}/messages", json=_text("Namaste Ram"))
    assert r.status_code == 200
    data = r.json()
    assert data["messaging_product"] == "whatsapp"
    assert data["contacts"] == [{"input": USER, "wa_id": USER}]
    wamid = data["messages"][0]["id"]
    assert wamid.startswith("wamid.")

    [sent] = await fake.wait_for_sent(1, timeout=1)
    assert sent["to"] == USER and sent["type"] == "text" and sent["body"] == "Namaste Ram"
    assert sent["wamid"] == wamid
    assert sent["raw"] == _text("Namaste Ram")
    assert isinstance(sent["timestamp"], float)
    assert fake.sent_to(USER) == [sent] and fake.sent_to("911111111111") == []
    assert fake.requests == [("POST", f"/v21.0/{PHONE_ID}/messages", _text("Namaste Ram"))]

    r2 = await client.post(f"/{PHONE_ID}/messages", json=_text("again"))
    assert r2.json()["messages"][0]["id"] != wamid
    assert fake.max_in_window(1.0) == 2


async def test_text_length_limits(client):
    r = await client.post(f"/{PHONE_ID}/messages", json=_text("x" * 4096))
    assert r.status_code == 200
    r = await client.post(f"/{PHONE_ID}/messages", json=_text("x" * 4097))
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == 100 and err["type"] == "OAuthException"
    assert err["message"] == "(#100) Param text['body'] must be at most 4096 characters long."
    assert err["error_data"]["messaging_product"] == "whatsapp"
    r = await client.post(f"/{PHONE_ID}/messages", json=_text(""))
    assert r.status_code == 400 and r.json()["error"]["code"] == 100


async def test_buttons_ok_and_four_rejected(fake, client):
    r = await client.post(f"/{PHONE_ID}/messages", json=_buttons(3))
    assert r.status_code == 200
    assert fake.sent[-1]["buttons"] == [("b0", "00000"), ("b1", "11111"), ("b2", "22222")]
    assert fake.sent[-1]["body"] == "Pick one"

    r = await client.post(f"/{PHONE_ID}/messages", json=_buttons(4))
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == 131009
    assert err["message"] == "(#131009) Parameter value is not valid"
    assert err["type"] == "OAuthException"
    assert err["error_data"] == {
        "messaging_product": "whatsapp",
        "details": "Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: 3",
    }
    assert err["fbtrace_id"]
    assert len(fake.sent) == 1


async def test_button_title_21_chars_rejected(client):
    assert (await client.post(f"/{PHONE_ID}/messages", json=_buttons(2, title_len=20))).status_code == 200
    r = await client.post(f"/{PHONE_ID}/messages", json=_buttons(2, title_len=21))
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == 131009
    assert err["error_data"]["details"] == "Button title length invalid. Min length: 1, Max length: 20"


async def test_duplicate_button_ids_rejected(client):
    payload = _buttons(2)
    payload["interactive"]["action"]["buttons"][1]["reply"]["id"] = "b0"
    r = await client.post(f"/{PHONE_ID}/messages", json=payload)
    assert r.status_code == 400 and r.json()["error"]["code"] == 131009


async def test_list_ok_and_eleven_rows_rejected(fake, client):
    r = await client.post(f"/{PHONE_ID}/messages", json=_list(10, sections=2))
    assert r.status_code == 200
    sent = fake.sent[-1]
    assert len(sent["rows"]) == 10 and sent["rows"][0] == ("r0", "Row 0", "desc")
    assert sent["body"] == "Choose a topic" and sent["button_label"] == "Topics"

    r = await client.post(f"/{PHONE_ID}/messages", json=_list(11, sections=2))
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == 131009
    assert err["error_data"]["details"] == "Total row count exceed max allowed count: 10"


async def test_list_field_limits(client):
    async def details(mutate) -> str:
        payload = _list(2)
        mutate(payload["interactive"])
        r = await client.post(f"/{PHONE_ID}/messages", json=payload)
        assert r.status_code == 400, r.text
        return r.json()["error"]["error_data"]["details"]

    def rows(i):
        return i["action"]["sections"][0]["rows"]

    assert "Row title" in await details(lambda i: rows(i)[0].update(title="x" * 25))
    assert "Row description" in await details(lambda i: rows(i)[0].update(description="x" * 73))
    assert "Button title" in await details(lambda i: i["action"].update(button="x" * 21))
    assert "Section title" in await details(lambda i: i["action"]["sections"][0].update(title="x" * 25))
    assert "Body text" in await details(lambda i: i["body"].update(text="x" * 1025))


async def test_template_and_document(fake, client):
    tpl = {
        "messaging_product": "whatsapp",
        "to": USER,
        "type": "template",
        "template": {"name": "hello_world", "language": {"code": "en_US"}},
    }
    r = await client.post(f"/{PHONE_ID}/messages", json=tpl)
    assert r.status_code == 200 and r.json()["messages"][0]["message_status"] == "accepted"
    assert fake.sent[-1]["template"] == ("hello_world", "en_US")

    doc = {
        "messaging_product": "whatsapp",
        "to": USER,
        "type": "document",
        "document": {"link": "https://example.com/guide.pdf", "filename": "guide.pdf", "caption": "Guide"},
    }
    r = await client.post(f"/{PHONE_ID}/messages", json=doc)
    assert r.status_code == 200
    assert fake.sent[-1]["document"]["filename"] == "guide.pdf" and fake.sent[-1]["body"] == "Guide"
    del doc["document"]["link"]
    r = await client.post(f"/{PHONE_ID}/messages", json=doc)
    assert r.status_code == 400 and r.json()["error"]["code"] == 100


async def test_wrong_token_401(fake):
    async with httpx.AsyncClient(base_url=fake.base_url, headers={"Authorization": "Bearer nope"}) as c:
        r = await c.post(f"/{PHONE_ID}/messages", json=_text("hi"))
        assert r.status_code == 401
        err = r.json()["error"]
        assert err["code"] == 190 and err["type"] == "OAuthException"
        assert "Invalid OAuth access token" in err["message"]
        r = await c.get(f"/{PHONE_ID}")
        assert r.status_code == 401 and r.json()["error"]["code"] == 190
    assert fake.sent == []


async def test_unknown_phone_number_id(client):
    for r in (
        await client.post("/999999/messages", json=_text("hi")),
        await client.get("/999999"),
    ):
        assert r.status_code == 400
        err = r.json()["error"]
        assert err["code"] == 100 and err["error_subcode"] == 33
        assert "Object with ID '999999' does not exist" in err["message"]


async def test_fail_next_rate_limit_once(fake, client):
    fake.fail_next(130429)
    r = await client.post(f"/{PHONE_ID}/messages", json=_text("one"))
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == 130429 and err["message"] == "(#130429) Rate limit hit"
    assert err["error_data"]["messaging_product"] == "whatsapp"
    assert fake.sent == []

    r = await client.post(f"/{PHONE_ID}/messages", json=_text("one"))
    assert r.status_code == 200
    assert len(fake.sent) == 1
    assert fake.max_in_window(1.0) == 2
    assert fake.max_in_window(1.0, include_failed=False) == 1


async def test_fail_next_per_recipient_and_codes(fake, client):
    other = "919800000000"
    fake.fail_next(131047, to=other)
    assert (await client.post(f"/{PHONE_ID}/messages", json=_text("a"))).status_code == 200
    r = await client.post(f"/{PHONE_ID}/messages", json=_text("b", to=other))
    err = r.json()["error"]
    assert r.status_code == 400 and err["code"] == 131047
    assert "24 hours" in err["error_data"]["details"]
    fake.fail_next(190)
    r = await client.post(f"/{PHONE_ID}/messages", json=_text("c"))
    assert r.status_code == 401 and r.json()["error"]["code"] == 190
    for code in (131056, 131026, 100):
        fake.fail_next(code)
        r = await client.post(f"/{PHONE_ID}/messages", json=_text("d"))
        assert r.status_code == 400 and r.json()["error"]["code"] == code


async def test_get_phone_number(client):
    r = await client.get(f"/{PHONE_ID}")
    assert r.status_code == 200
    data = r.json()
    assert data["id"] == PHONE_ID
    assert data["verified_name"] == "Export Helpdesk"
    assert data["display_phone_number"].startswith("+91 ")
    r = await client.get(f"/{PHONE_ID}", params={"fields": "verified_name"})
    assert r.json() == {"verified_name": "Export Helpdesk", "id": PHONE_ID}


def _value(payload: dict) -> dict:
    assert payload["object"] == "whatsapp_business_account"
    [entry] = payload["entry"]
    [change] = entry["changes"]
    assert change["field"] == "messages"
    value = change["value"]
    assert value["messaging_product"] == "whatsapp"
    assert value["metadata"]["phone_number_id"] == PHONE_ID
    return value


def test_payload_builders():
    payloads = {
        "text": graph_api.text_message(USER, "hello", name="Sita"),
        "button": graph_api.button_reply(USER, "yes", "Yes"),
        "list": graph_api.list_reply(USER, "gst", "GST", description="Tax"),
        "image": graph_api.image(USER, caption="pic"),
        "audio": graph_api.audio(USER),
        "video": graph_api.video(USER),
        "document": graph_api.document(USER),
        "sticker": graph_api.sticker(USER),
        "location": graph_api.location(USER),
        "contacts": graph_api.contacts_message(USER),
        "reaction": graph_api.reaction(USER, "👍", "wamid.X"),
    }
    for kind, payload in payloads.items():
        value = _value(json.loads(json.dumps(payload)))
        assert value["contacts"][0]["wa_id"] == USER, kind
        [message] = value["messages"]
        assert message["from"] == USER and message["id"].startswith("wamid."), kind
        assert isinstance(message["timestamp"], str) and message["timestamp"].isdigit(), kind
        assert message[message["type"]] is not None, kind

    assert _value(payloads["text"])["contacts"][0]["profile"]["name"] == "Sita"
    assert _value(payloads["text"])["messages"][0]["text"] == {"body": "hello"}
    button = _value(payloads["button"])["messages"][0]
    assert button["interactive"] == {"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes"}}
    assert button["context"]["id"].startswith("wamid.")
    assert _value(payloads["list"])["messages"][0]["interactive"]["list_reply"]["description"] == "Tax"
    assert _value(payloads["audio"])["messages"][0]["audio"]["voice"] is True
    assert _value(payloads["reaction"])["messages"][0]["reaction"] == {"message_id": "wamid.X", "emoji": "👍"}
    with_uid = graph_api.text_message(USER, "hi", user_id="IN.123", wamid="wamid.fixed")
    assert _value(with_uid)["contacts"][0]["user_id"] == "IN.123"
    assert _value(with_uid)["messages"][0]["id"] == "wamid.fixed"


def test_status_builder():
    delivered = _value(graph_api.status("wamid.A", USER))["statuses"][0]
    assert delivered["id"] == "wamid.A" and delivered["status"] == "delivered"
    assert delivered["recipient_id"] == USER and delivered["timestamp"].isdigit()
    failed = _value(graph_api.status("wamid.B", USER, status="failed"))["statuses"][0]
    [error] = failed["errors"]
    assert error["code"] == 131047 and error["title"] == "Re-engagement message"
    assert "24 hours" in error["error_data"]["details"]


async def test_bound_builders_use_fake_ids():
    async with FakeGraphAPI(token=TOKEN, phone_number_id="555") as fake:
        payload = fake.text_message(USER, "hi")
        change = payload["entry"][0]["changes"][0]["value"]
        assert change["metadata"]["phone_number_id"] == "555"
        assert fake.status("wamid.Z", USER, status="read")["entry"][0]["changes"][0]["value"]["statuses"]


def test_sign_matches_hmac():
    body = graph_api.dumps(graph_api.text_message(USER, "नमस्ते"))
    secret = "app-secret"
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert sign(body, secret) == f"sha256={expected}"
    assert sign(body, secret.encode()) == f"sha256={expected}"
    assert sign(body + b" ", secret) != f"sha256={expected}"
