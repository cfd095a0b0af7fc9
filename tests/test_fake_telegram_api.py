"""Tests of the FakeBotAPI test double itself, driven by a real python-telegram-bot Bot."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time

import httpx
import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter

from bot.channels.telegram.transport import make_request
from tests.fakes.telegram_api import FakeBotAPI

TOKEN = "123:ABC"

# PTB >= 22.2 warns (from inside RetryAfter itself) that retry_after will become a timedelta.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
async def fake():
    async with FakeBotAPI(token=TOKEN) as api:
        yield api


@pytest.fixture(params=["aiohttp", "httpx"])
async def bot(fake, request):
    """A real Bot on each of the networking backends the bot can use (TELEGRAM_HTTP_CLIENT)."""
    async with telegram.Bot(TOKEN, base_url=f"{fake.url}/bot", request=make_request(request.param)) as b:
        yield b


async def test_get_me(bot, fake):
    me = await bot.get_me()
    assert me.id == 123
    assert me.is_bot
    assert me.username == "export_test_bot"
    assert me.first_name == "ExportBot"
    assert ("getMe", {}) in fake.requests


async def test_send_message_with_inline_keyboard(bot, fake):
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Yes", callback_data="yes"), InlineKeyboardButton("No", callback_data="no")]]
    )
    first = await bot.send_message(42, "Hello <b>Ram</b>", reply_markup=keyboard)
    second = await bot.send_message(42, "again")
    assert isinstance(first, telegram.Message)
    assert second.message_id == first.message_id + 1
    assert first.chat.id == 42 and first.chat.type == "private"
    assert first.from_user.is_bot and first.from_user.username == "export_test_bot"
    assert first.text == "Hello <b>Ram</b>"  # plain text: tags are just characters
    assert first.reply_markup == keyboard

    [record, _] = fake.sent_to(42)
    assert record["text"] == "Hello <b>Ram</b>"
    assert record["parse_mode"] is None
    assert record["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Yes", "callback_data": "yes"}, {"text": "No", "callback_data": "no"}]
        ]
    }
    assert isinstance(record["timestamp"], float)
    assert fake.sent_to(43) == []


async def test_get_updates_returns_injected_updates(bot, fake):
    fake.add_message(42, "/start now")
    fake.add_callback(42, "menu:1")
    for add in (fake.add_sticker, fake.add_photo, fake.add_voice, fake.add_document, fake.add_location):
        add(42)
    fake.add_edited_message(42, "edited")
    fake.add_my_chat_member(42, status="kicked")

    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == sorted(u.update_id for u in updates)
    assert len(updates) == 9
    start = updates[0]
    assert start.message.text == "/start now"
    assert start.message.entities[0].type == "bot_command"
    assert start.message.entities[0].length == len("/start")
    assert start.effective_user.id == 42
    assert updates[1].callback_query.data == "menu:1"
    assert updates[2].message.sticker is not None
    assert updates[3].message.photo
    assert updates[4].message.voice is not None
    assert updates[5].message.document is not None
    assert updates[6].message.location is not None
    assert updates[7].edited_message.text == "edited"
    assert updates[8].my_chat_member.new_chat_member.status == "kicked"

    # Confirming with offset forgets them; long poll then waits (capped) and returns nothing.
    started = time.monotonic()
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=5) == ()
    assert time.monotonic() - started < 1.5


async def test_long_poll_wakes_up_on_new_update_and_redelivery(bot, fake):
    async def add_later():
        await asyncio.sleep(0.1)
        return fake.add_message(7, "hi")

    task = asyncio.create_task(add_later())
    [update] = await bot.get_updates(timeout=5)
    added = await task
    assert update.update_id == added["update_id"]
    assert update.message.text == "hi"

    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()
    fake.add_update(added)  # Telegram redelivering the same update
    [again] = await bot.get_updates(offset=update.update_id + 1, timeout=0)
    assert again.update_id == update.update_id


async def test_builders_produce_parseable_updates_without_queueing(bot, fake):
    update = fake.make_message_update(5, "/help", chat_type="group", user_id=9)
    assert fake.pending_updates == []
    parsed = Update.de_json(json.loads(fake.updates_json(update)), bot)
    assert parsed.message.chat.type == "group"
    assert parsed.effective_user.id == 9


async def test_retry_after_injection(bot, fake):
    fake.fail_next("sendMessage", chat_id=42)
    with pytest.raises(RetryAfter) as exc_info:
        await bot.send_message(42, "x")
    assert exc_info.value.retry_after in (1, dt.timedelta(seconds=1))
    assert fake.requests[-1] == ("sendMessage", {"chat_id": 42, "text": "x"})
    assert fake.sent == []
    await bot.send_message(42, "x")  # only once
    assert len(fake.sent) == 1


async def test_forbidden_injection_restricted_to_chat(bot, fake):
    fake.fail_next("sendMessage", chat_id=99, code=403, times=2)
    await bot.send_message(42, "not affected")
    for _ in range(2):
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(99, "x")
    await bot.send_message(99, "x")
    assert [s["chat_id"] for s in fake.sent] == [42, 99]


async def test_wrong_token_raises_invalid_token(fake):
    other = telegram.Bot("999:WRONG", base_url=f"{fake.url}/bot")
    with pytest.raises(InvalidToken, match="rejected by the server"):
        await other.initialize()  # calls getMe
    with pytest.raises(InvalidToken):
        await other.get_me()
    await other.shutdown()


async def test_raw_http_errors_and_form_parsing(fake):
    async with httpx.AsyncClient(base_url=fake.url) as client:
        r = await client.post(f"/bot{TOKEN}/noSuchMethod")
        assert r.status_code == 404
        assert r.json() == {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
        r = await client.get("/botWRONG/getMe")
        assert r.status_code == 401
        assert r.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        r = await client.post(
            f"/bot{TOKEN}/sendMessage",
            data={"chat_id": "5", "text": "hi", "reply_markup": json.dumps({"inline_keyboard": []})},
        )
        assert r.json()["ok"] is True
        r = await client.post(f"/bot{TOKEN}/sendMessage", json={"chat_id": 5, "text": "<b>oops", "parse_mode": "HTML"})
        assert r.status_code == 400
        assert "the bot sends plain text only" in r.json()["description"]
    assert fake.sent_to(5)[0]["reply_markup"] == {"inline_keyboard": []}


async def test_send_document_multipart_and_commands(bot, fake):
    await bot.send_document(42, document=b"col1,col2\r\n1,2\r\n", filename="report.csv", caption="Report")
    [record] = fake.sent_to(42)
    assert record["method"] == "sendDocument"
    assert record["file_name"] == "report.csv"
    assert record["file_bytes"] == b"col1,col2\r\n1,2\r\n"
    assert record["text"] == "Report"

    await bot.set_my_commands([("start", "Start"), ("help", "Help")])
    await bot.set_my_commands([("start", "शुरू")], language_code="hi")
    assert [c["command"] for c in fake.commands[""]["commands"]] == ["start", "help"]
    assert fake.commands["hi"]["commands"] == [{"command": "start", "description": "शुरू"}]


async def test_edit_and_not_modified(bot, fake):
    msg = await bot.send_message(42, "one")
    edited = await bot.edit_message_text("two", chat_id=42, message_id=msg.message_id)
    assert edited.text == "two"
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("two", chat_id=42, message_id=msg.message_id)
    assert [s["method"] for s in fake.sent] == ["sendMessage", "editMessageText"]


async def test_wait_for_sent_and_max_in_window(bot, fake):
    async def send_later():
        await asyncio.sleep(0.05)
        for i in range(3):
            await bot.send_message(1, f"m{i}")

    task = asyncio.create_task(send_later())
    sent = await fake.wait_for_sent(3, timeout=2)
    await task
    assert [s["text"] for s in sent] == ["m0", "m1", "m2"]
    assert fake.max_in_window(1.0) == 3
    assert fake.max_in_window(1.0, chat_id=2) == 0
    with pytest.raises(TimeoutError):
        await fake.wait_for_sent(4, timeout=0.1)


async def test_real_application_polling_end_to_end(fake):
    from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler

    async def start(update, context):
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
        await update.message.reply_text(f"Namaste {update.effective_user.first_name}", reply_markup=keyboard)

    async def on_button(update, context):
        await update.callback_query.answer()
        await update.callback_query.edit_message_text(f"pressed {update.callback_query.data}")

    app = ApplicationBuilder().token(TOKEN).base_url(f"{fake.url}/bot").build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(on_button))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        fake.add_message(42, "/start", first_name="Sita")
        [reply] = await fake.wait_for_sent(1, timeout=3)
        assert reply["text"] == "Namaste Sita"
        fake.add_callback(42, "go", message_id=reply["message_id"])
        sent = await fake.wait_for_sent(2, timeout=3)
        await app.updater.stop()
        await app.stop()
    assert sent[1]["method"] == "editMessageText"
    assert sent[1]["text"] == "pressed go"
    assert fake.calls("answerCallbackQuery")
    assert fake.pending_updates == []
