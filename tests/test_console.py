"""The staff console over plain HTTP: nothing without a session, CSRF on every form, a district clerk kept to their
district whatever the URL or the form says, sign-in throttled, sessions that end, no secret in a page; the
entry form's problems beside their fields, and accounts from the command line."""
from __future__ import annotations

import re
import shutil

import httpx
import pytest
from starlette.routing import Mount, Route

from bot.app import make_console, open_runtime
from bot.channels.console.web import make_console_app, standalone_app
from bot.core.dialogue import Logged, UserState
from bot.services.accounts import AccountError, set_password
from bot.settings import Secret, Settings
from bot.store import Store

from .conftest import KNOWLEDGE
from .test_staff import AGRA_CLERK, HATHRAS_CLERK, STAFF_YAML

ADMIN = 999
PASSWORD = "correct horse battery"
SECRET = "console-secret-never-shown-3f9a"
HATHRAS_Q, AGRA_Q = "kya mujhe export ke liye godown chahiye", "agra carpet buyers in dubai list"
HATHRAS_HANDOFF, AGRA_HANDOFF = "who signs the certificate of origin", "agra question about zari work"


class Site:
    def __init__(self, console, client: httpx.AsyncClient, store: Store, knowledge):
        self.console, self.client, self.store, self.knowledge = console, client, store, knowledge
        self.csrf = ""

    async def sign_in(self, login: str, password: str = PASSWORD) -> httpx.Response:
        page = await self.client.get("/console/login")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        response = await self.client.post("/console/login", data={"csrf": token, "login": login,
                                                                   "password": password, "next": ""})
        if response.status_code == 303:
            home = await self.client.get("/console/")
            self.csrf = re.search(r'name="csrf" value="([^"]+)"', home.text).group(1)
        return response

    async def post(self, path: str, data: dict | None = None, csrf: bool = True) -> httpx.Response:
        return await self.client.post(path, data={**(data or {}), **({"csrf": self.csrf} if csrf else {})})


@pytest.fixture
async def site(tmp_path):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    (knowledge / "staff.yaml").write_text(STAFF_YAML, encoding="utf-8")
    store = await Store(tmp_path / "db.sqlite3").open()
    settings = Settings(knowledge_dir=knowledge, db_path=tmp_path / "db.sqlite3", admin_telegram_ids=frozenset({ADMIN}),
                        console_secret=Secret(SECRET))
    runtime = open_runtime(settings, store)
    console = make_console(settings, runtime)
    for login, tid in (("dic-hathras", HATHRAS_CLERK), ("dic-agra", AGRA_CLERK), ("admin", ADMIN)):
        await set_password(store, runtime.kb, settings.admin_telegram_ids, login, tid, PASSWORD)
    for chat, district, question in (("4242", "hathras", HATHRAS_Q), ("4343", "agra", AGRA_Q)):
        await store.save_user("telegram", chat, UserState(lang="en", district=district, subscription="district"))
        await store.log_question("telegram", chat, Logged(question, "en", None, 0.1, "refuse"))
    await store.handoff_open("telegram", "4242", HATHRAS_HANDOFF, "en", "hathras", None, None)
    await store.handoff_open("telegram", "4343", AGRA_HANDOFF, "en", "agra", None, None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=standalone_app(console)),
                                 base_url="http://test") as client:
        yield Site(console, client, store, knowledge)
    await store.close()


def _paths(console) -> list[tuple[str, str]]:
    out = []
    for route in make_console_app(console).routes:
        if isinstance(route, Mount) or route.path in ("/login", "/lang/{code}"):
            continue
        assert isinstance(route, Route)
        path = "/console" + re.sub(r"\{(\w+)(:path)?\}", lambda m: {"key": "1", "id": "1", "what": "todo"}.get(
            m.group(1), "anything"), route.path)
        out += [(method, path) for method in sorted(route.methods or ()) if method != "HEAD"]
    return out


