"""Real payloads from other projects' test suites, through both webhooks; fuzzed bodies and questions too."""
from __future__ import annotations

import json
import string
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from bot.core.dialogue import Incoming, UserState

from . import sql
from .fakes import graph_api
from .test_reliability import tg, wa, traces  # noqa: F401 - fixtures

PAYLOADS = Path(__file__).parent / "data" / "payloads"


def samples(prefix: str) -> list[tuple[str, dict]]:
    out = []
    for path in sorted(PAYLOADS.glob(f"{prefix}_*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        cases = {path.stem: data} if "object" in data or "update_id" in data else data
        out += [(f"{path.stem}:{name}", payload) for name, payload in cases.items()]
    return out


def recipients_ok(fake) -> bool:
    return all((m["to"].isdigit() or m["to"].startswith("US.")) for m in fake.sent)


async def test_pywa_samples_through_both_webhooks(wa, tg):
    statuses = {}
    for name, payload in samples("pywa"):
        response = await wa.post(payload)
        placeholder = "<WHATSAPP" in json.dumps(payload)
        assert response.status_code == (400 if placeholder else 200), (name, response.status_code, response.text)
        assert (await tg.hook(payload)).status_code == 400, name
        statuses[name] = response.status_code
    await wa.channel.process_pending()
    assert recipients_ok(wa.fake)
    counts = await wa.store.inbox_counts("whatsapp")
    assert set(counts) <= {"done"} and counts["done"] >= 5       # many samples share one wamid: stored once
    recorded = {s["status"] for s in await sql.select(wa.store, "SELECT status FROM delivery_status ORDER BY id")}
    assert recorded <= {"sent", "delivered", "read", "failed"} and "RINGING" not in recorded
    assert wa.fake.sent                                                      # the messages were answered
    assert len(statuses) >= 35


async def test_python_telegram_bot_samples_through_both_webhooks(tg, wa):
    for name, update in samples("ptb"):
        assert (await tg.hook(update)).status_code == 200, name
        assert (await wa.post(update)).status_code < 500, name
    await tg.inbox.worker.run_once()
    counts = await tg.store.inbox_counts("telegram")
    # One update id for all: the first is stored, the others (other content) are kept apart and handled too.
    assert sum(counts.values()) == len(samples("ptb")) and set(counts) <= {"done", "bad"}
    assert counts.get("bad") == 2          # the poll and poll answer from before Bot API 9.6 (no persistent ids)
    assert all(m["chat_id"] == 1 for m in tg.fake.sent)
    assert await traces(wa.store) == 0


# ---------------------------------------------------------------- property-based

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25)
KEYS = ["update_id", "message", "chat", "id", "from", "text", "callback_query", "data", "entry", "changes", "value",
        "messages", "statuses", "type", "recipient_id", "errors", "code", "body", "interactive", "button_reply"]


def mutate(base: dict, data) -> dict:
    """A valid payload with one field somewhere replaced by something else."""
    payload = json.loads(json.dumps(base))
    node = payload
    for _ in range(data.draw(st.integers(0, 6))):
        if isinstance(node, dict) and node:
            key = data.draw(st.sampled_from(sorted(node)))
            if isinstance(node[key], (dict, list)) and node[key]:
                node = node[key]
                continue
        elif isinstance(node, list) and node:
            index = data.draw(st.integers(0, len(node) - 1))
            if isinstance(node[index], (dict, list)) and node[index]:
                node = node[index]
                continue
        break
    if isinstance(node, dict):
        node[data.draw(st.sampled_from(KEYS + sorted(node)))] = data.draw(json_values)
    elif isinstance(node, list):
        node.append(data.draw(json_values))
    return payload


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@FUZZ
@given(data=st.data())
async def test_fuzzed_whatsapp_bodies_never_get_a_5xx_or_reach_a_junk_recipient(wa, data):
    base = graph_api.text_message("919876500009", "HS code for saddlery")
    body = data.draw(st.one_of(json_values, st.just(None).map(lambda _: mutate(base, data))))
    response = await wa.post(graph_api.dumps(body) if not isinstance(body, bytes) else body)
    assert response.status_code in (200, 400), response.text
    await wa.channel.process_pending()
    assert recipients_ok(wa.fake)


@FUZZ
@given(data=st.data())
async def test_fuzzed_telegram_bodies_never_get_a_5xx_or_stall(tg, data):
    base = tg.fake.make_message_update(77, "HS code for saddlery")
    body = data.draw(st.one_of(json_values, st.just(None).map(lambda _: mutate(base, data))))
    response = await tg.hook(json.dumps(body).encode())
    assert response.status_code in (200, 400), response.text
    await tg.inbox.worker.run_once()
    assert await tg.store.inbox_counts("telegram") == {} or "pending" not in await tg.store.inbox_counts("telegram")
    assert all(isinstance(m["chat_id"], int) and abs(m["chat_id"]) < 2 ** 52 for m in tg.fake.sent)


words = st.text(alphabet=string.ascii_letters + string.digits + " :/²٣_-" + "हिंदीचमड़ा", max_size=60)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(["text", "button", "command", "media", "edited"]), text=words,
       lang=st.sampled_from([None, "en", "hi"]), step=st.sampled_from([None, "lang", "district", "product", "sub"]))
def test_the_dialogue_answers_anything_without_an_exception(dialogue, kind, text, lang, step):
    turn = dialogue.handle(UserState(lang=lang, step=step), Incoming(kind, text))
    assert turn.replies and all(r.text for r in turn.replies)
