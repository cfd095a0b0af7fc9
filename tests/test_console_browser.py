"""The staff console in a real headless browser (Debian's chromium driven by Playwright), served by `exportbot serve`
itself with Telegram and WhatsApp pointed at the local doubles: what a DIC clerk does, and what users then get.

One server and one browser for the module; each test signs in on a fresh browser context. Skipped, with a note,
only where no chromium is installed (`make browser` installs it)."""
from __future__ import annotations

import asyncio
import shutil
import socket
import time
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from bot.core.dialogue import UserState
from bot.core.knowledge import load_knowledge
from bot.serve import serve_async
from bot.services.accounts import set_password
from bot.settings import Secret, Settings
from bot.store import Store

from .conftest import KNOWLEDGE
from .fakes.graph_api import FakeGraphAPI
from .fakes.telegram_api import FakeBotAPI
from .test_staff import AGRA_CLERK, DECLINED, HATHRAS_CLERK, STAFF_YAML

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("no browser: /usr/bin/chromium is not installed (`make browser` installs Debian's chromium)",
                allow_module_level=True)
playwright_api = pytest.importorskip("playwright.async_api", reason="playwright is not installed (pip install -e '.[test]')")

pytestmark = pytest.mark.asyncio(loop_scope="module")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TOKEN, WA_TOKEN, PHONE_ID = "777:console-token", "EAAconsole", "1234567890"
ADMIN, PASSWORD = 999, "clerk password 1"
HATHRAS_USER, AGRA_USER, WA_USER, ASKER = 4242, 4343, "919800000001", 4244


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class World:
    def __init__(self, tg: FakeBotAPI, wa: FakeGraphAPI, base: str, browser, knowledge: Path, shots: Path):
        self.tg, self.wa, self.base, self.browser, self.knowledge, self.shots = tg, wa, base, browser, knowledge, shots

    async def user_says(self, chat: int, text: str) -> dict:
        """A Telegram user writes; the bot's reply (through polling and the Bot API double)."""
        before = len(self.tg.sent_to(chat))
        self.tg.add_message(chat, text)
        return (await self.tg.wait_for_sent(before + 1, timeout=10, chat_id=chat))[before]

    async def user_presses(self, chat: int, data: str) -> list[dict]:
        before = len(self.tg.sent_to(chat))
        self.tg.add_callback(chat, data)
        return (await self.tg.wait_for_sent(before + 1, timeout=10, chat_id=chat))[before:]

    async def signed_in(self, login: str = "dic-hathras"):
        context = await self.browser.new_context(viewport={"width": 1200, "height": 900})
        page = await context.new_page()
        await page.goto(f"{self.base}/console/")
        assert page.url.startswith(f"{self.base}/console/login")
        await page.get_by_label("Login name").fill(login)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url(f"{self.base}/console/")
        return page


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory):
    from playwright.async_api import async_playwright

    tmp = tmp_path_factory.mktemp("console")
    knowledge = tmp / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    (knowledge / "staff.yaml").write_text(STAFF_YAML, encoding="utf-8")
    db = tmp / "data" / "bot.sqlite3"
    port = free_port()
    async with FakeBotAPI(token=TOKEN) as tg, FakeGraphAPI(token=WA_TOKEN, phone_number_id=PHONE_ID) as wa:
        settings = Settings(knowledge_dir=knowledge, db_path=db, telegram_token=Secret(TOKEN),
                            telegram_api_base_url=tg.base_url, admin_telegram_ids=frozenset({ADMIN}), port=port,
                            whatsapp_token=Secret(WA_TOKEN), whatsapp_phone_number_id=PHONE_ID,
                            whatsapp_app_secret=Secret("app-secret"), whatsapp_verify_token=Secret("verify"),
                            whatsapp_api_base_url=wa.base_url, console=True, console_secret=Secret("browser-secret"),
                            telegram_rate=50, whatsapp_rate=50)
        store = await Store(db).open()
        kb = load_knowledge(knowledge)
        for login, tid in (("dic-hathras", HATHRAS_CLERK), ("dic-agra", AGRA_CLERK)):
            await set_password(store, kb, settings.admin_telegram_ids, login, tid, PASSWORD)
        for channel, chat, district, lang in (("telegram", str(HATHRAS_USER), "hathras", "en"),
                                              ("telegram", str(AGRA_USER), "agra", "en"),
                                              ("whatsapp", WA_USER, "hathras", "hi"),
                                              ("telegram", str(ASKER), "hathras", "en")):
            await store.save_user(channel, chat, UserState(lang=lang, district=district,
                                                           subscription=None if chat == str(ASKER) else "district"))
        await store.close()
        stop = asyncio.Event()
        server = asyncio.create_task(serve_async(settings, stop))
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient() as http:
            for _ in range(100):
                try:
                    if (await http.get(f"{base}/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert not server.done(), server.exception() if server.done() else ""
                await asyncio.sleep(0.1)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                yield World(tg, wa, base, browser, knowledge, tmp)
            finally:
                await browser.close()
                stop.set()
                assert await asyncio.wait_for(server, 20) == 0


async def test_a_clerk_signs_in_and_sees_only_their_district(world):
    await world.user_says(AGRA_USER, "tell me a joke about carpets")
    await world.user_says(HATHRAS_USER, "does the bot know hing prices in tokyo today")
    page = await world.signed_in()
    assert await page.locator("#scope").inner_text() == "Hathras"
    await page.get_by_role("link", name="Unanswered", exact=True).click()
    groups = page.locator("li.group .question")
    texts = await groups.all_inner_texts()
    assert any("hing prices in tokyo" in t for t in texts)
    assert not any("joke about carpets" in t for t in texts)
    await page.get_by_role("link", name="Broadcasts & reminders").click()
    assert await page.locator("#segment option").all_inner_texts() == ["Hathras"]
    await page.context.close()


async def test_an_unanswered_question_becomes_an_alias_and_the_bot_answers_it(world):
    declined = await world.user_says(HATHRAS_USER, DECLINED)
    assert not declined["text"].startswith("How to start exporting")
    page = await world.signed_in()
    await page.goto(f"{world.base}/console/unanswered")
    group = page.locator("li.group", has_text=DECLINED)
    await group.get_by_label("Or find another entry").fill("how to start exporting")
    choice = group.locator("button.choice", has_text="(how-to-start-exporting)")
    await choice.click()
    await group.get_by_text(f"✓ Added. The bot now answers “{DECLINED}” with “How to start exporting: step by "
                            "step”.").wait_for()
    assert DECLINED in (world.knowledge / "faq.yaml").read_text(encoding="utf-8")
    answered = await world.user_says(HATHRAS_USER, DECLINED)
    assert answered["text"].startswith("How to start exporting: step by step")
    await page.reload()
    assert await page.locator("li.group", has_text=DECLINED).count() == 0
    await page.context.close()


async def test_a_hand_off_answered_in_the_page_reaches_the_user_on_telegram(world):
    declined = await world.user_says(ASKER, "who signs the certificate of origin")
    assert declined["text"].startswith("Sorry"), declined["text"]
    assert ["Ask district office"] == [b["text"] for row in declined["reply_markup"]["inline_keyboard"] for b in row
                                       if b["callback_data"] == "ho"]
    (confirm,) = await world.user_presses(ASKER, "ho")
    assert confirm["text"].startswith("Your question has gone to the district office (Hathras)")
    page = await world.signed_in()
    await page.get_by_role("link", name="Questions for the office", exact=True).click()
    card = page.locator("article.handoff", has_text="who signs the certificate of origin")
    await card.get_by_label("Your answer").fill("The chamber of commerce signs it.")
    before = len(world.tg.sent_to(ASKER))
    await card.get_by_role("button", name="Send answer").click()
    await card.get_by_text("✓ Sent to the user on Telegram.").wait_for()
    (answer,) = (await world.tg.wait_for_sent(before + 1, timeout=10, chat_id=ASKER))[before:]
    assert answer["text"] == ('Answer from the district office (Hathras) to your question "who signs the '
                              'certificate of origin":\n\nThe chamber of commerce signs it.')
    await page.context.close()


async def test_a_district_broadcast_goes_out_through_both_doubles(world):
    page = await world.signed_in()
    await page.get_by_role("link", name="Broadcasts & reminders").click()
    await page.get_by_label("Text in English").fill("IEC camp at the DIC on Friday, 11 am.")
    await page.get_by_label("Text in Hindi").fill("शुक्रवार सुबह 11 बजे DIC में IEC कैंप।")
    await page.get_by_role("button", name="Preview and count recipients").click()
    assert await page.locator("#recipients").inner_text() == "Telegram: 1\nWhatsApp: 1\ntotal: 2"
    tg_before, wa_before = len(world.tg.sent_to(HATHRAS_USER)), len(world.wa.sent)
    await page.get_by_role("button", name="Send to 2 subscriber(s)").click()
    # The page polls every second while sending: the counts can show before the campaign is marked done.
    await page.locator("#tally", has_text="done").wait_for(timeout=15000)
    assert "sent 2 · failed 0" in await page.locator("#tally").inner_text()
    assert world.tg.sent_to(HATHRAS_USER)[tg_before]["text"] == "IEC camp at the DIC on Friday, 11 am."
    (wa,) = [m for m in world.wa.sent[wa_before:] if m["to"] == WA_USER]
    assert wa["body"] == "शुक्रवार सुबह 11 बजे DIC में IEC कैंप।"
    assert not [m for m in world.tg.sent_to(AGRA_USER) if "IEC camp at the DIC" in m["text"]]
    await page.context.close()


async def test_an_entry_edited_with_a_mistake_shows_the_problem_beside_the_field(world):
    page = await world.signed_in()
    await page.goto(f"{world.base}/console/knowledge?q=gi+tag")
    await page.get_by_role("link", name="GI tag status of products in the district plans").click()
    before = (world.knowledge / "faq.yaml").read_bytes()
    answer = page.locator("#f-answer-en")
    await answer.fill(await answer.input_value() + " Fee: {{gi-fee}}.")
    await page.get_by_role("button", name="Save").click()
    problem = page.locator('[data-field="answer.en"]')
    assert "names the fact 'gi-fee', which is not written anywhere" in await problem.inner_text()
    assert await page.locator("#f-answer-en").get_attribute("aria-invalid") == "true"
    assert (world.knowledge / "faq.yaml").read_bytes() == before
    # the box beside it says what the bot answers, and why
    await page.get_by_label("Type a question as a user would").fill("gi tag status hathras")
    await page.get_by_role("button", name="Ask").click()
    await page.locator("#try-result .matches li").first.wait_for()
    assert "gi-status-plans" in await page.locator("#try-result .matches").inner_text()
    await page.context.close()


async def test_a_hindi_page_renders_devanagari_without_tofu(world):
    page = await world.signed_in()
    await page.get_by_role("link", name="हिन्दी").click()
    await page.get_by_role("heading", name="आज").wait_for()
    path = world.shots / "today-hi.png"           # kept in pytest's temporary folder to look at
    await page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10000
    # Every Devanagari letter drawn with a real glyph: a missing one would be the font's empty box ("tofu"),
    # the same width for every letter, and the width of a character no font has.
    widths = await page.evaluate("""() => {
        const probe = (text) => { const s = document.createElement('span'); s.lang = 'hi'; s.textContent = text;
            document.body.appendChild(s); const w = s.getBoundingClientRect().width; s.remove(); return w; };
        const tofu = probe('\\u{10FFFD}');
        return {tofu, letters: ['क', 'ख', 'म', 'ज', 'आ', 'ड़'].map(probe), word: probe('सवाल'),
                heading: document.querySelector('h1').textContent};
    }""")
    assert widths["heading"] == "आज"
    assert len(set(widths["letters"])) >= 4, widths          # boxes would all be as wide as one another
    assert abs(widths["word"] - 4 * widths["tofu"]) > 1, widths
    await page.context.close()


async def test_every_page_fits_a_phone_in_hindi_and_works_by_keyboard(world):
    await world.user_says(HATHRAS_USER, "meri bhains ka doodh kam ho gaya")
    page = await world.signed_in()
    await page.get_by_role("link", name="हिन्दी").click()
    await page.set_viewport_size({"width": 390, "height": 844})
    for path, heading in (("/", "आज"), ("/unanswered", "बिना जवाब"), ("/handoffs", "कार्यालय को सवाल"),
                          ("/knowledge", "जानकारी"), ("/knowledge/gi-status-plans", None),
                          ("/broadcasts", "संदेश और रिमाइंडर")):
        await page.goto(f"{world.base}/console{path}")
        if heading:
            assert await page.locator("h1").inner_text() == heading
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)                       # nothing wider than the phone: no sideways scroll
    await page.screenshot(path=str(world.shots / "broadcasts-hi-phone.png"), full_page=True)
    # on a laptop the search box, the kind and the district stand side by side, each under its label
    await page.set_viewport_size({"width": 1366, "height": 768})
    await page.goto(f"{world.base}/console/knowledge")
    boxes = [await page.locator(f"#{name}").bounding_box() for name in ("q", "kind", "district")]
    labels = [await page.locator(f"label[for={name}]").bounding_box() for name in ("q", "kind", "district")]
    ys = [b["y"] for b in boxes]
    assert boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"] and max(ys) - min(ys) < 3, boxes
    assert all(abs(label["x"] - box["x"]) < 2 and label["y"] < box["y"] for label, box in zip(labels, boxes))
    # by keyboard alone: Tab to a question's "dismiss", Enter; the cursor lands on what happened, in Hindi
    await page.goto(f"{world.base}/console/unanswered")
    group = page.locator("li.group", has_text="meri bhains ka doodh kam ho gaya")
    await group.get_by_role("button", name="हटाएँ (कुछ करना नहीं)").focus()
    await page.keyboard.press("Enter")
    said = page.locator("li.group p.said", has_text="सूची से हटा दिया")
    await said.wait_for()
    assert await said.evaluate("el => el === document.activeElement")
    assert await said.inner_text() == ("✓ “meri bhains ka doodh kam ho gaya” (1 बार) सूची से हटा दिया: इस पर कुछ नहीं "
                                       "करना।")
    await page.context.close()