async def test_every_route_is_refused_without_a_session(site):
    paths = _paths(site.console)
    assert len(paths) >= 20
    for method, path in paths:
        response = await site.client.request(method, path)
        if method == "GET":
            assert response.status_code == 303 and response.headers["location"].startswith("/console/login"), path
        else:
            assert response.status_code == 401, (method, path)
        for secret in (HATHRAS_Q, AGRA_Q, HATHRAS_HANDOFF, AGRA_HANDOFF):
            assert secret not in response.text
    htmx = await site.client.get("/console/handoffs", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["HX-Retarget"] == "#alert" and "Sign in again" in htmx.text
    site.client.cookies.set("exportbot_console", "eyJsIjoiYWRtaW4ifQ.deadbeef", path="/console")
    assert (await site.client.get("/console/")).status_code == 303          # a forged cookie is no session
    assert (await site.store.handoff(1))["status"] == "open"          # nothing was done by any of them


async def test_a_district_clerk_sees_only_their_district(site):
    assert (await site.sign_in("dic-hathras")).status_code == 303
    pages = {p: (await site.client.get(f"/console{p}")).text for p in ("/", "/unanswered", "/handoffs", "/broadcasts")}
    assert "DIC Hathras desk · <span id=\"scope\">Hathras</span>" in pages["/"]
    assert HATHRAS_Q in pages["/unanswered"] and AGRA_Q not in pages["/unanswered"]
    assert HATHRAS_HANDOFF in pages["/handoffs"] and AGRA_HANDOFF not in pages["/handoffs"]
    options = re.findall(r'<option value="([^"]+)"', pages["/broadcasts"])
    assert options == ["district:hathras"]                                  # no "all", no other district, no sector
    assert (await site.client.get("/console/knowledge/agra-testing-lab")).status_code == 404
    assert (await site.client.get("/console/knowledge/gi-status-plans")).status_code == 200    # Hathras' own
    listed = (await site.client.get("/console/knowledge?q=testing+lab")).text
    assert "agra-testing-lab" not in listed


async def test_a_district_clerk_cannot_change_another_districts_data_by_editing_urls_or_fields(site):
    await site.sign_in("dic-hathras")
    # another district's hand-off, by its number in the URL: not answered, not turned into anything
    refused = await site.post("/console/handoffs/2/answer", {"answer": "from the wrong office"})
    assert refused.status_code == 404 and "from the wrong office" not in refused.text
    assert (await site.post("/console/handoffs/2/todo")).status_code == 404
    agra = await site.store.handoff(2)
    assert (agra["status"], agra["answer"], agra["resolved"]) == ("open", None, None)
    # another district's unanswered group, by its key
    for what in ("todo", "dismiss"):
        assert (await site.post(f"/console/unanswered/2/{what}")).status_code == 404
    assert (await site.post("/console/unanswered/2/alias", {"entry": "iec"})).status_code == 404
    assert [q["resolved"] for q in await site.store.asked(0)] == [None, None]
    # its own group, but an alias for another district's entry slipped into the form field
    own = await site.post("/console/unanswered/1/alias", {"entry": "agra-testing-lab"})
    assert "Not added: that entry is not among yours." in own.text
    assert HATHRAS_Q not in (site.knowledge / "faq.yaml").read_text(encoding="utf-8")
    # another district's entry texts
    before = (site.knowledge / "faq.yaml").read_bytes()
    edited = await site.post("/console/knowledge/agra-testing-lab", {"title.en": "Hacked", "action": "save"})
    assert edited.status_code == 404
    # a state-wide entry and a fact are the state admins'
    assert (await site.post("/console/knowledge/iec", {"title.en": "Hacked", "action": "save"})).status_code == 404
    assert (await site.post("/console/knowledge/upepb-stall-cap", {"value.en": "₹9 lakh", "action": "save"})
            ).status_code == 404
    assert (site.knowledge / "faq.yaml").read_bytes() == before
    # a broadcast to another district, the segment typed into the form
    composed = await site.post("/console/broadcasts", {"text_en": "Camp", "segment": "district:agra"})
    assert "Choose who gets it from the list (you can send only to your district&#39;s subscribers)." in composed.text
    for forged in ("all", "sector:leather", "district:Agra"):
        composed = await site.post("/console/broadcasts", {"text_en": "Camp", "segment": forged})
        assert composed.status_code == 200 and "Choose who gets it from the list" in composed.text
    composed = await site.post("/console/broadcasts", {"text_en": "Camp", "segment": "district:hathras"})
    assert composed.status_code == 303
    assert [c.segment for c in await site.store.campaigns() if c.kind == "broadcast"] == ["district:hathras"]
    # another district's broadcast and a reminder of another district's event, by number
    agra_id, _ = await site.console.broadcaster.create_broadcast("Agra only", "district:agra", "admin",
                                                                 __import__("datetime").datetime.now())
    assert (await site.client.get(f"/console/broadcasts/{agra_id}")).status_code == 404
    assert (await site.post(f"/console/broadcasts/{agra_id}/confirm")).status_code == 404
    assert (await site.store.campaign(agra_id)).status == "draft"
    await site.client.get("/console/broadcasts")                     # plans the calendar's reminders
    kanpur = [c for c in await site.store.campaigns() if c.event_id and "kanpur" in c.event_id]
    assert kanpur, "the calendar has Kanpur Nagar events within 30 days"
    assert (await site.post(f"/console/reminders/{kanpur[0].id}/pause")).status_code == 404
    assert (await site.store.campaign(kanpur[0].id)).status == "scheduled"


async def test_every_form_needs_its_csrf_token(site):
    await site.sign_in("dic-hathras")
    for path, data in (("/console/unanswered/1/dismiss", {}), ("/console/handoffs/1/answer", {"answer": "x"}),
                       ("/console/broadcasts", {"text_en": "Camp", "segment": "all"}), ("/console/logout", {})):
        missing = await site.post(path, data, csrf=False)
        assert missing.status_code == 403 and "This form has expired" in missing.text
        wrong = await site.client.post(path, data={**data, "csrf": "x" * 40})
        assert wrong.status_code == 403
    assert [q["resolved"] for q in await site.store.asked(0)] == [None, None]
    assert [c for c in await site.store.campaigns() if c.kind == "broadcast"] == []
    assert (await site.client.get("/console/")).status_code == 200          # still signed in: logout needed it too
    # the sign-in form has its own token
    response = await site.client.post("/console/login", data={"login": "dic-hathras", "password": PASSWORD})
    assert response.status_code == 403


async def test_sign_in_is_throttled_and_sessions_end(site):
    for _ in range(5):
        assert (await site.sign_in("dic-hathras", "wrong password")).status_code == 401
    throttled = await site.sign_in("dic-hathras")                  # even the right password, for a while
    assert throttled.status_code == 429 and "Too many failed sign-ins" in throttled.text
    assert (await site.sign_in("dic-agra")).status_code == 303      # another login from here still may
    await site.post("/console/logout")
    assert (await site.client.get("/console/")).status_code == 303
    # the session ends after an hour without a request, and when the password changes
    site.console.by_login.succeeded("dic-hathras")
    clock = [1_000_000.0]
    site.console.sessions.clock = lambda: clock[0]
    assert (await site.sign_in("admin")).status_code == 303
    clock[0] += 3599
    assert (await site.client.get("/console/")).status_code == 200
    clock[0] += 3601
    assert (await site.client.get("/console/")).status_code == 303
    assert (await site.sign_in("admin")).status_code == 303
    await set_password(site.store, site.console.runtime.kb, site.console.admin_ids, "admin", ADMIN, "a new password!")
    assert (await site.client.get("/console/")).status_code == 303


async def test_no_secret_in_any_page(site):
    await site.sign_in("admin")
    for path in ("/", "/unanswered", "/handoffs", "/knowledge", "/knowledge/iec", "/broadcasts"):
        response = await site.client.get(f"/console{path}")
        assert response.status_code == 200
        assert SECRET not in response.text and "argon2" not in response.text
        assert response.headers["Cache-Control"] == "no-store"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    cookie = site.client.cookies.get("exportbot_console")
    assert cookie and SECRET not in cookie


async def test_an_entry_with_a_mistake_is_not_saved_and_the_problem_stands_beside_its_field(site):
    await site.sign_in("admin")
    before = (site.knowledge / "schemes.yaml").read_bytes()
    page = await site.post("/console/knowledge/upepb-mda", {"answer.en": "Pays {{upepb-stal-cap}} back.",
                                                            "title.hi": "", "action": "save"})
    assert "Not saved: please fix the problems shown under the boxes in red." in page.text
    answer = _text(re.search(r'id="f-answer-en-problem" data-field="answer.en">(.+?)</div>', page.text).group(1))
    assert answer == ("There is no figure called {{upepb-stal-cap}}. Did you mean {{upepb-stall-cap}}? upepb-mda: "
                      "answer (en) names the fact &#39;upepb-stal-cap&#39;, which is not written anywhere (did you mean "
                      "&#39;{{upepb-stall-cap}}&#39;?)")           # in plain words, then as `kb check` says it
    title = _text(re.search(r'id="f-title-hi-problem" data-field="title.hi">(.+?)</div>', page.text).group(1))
    assert title == ("Write the Hindi text here: it may not be empty. scheme &#39;upepb-mda&#39;: field &#39;title&#39; "
                     "has no Hindi text (hi)")
    assert re.search(r'<input id="f-title-hi"[^>]*aria-invalid="true"[^>]* autofocus>', page.text)
    assert page.text.count(" autofocus") == 1                     # the cursor waits in the first box to fix
    assert (site.knowledge / "schemes.yaml").read_bytes() == before
    # corrected: saved into the file, one line changed, live at once
    form = (await site.client.get("/console/knowledge/upepb-mda")).text
    assert "f-answer-en" in form
    saved = await site.post("/console/knowledge/upepb-mda", {"title.en": "MDA: market help from UPEPB",
                                                             "action": "save"})
    assert "Saved to schemes.yaml. The bot answers with it now." in saved.text
    old, new = before.decode().split("\n"), (site.knowledge / "schemes.yaml").read_text(encoding="utf-8").split("\n")
    assert [(a, b) for a, b in zip(old, new) if a != b] == [
        ("    en: Market Development Assistance (MDA) – UP Export Promotion Bureau",
         "    en: 'MDA: market help from UPEPB'")]
    assert site.console.runtime.kb.entries["upepb-mda"].title.en == "MDA: market help from UPEPB"


async def test_accounts_need_a_staff_member_and_a_long_password(site):
    kb = site.console.runtime.kb
    with pytest.raises(AccountError, match="not in knowledge/staff.yaml"):
        await set_password(site.store, kb, frozenset({ADMIN}), "stranger", 12345, PASSWORD)
    with pytest.raises(AccountError, match="at least 10 characters"):
        await set_password(site.store, kb, frozenset({ADMIN}), "dic-hathras", HATHRAS_CLERK, "short")
    row = await site.store.console_account("dic-hathras")
    assert row["password_hash"].startswith("$argon2id$") and PASSWORD not in row["password_hash"]


async def test_odd_input_gets_a_page_never_a_server_error(site):
    await site.sign_in("dic-hathras")
    # forged numbers: too big for the database, digits that are not 0-9
    for path in ("/console/broadcasts/99999999999999999999999", "/console/broadcasts/²", "/console/broadcasts/١٢"):
        page = await site.client.get(path)
        assert page.status_code == 404 and "Not found among your district" in page.text, path
    for path in ("/console/unanswered/99999999999999999999999/todo", "/console/unanswered/²/dismiss",
                 "/console/handoffs/99999999999999999999999/answer", "/console/handoffs/³/todo",
                 "/console/reminders/99999999999999999999/pause"):
        assert (await site.post(path, {"answer": "x"})).status_code == 404, path
    assert [q["resolved"] for q in await site.store.asked(0)] == [None, None]
    # empty and very long forms
    assert "Write an answer first." in (await site.post("/console/handoffs/1/answer", {"answer": "  "})).text
    assert (await site.store.handoff(1))["status"] == "open"
    page = await site.client.get("/console/try", params={"q": "x" * 5000})
    assert page.status_code == 200 and "xxxxxxxx" in page.text
    listed = await site.client.get("/console/knowledge", params={"q": "क" * 3000, "kind": "zzz", "district": "zzz"})
    assert listed.status_code == 200 and "0 entries" in listed.text
    # text pasted with control characters (a PDF, a word processor): saved without them
    saved = await site.post("/console/knowledge/gi-status-plans", {"title.en": "GI tag\x00 status\x07 of products",
                                                                   "action": "save"})
    assert saved.status_code == 200 and "Saved to faq.yaml" in saved.text
    assert site.console.runtime.kb.entries["gi-status-plans"].title.en == "GI tag status of products"


class Sender:
    """A channel that records what it sends and answers with the given status."""

    def __init__(self, status: str = "sent"):
        self.status, self.sent = status, []

    async def send(self, chat_id, text, lang, kind, params):
        from bot.services.outbox import SendResult

        self.sent.append((chat_id, text))
        return SendResult(self.status, message_id="1" if self.status == "sent" else None)


async def _htmx(site, path: str, data: dict | None = None, status: int = 200) -> str:
    """What an htmx action puts in place on the page, as text."""
    response = await site.client.post(path, data={**(data or {}), "csrf": site.csrf}, headers={"HX-Request": "true"})
    assert response.status_code == status, response.text
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text)).strip()


