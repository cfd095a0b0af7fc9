"""One dialogue, two transports: the same scripted conversation on Telegram and WhatsApp reads the same."""
from __future__ import annotations

from . import sql
from .conftest import KNOWLEDGE
from .fakes import graph_api
from .fakes.graph_api import FakeGraphAPI
from .fakes.telegram_api import FakeBotAPI
from .test_telegram import TOKEN as TG_TOKEN, Harness
from .test_whatsapp import PHONE_ID, TOKEN as WA_TOKEN, USER as WA_USER, WA

SCRIPT = [("text", "/start"), ("button", "lang:hi"), ("text", "हाथरस"), ("button", "prod:hathras:1"),
          ("button", "sub:district"), ("text", "gatway prot skeem"), ("button", "fb:y:upepb-gateway-port"),
          ("text", "footwear"), ("text", "tell me a joke"), ("media", ""), ("button", "m:contacts"),
          ("button", "office:"), ("text", "/stop")]


async def test_same_conversation_same_texts(tmp_path, dialogue):
    async with FakeBotAPI(token=TG_TOKEN) as tg_fake, FakeGraphAPI(token=WA_TOKEN, phone_number_id=PHONE_ID) as wa_fake:
        tg = await Harness(tg_fake, tmp_path / "tg.sqlite3", KNOWLEDGE, dialogue).start()
        wa = await WA(wa_fake, tmp_path / "wa.sqlite3", dialogue).start()
        telegram_texts: list[str] = []
        whatsapp_texts: list[str] = []
        for kind, value in SCRIPT:
            if kind == "text":
                tg_sent, wa_sent = await tg.say(value), await wa.say(value)
            elif kind == "button":
                tg_sent, wa_sent = await tg.press(value), await wa.tap(value)
            else:
                tg_sent = await tg.feed(tg_fake.make_sticker_update(4242))
                wa_sent = await wa.deliver(graph_api.sticker(WA_USER))
            telegram_texts += [m["text"] for m in tg_sent]
            # An answer longer than an interactive body (1,024) goes as text, its buttons under "Choose below:".
            whatsapp_texts += [m["body"] for m in wa_sent if m["body"] not in ("Choose below:", "नीचे से चुनें:")]
        assert telegram_texts == whatsapp_texts
        assert len(telegram_texts) >= len(SCRIPT)
        tg_row = await tg.user_row()
        (found,) = await sql.select(wa.store, "SELECT lang, district, sector, subscription FROM users WHERE chat_id = ?",
                                    WA_USER)
        wa_row = tuple(found.values())
        assert (tg_row["lang"], tg_row["district"], tg_row["sector"], tg_row["subscription"]) == wa_row == \
            ("hi", "hathras", "textiles", "none")
        await tg.stop()
        await wa.stop()