async def test_what_an_action_did_is_said_in_the_clerks_language(site):
    await site.sign_in("dic-hathras")
    await site.client.get("/console/lang/hi")
    await site.store.log_question("telegram", "4242", Logged("hathras hing ka bhav kya hai", "hi", None, 0.1, "refuse"))
    own = next(q["id"] for q in await site.store.asked(0) if q["text"] == "hathras hing ka bhav kya hai")
    assert await _htmx(site, "/console/unanswered/1/alias", {"entry": "how-to-start-exporting"}) == (
        f"✓ जोड़ दिया। अब बॉट “{HATHRAS_Q}” का जवाब “निर्यात कैसे शुरू करें: एक-एक कदम” से देता है।")
    assert await _htmx(site, "/console/unanswered/1/todo", status=404) == (
        "इस पर पहले ही काम हो चुका है (आपने या किसी साथी ने)। ताज़ा सूची के लिए पेज फिर से खोलें।")
    assert await _htmx(site, f"/console/unanswered/{own}/dismiss") == (
        "✓ “hathras hing ka bhav kya hai” (1 बार) सूची से हटा दिया: इस पर कुछ नहीं करना।")
    # a hand-off: this console runs without the bot's channels; then with a Telegram that delivers
    said = await _htmx(site, "/console/handoffs/1/answer", {"answer": "चैंबर ऑफ़ कॉमर्स"})
    assert said.startswith(f"#1 “{HATHRAS_HANDOFF}” नहीं भेजा: यह पेज बॉट के बिना अकेला चल रहा है, इसलिए Telegram पर")
    assert "चैंबर ऑफ़ कॉमर्स" in said                             # kept in the box, to send again
    site.console.desk.senders["telegram"] = telegram = Sender()
    said = await _htmx(site, "/console/handoffs/1/answer", {"answer": "चैंबर ऑफ़ कॉमर्स"})
    assert said.startswith(f"#1 “{HATHRAS_HANDOFF}” ✓ उपयोगकर्ता को Telegram पर भेज दिया। ताकि अगली बार बॉट ख़ुद "
                           "जवाब दे:")
    assert telegram.sent[0][0] == "4242" and "चैंबर ऑफ़ कॉमर्स" in telegram.sent[0][1]
    assert (await _htmx(site, "/console/handoffs/1/answer", {"answer": "again"})).startswith(
        f"#1 “{HATHRAS_HANDOFF}” इसका जवाब DIC Hathras desk पहले ही दे चुके हैं।")
    assert await _htmx(site, "/console/handoffs/1/todo") == (
        f"#1 “{HATHRAS_HANDOFF}” ✓ “{HATHRAS_HANDOFF}” काम की सूची में जुड़ गया (नंबर 1): इसका नया जवाब लिखना है।")
    # the same words in English; a form whose token has expired says so in place
    await site.client.get("/console/lang/en")
    assert await _htmx(site, "/console/handoffs/1/alias", {"entry": "iec"}) == (
        f"#1 “{HATHRAS_HANDOFF}” Question #1 was dealt with already.")
    site.csrf = "stale"
    assert await _htmx(site, f"/console/unanswered/{own}/todo", status=403) == (
        "This form has expired. Reload the page and try again.")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


async def test_pages_speak_plain_words_not_codes(site):
    await site.sign_in("dic-hathras")
    unanswered = _text((await site.client.get("/console/unanswered")).text)
    assert f"“{HATHRAS_Q}” asked 1× not answered 1 · Hathras 1 · English 1" in unanswered
    handoffs = await site.client.get("/console/handoffs")
    assert "From a user in Hathras · on Telegram · writes in English · 1 min ago" in _text(handoffs.text)
    assert "Your answer, in English (the user gets it on Telegram)" in handoffs.text
    assert "answers typed here cannot reach users" in handoffs.text       # `exportbot console`: no channels here
    site.console.desk.senders["telegram"] = Sender()
    await _htmx(site, "/console/handoffs/1/answer", {"answer": "The chamber of commerce."})
    await _htmx(site, "/console/handoffs/1/todo")
    answered = _text((await site.client.get("/console/handoffs")).text)
    assert (f"#1 “{HATHRAS_HANDOFF}” → The chamber of commerce. (answered by DIC Hathras desk; on the to-do list "
            "(number 1))") in answered
    assert str(HATHRAS_CLERK) not in answered and "cannot reach users" not in answered
    # what the bot would answer, by its kind in words; a match in another district is named, not linked
    tried = (await site.client.get("/console/try", params={"q": "agra testing lab"})).text
    assert _text(tried).startswith("The bot would reply with an answer: Agra footwear testing lab")
    assert "(agra-testing-lab)" in tried and 'href="/console/knowledge/agra-testing-lab"' not in tried
    tried = _text((await site.client.get("/console/try", params={"q": "hing prices in tokyo today"})).text)
    assert tried.startswith("The bot would reply with “not in my documents” (off topic):")
    # the knowledge list starts with the clerk's own district
    listed = (await site.client.get("/console/knowledge")).text
    wheres = re.findall(r"</td><td>[^<]+</td><td>([^<]+)</td></tr>", listed)
    assert wheres[:3] == ["Hathras"] * 3 and "State-wide" in wheres
    # a broadcast's status and tally in Hindi
    await site.client.get("/console/lang/hi")
    await site.post("/console/broadcasts", {"text_en": "Camp on Friday", "segment": "district:hathras"})
    campaign = next(c for c in await site.store.campaigns() if c.kind == "broadcast")
    draft = _text((await site.client.get(f"/console/broadcasts/{campaign.id}")).text)
    assert "हिन्दी में संदेश नहीं लिखा: हिन्दी वाले सदस्यों को अंग्रेज़ी संदेश जाएगा।" in draft
    assert draft.count("Camp on Friday") == 1
    await site.post(f"/console/broadcasts/{campaign.id}/confirm")
    page = _text((await site.client.get(f"/console/broadcasts/{campaign.id}")).text)
    assert "भेजने की स्थिति भेजा जा रहा है · भेजे गए 0 · नहीं गए 0 · छोड़े गए 0 · पक्का पता नहीं 0 · बाकी 1" in page
    # a clerk who writes in Hindi only: everybody gets the Hindi text, and the draft says so
    composed = await site.post("/console/broadcasts", {"text_en": " ", "text_hi": "शुक्रवार को IEC कैंप",
                                                       "segment": "district:hathras"})
    hindi = await site.store.campaign(int(composed.headers["location"].rsplit("/", 1)[1]))
    assert (hindi.text_en, hindi.text_hi) == ("शुक्रवार को IEC कैंप", "शुक्रवार को IEC कैंप")
    assert 'id="confirm"' in (await site.client.get(composed.headers["location"])).text      # 1 subscriber
    await site.client.get("/console/lang/en")
    await site.sign_in("admin")
    nobody = await site.post("/console/broadcasts", {"text_en": "Leather fair", "segment": "sector:leather"})
    page = (await site.client.get(nobody.headers["location"])).text
    assert 'id="confirm"' not in page and "Nobody has subscribed in this group yet" in page
    await site.client.get("/console/lang/hi")
    draft = _text((await site.client.get(composed.headers["location"])).text)
    assert "अंग्रेज़ी में संदेश नहीं लिखा: अंग्रेज़ी वाले सदस्यों को भी हिन्दी संदेश जाएगा।" in draft
    assert draft.count("शुक्रवार को IEC कैंप") == 1
    empty = _text((await site.post("/console/broadcasts", {"text_en": "", "text_hi": "", "segment": "all"})).text)
    assert "संदेश लिखें, अंग्रेज़ी या हिन्दी में (हो सके तो दोनों में)।" in empty
    unanswered = _text((await site.client.get("/console/unanswered")).text)
    assert f"“{HATHRAS_Q}” 1 बार पूछा जवाब नहीं मिला 1 · हाथरस 1 · अंग्रेज़ी 1" in unanswered


async def test_a_reminder_paused_resumed_edited_and_cancelled_says_what_happened(site):
    await site.sign_in("admin")
    await site.client.get("/console/broadcasts")                     # plans the calendar's reminders
    reminder = next(c for c in await site.store.campaigns() if c.kind == "reminder" and c.event_id and
                    "kanpur" in c.event_id and c.status == "scheduled")
    card = f'id="campaign-{reminder.id}"'

    async def act(what: str, data: dict | None = None) -> str:
        response = await site.post(f"/console/reminders/{reminder.id}/{what}", data)
        assert response.status_code == 303
        page = await site.client.get(response.headers["location"])
        return _text(re.search(r'<p class="notice" role="status" id="done">(.*?)</p>', page.text).group(1)), page.text

    said, page = await act("pause")
    assert said == f"✓ Reminder #{reminder.id} is paused: it does not go out until you resume it."
    assert re.search(card + r".*?<span class=\"status\">paused</span>", page, re.S)
    assert (await site.store.campaign(reminder.id)).status == "paused"
    said, _ = await act("resume")
    assert said == f"✓ Reminder #{reminder.id} goes out as planned again."
    said, page = await act("text", {"text_en": "IEC camp next week: bring your PAN card.", "text_hi": ""})
    assert said == f"✓ Reminder #{reminder.id}: the new text is saved; it goes out with it."
    assert "Text: IEC camp next week: bring your PAN card." in _text(page)
    said, _ = await act("text", {"text_en": "", "text_hi": ""})
    assert said == f"Reminder #{reminder.id}: nothing changed (the text is the same, or empty)."
    # cancelling asks first (a second button inside a closed box), then says it is done
    assert f'<summary>Cancel</summary>\n      <p>Cancel this reminder? Nobody will get it' in page
    said, page = await act("cancel")
    assert said == f"✓ #{reminder.id} is cancelled: nobody gets it."
    assert card not in page and (await site.store.campaign(reminder.id)).status == "cancelled"
    said, _ = await act("pause")
    assert said == f"#{reminder.id} could not be changed: it has gone out already, or was cancelled meanwhile."
    # in Hindi
    await site.client.get("/console/lang/hi")
    said, _ = await act("resume")
    assert said == f"#{reminder.id} नहीं बदला जा सका: यह जा चुका है, या इस बीच रद्द हो गया।"


async def test_the_unanswered_list_and_usage_download_as_spreadsheets_of_the_clerks_district(site):
    await site.sign_in("dic-hathras")
    page = (await site.client.get("/console/unanswered?days=30")).text
    assert 'href="/console/unanswered.csv?days=30" download>Download this list as a spreadsheet (CSV)' in page
    sheet = await site.client.get("/console/unanswered.csv?days=30")
    assert sheet.headers["content-type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="unanswered-30d-hathras-\d{4}-\d\d-\d\d\.csv"',
                        sheet.headers["content-disposition"])
    assert sheet.content.startswith("\ufeff".encode())               # Excel reads the Devanagari as UTF-8
    rows = list(__import__("csv").DictReader(sheet.text.lstrip("\ufeff").splitlines()))
    assert [(r["type"], r["question"], r["districts"]) for r in rows] == [
        ("group", HATHRAS_Q, "hathras 1"), ("handoff", HATHRAS_HANDOFF, "hathras")]      # nothing of Agra
    assert 'href="/console/usage.csv?days=30" download>' in (await site.client.get("/console/")).text
    usage = await site.client.get("/console/usage.csv")
    lines = usage.text.lstrip("\ufeff").splitlines()
    assert lines[0] == "section,name,count,declined" and "district,hathras,1," in lines
    assert not [line for line in lines if "agra" in line]
    site.client.cookies.clear()
    assert (await site.client.get("/console/unanswered.csv")).status_code == 303       # no session, no download


async def test_a_figure_says_which_answers_show_it(site):
    await site.sign_in("dic-hathras")
    page = (await site.client.get("/console/knowledge/hathras-brass-exports")).text
    assert "<h1>Figure {{hathras-brass-exports}}</h1>" in page
    used = _text(re.search(r'<ul class="used-in">(.*?)</ul>', page, re.S).group(1))
    assert used == ("HS code 741999: Other: Articles of Brass (listed as 741999(30)) Major export products of Hathras "
                    "(FY 2020-21) Hathras brass articles and ghungroo-ghanti")
    assert 'href="/console/knowledge/hathras-brass-ghungroo"' in page
    assert "Only a state admin can change this entry" in page and "readonly" in page    # a figure is the state's


async def test_a_session_that_ends_mid_work_loses_nothing_typed(site):
    clock = [1_000_000.0]
    site.console.sessions.clock = lambda: clock[0]
    await site.sign_in("admin")
    old_csrf = site.csrf
    clock[0] += 3601                                  # the clerk went for lunch with the page open
    # a page: the sign-in says why
    page = await site.client.get("/console/unanswered", follow_redirects=True)
    assert "Your session has ended; please sign in again." in page.text
    # an htmx action: said above the page (the typed text stays in its box), not done
    said = await site.client.post("/console/handoffs/1/answer", data={"answer": "x", "csrf": old_csrf},
                                  headers={"HX-Request": "true"})
    assert said.status_code == 401 and said.headers["HX-Retarget"] == "#alert"
    assert _text(said.text).startswith("Your session has ended, so this was not done. Sign in again in a new tab")
    # an entry's form: not saved; the sign-in page keeps what was typed, and afterwards shows it as a check
    before = (site.knowledge / "schemes.yaml").read_bytes()
    typed = {"title.en": "MDA: market help from UPEPB", "answer.hi": "नया जवाब", "action": "save", "csrf": old_csrf}
    login = await site.client.post("/console/knowledge/upepb-mda", data=typed)
    assert login.status_code == 401 and (site.knowledge / "schemes.yaml").read_bytes() == before
    assert "Your session ended before this was sent, so nothing was changed." in login.text
    assert '<input type="hidden" name="r:title.en" value="MDA: market help from UPEPB">' in login.text
    assert 'name="csrf"' in login.text and old_csrf not in login.text
    token = re.search(r'name="csrf" value="([^"]+)"', login.text).group(1)
    kept = dict(re.findall(r'name="(r:[^"]+)" value="([^"]*)"', login.text))
    resumed = await site.client.post("/console/login", data={"csrf": token, "login": "admin", "password": PASSWORD,
                                                             "next": "/console/knowledge/upepb-mda", **kept})
    assert resumed.status_code == 200 and "What you typed was kept" in resumed.text
    again = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', resumed.text))
    assert again["action"] == "check" and again["title.en"] == "MDA: market help from UPEPB"
    shown = await site.client.post("/console/knowledge/upepb-mda", data=again)
    assert "No problems found. Press Save to make it live." in shown.text
    assert 'value="MDA: market help from UPEPB"' in shown.text and (site.knowledge / "schemes.yaml").read_bytes() == before
    # the page left open works again once signed in (its form token belongs to the account, not the session)
    site.console.desk.senders["telegram"] = Sender()
    done = await site.client.post("/console/handoffs/1/answer", data={"answer": "The chamber.", "csrf": old_csrf},
                                  headers={"HX-Request": "true"})
    assert done.status_code == 200 and "✓ Sent to the user on Telegram." in done.text
