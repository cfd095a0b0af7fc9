"""Telegram handlers: parse the update, call the conversation, render the replies.

No SQL, YAML or scoring here. Handler order is set in :func:`register`.
"""
from __future__ import annotations

import asyncio
import contextvars
import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from telegram import (BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update)
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import Forbidden, RetryAfter, TelegramError
from telegram.ext import (Application, ApplicationHandlerStop, CallbackQueryHandler, ChatMemberHandler,
                          CommandHandler, MessageHandler, TypeHandler, filters)

from ...core.campaigns import CampaignStatus
from ...services.staff import Scope, resolve_segment
from . import staff as staff_handlers
from ...core.dialogue import COMMANDS, Button, Incoming, Reply
from ...core.events import IST
from ...core.normalise import has_devanagari
from ...core.texts import t
from ...services.admin import campaign_label, change_campaign, format_reload, format_stats, format_unanswered
from ...services.conversation import anonymise
from ...services.inbox import replies_to_json
from ...services.runtime import Runtime
from ..limits import TEXT_MAX, split_text
from .context import Context
from .sender import retry_seconds

CHANNEL = "telegram"
MAX_QUESTION = 1000
ADMIN_COMMANDS = ("stats", "unanswered", "reload", "broadcast", "reminders", "reminder_text")
SEGMENT_WORD = re.compile(r"^(all|district:\S+|sector:\S+)$", re.IGNORECASE)
log = logging.getLogger("exportbot.telegram")

COMMAND_HELP = {
    "start": ("Start again: language, district, product", "फिर से शुरू करें: भाषा, ज़िला, उत्पाद"),
    "menu": ("Main menu", "मुख्य मेन्यू"),
    "help": ("How to ask", "सवाल कैसे पूछें"),
    "language": ("Change language", "भाषा बदलें"),
    "district": ("Change district", "ज़िला बदलें"),
    "product": ("Change product", "उत्पाद बदलें"),
    "events": ("Upcoming events", "आने वाले कार्यक्रम"),
    "subscribe": ("Event reminders", "कार्यक्रमों की सूचना"),
    "unsubscribe": ("Stop reminders", "सूचनाएँ बंद करें"),
    "stop": ("Stop all messages", "सभी संदेश बंद करें"),
    "source": ("Full source of the last answer", "पिछले जवाब का पूरा स्रोत"),
}


def runtime_of(context: Context) -> Runtime:
    return context.bot_data.runtime


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    return _markup(reply.buttons) if reply.buttons else None


@lru_cache(maxsize=4096)
def _markup(buttons: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup:
    """The same buttons make the same keyboard (python-telegram-bot's objects are immutable): built once."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in buttons])


@dataclass
class RowContext:
    """The stored update being answered (set by the inbox worker around ``process_update``)."""

    row: Any
    error: BaseException | None = None
    planned: int = 0            # messages of this update already planned (a handler may reply more than once)
    sent: int = 0               # of those, how many went out (the last one is not counted in the store: see deliver)


CURRENT: contextvars.ContextVar[RowContext | None] = contextvars.ContextVar("telegram_inbox_row", default=None)


def messages_of(replies: tuple[Reply, ...]) -> list[tuple[str, Any, Any]]:
    """The Telegram messages for some replies, in order: ("text", chunk, markup) or ("document", name, bytes)."""
    out: list[tuple[str, Any, Any]] = []
    for reply in replies:
        chunks = split_text(reply.text, TEXT_MAX)
        for i, chunk in enumerate(chunks):
            out.append(("text", chunk, keyboard(reply) if i == len(chunks) - 1 else None))
        if reply.attachment:
            out.append(("document", *reply.attachment))
    return out


async def deliver(bot: Any, store: Any, row: Any | None, chat_id: int, replies: tuple[Reply, ...],
                  start: int = 0) -> int:
    """Send the messages from ``start`` on; return how many have gone out (``start`` included).

    For a stored update each message sent is counted against it, except the last: the worker marks the update
    done right after (a crash in between sends that one message again, as a crash during its send would). A
    429 is waited out once; other send errors propagate (the inbox retries the rest later). A user who
    blocked the bot is marked and sent nothing more.
    """
    messages = messages_of(replies)
    for index in range(start, len(messages)):
        kind, first, second = messages[index]
        try:
            try:
                await _send_one(bot, chat_id, kind, first, second)
            except RetryAfter as exc:       # Telegram asks to slow down: wait as told, then send once more
                await asyncio.sleep(retry_seconds(exc))
                await _send_one(bot, chat_id, kind, first, second)
        except Forbidden:
            await store.set_blocked(CHANNEL, str(chat_id), True)
            log.info("user=%s blocked the bot; marked", anonymise(CHANNEL, str(chat_id)))
            return index
        if row is not None and index + 1 < len(messages):
            await store.inbox_sent(CHANNEL, row.message_id, index + 1)
    return len(messages)


async def _send_one(bot: Any, chat_id: int, kind: str, first: Any, second: Any) -> None:
    if kind == "text":
        await bot.send_message(chat_id, first, reply_markup=second)
    else:
        await bot.send_document(chat_id, InputFile(second, filename=first))


async def send_replies(context: Context, chat_id: int, replies: tuple[Reply, ...], recorded: bool = False) -> None:
    """Send replies; for a stored update, record them first (unless ``recorded`` with the turn already) so that
    a failed send is retried, not worked out again."""
    store = runtime_of(context).store
    row_context = CURRENT.get()
    if row_context is None or row_context.planned:      # not from the inbox, or a second reply: send as it comes
        await deliver(context.bot, store, None, chat_id, replies)
        return
    row = row_context.row
    if not recorded:
        await store.inbox_set_replies(CHANNEL, row.message_id, replies_to_json(str(chat_id), replies))
    row_context.planned = len(messages_of(replies))
    row_context.sent = await deliver(context.bot, store, row, chat_id, replies)


async def converse(update: Update, context: Context, event: Incoming) -> None:
    chat = update.effective_chat
    assert chat is not None, "message handlers only run for updates with a chat"
    user = update.effective_user
    hint = "hi" if user and (user.language_code or "").startswith("hi") else None
    row_context = CURRENT.get()
    keep = None
    if row_context is not None and not row_context.planned:
        message_id = row_context.row.message_id

        def keep(replies: tuple[Reply, ...]) -> tuple[str, str]:
            """The replies are recorded with the stored update in the turn's own transaction."""
            return message_id, replies_to_json(str(chat.id), replies)

    replies = await runtime_of(context).conversation(CHANNEL).handle(str(chat.id), event, lang_hint=hint, keep=keep)
    await send_replies(context, chat.id, replies, recorded=keep is not None)


# ---------------------------------------------------------------- handlers

async def drop_redelivered(update: Update, context: Context) -> None:
    """Answer each update once, even if Telegram (or a restart) delivers it again."""
    if CURRENT.get() is not None:      # from the inbox, which stores each update once
        return
    if not await runtime_of(context).store.claim_update(CHANNEL, update.update_id):
        log.info("update %s already handled; skipped", update.update_id)
        raise ApplicationHandlerStop


async def group_chat(update: Update, context: Context) -> None:
    """Tell group members to write privately."""
    if update.effective_message is not None and update.effective_chat is not None:
        await send_replies(context, update.effective_chat.id, (Reply(t("group", "en") + "\n" + t("group", "hi")),))


async def edited(update: Update, context: Context) -> None:
    """Ask for a new message instead of re-answering an edit."""
    await converse(update, context, Incoming("edited"))


async def command(update: Update, context: Context) -> None:
    """Run one of the public commands."""
    message = update.effective_message
    assert message is not None and message.text is not None
    name = message.text[1:].split()[0].split("@")[0].lower()
    await converse(update, context, Incoming("command", name, " ".join(context.args or [])))


async def admin_command(update: Update, context: Context) -> None:
    """Admins get reports; everyone else gets the words answered as a question."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and message.text is not None
    name = message.text[1:].split()[0].split("@")[0].lower()
    runtime = runtime_of(context)
    scope = staff_handlers.scope_for(context, user.id if user else None)
    if user is None or scope is None:
        await converse(update, context, Incoming("text", name))
        return
    store = runtime.store
    log.info("admin=%s command=%s", anonymise(CHANNEL, str(user.id)), name)
    if name in ("broadcast", "reminders", "reminder_text"):
        await outreach_command(update, context, name, message.text.partition(" ")[2].strip(), scope)
        return
    if name == "stats":
        reply = await staff_handlers.stats_reply(context, scope)
    elif name == "unanswered":
        reply = await staff_handlers.unanswered_reply(context, scope)
    else:
        problems = await runtime.reload()
        reply = Reply(format_reload(problems, runtime.kb))
    await send_replies(context, message.chat_id, (reply,))


async def outreach_command(update: Update, context: Context, name: str, rest: str, scope: Scope) -> None:
    """/broadcast [segment] text · /reminders · /reminder_text ID text."""
    message = update.effective_message
    assert message is not None
    broadcaster = context.bot_data.broadcaster
    if broadcaster is None:
        await message.reply_text("Reminders and broadcasts are not running in this process.")
        return
    store = broadcaster.store
    if name == "broadcast":
        first, _, text = rest.partition(" ")
        if SEGMENT_WORD.match(first):
            segment, problem = resolve_segment(runtime_of(context).kb, scope, first)
        else:
            (segment, problem), text = resolve_segment(runtime_of(context).kb, scope, "all"), rest
        if segment is None:
            await message.reply_text(f"Not sent: {problem}.")
            return
        if not text.strip():
            await message.reply_text("Usage: /broadcast [all | district:<id> | sector:<id>] your message")
            return
        campaign_id, counts = await broadcaster.create_broadcast(text.strip(), segment, f"telegram:{message.chat_id}",
                                                                 datetime.now(IST))
        total = sum(counts.values())
        per = ", ".join(f"{ch} {n}" for ch, n in sorted(counts.items())) or "none"
        if not total:
            await store.set_campaign_status(campaign_id, CampaignStatus.CANCELLED, only_from=(CampaignStatus.DRAFT,))
            await message.reply_text(f"Nobody in {segment} is subscribed; nothing to send.")
            return
        buttons = [[InlineKeyboardButton(f"✅ Send to {total}", callback_data=f"bc:y:{campaign_id}"),
                    InlineKeyboardButton("✖ Cancel", callback_data=f"bc:n:{campaign_id}")]]
        await message.reply_text(f"Preview ({segment}):\n\n{text.strip()}\n\nRecipients: {per} (total {total})",
                                 reply_markup=InlineKeyboardMarkup(buttons))
        return
    if name == "reminder_text":
        number, _, text = rest.partition(" ")
        valid = number.isascii() and number.isdigit() and len(number) <= 9
        if not valid or not text.strip() or await store.campaign(int(number)) is None:
            await message.reply_text("Usage: /reminder_text <number from /reminders> new text")
            return
        text = text.strip()
        hindi = has_devanagari(text)
        if not await store.set_campaign_text(int(number), None if hindi else text, text if hindi else None):
            await message.reply_text(f"#{number} is no longer pending; nothing changed.")
            return
        which = "Hindi" if hindi else "English"
        await message.reply_text(f"#{number}: {which} text changed. Messages already sent are not resent.")
        return
    await broadcaster.plan(datetime.now(IST))
    pending = await store.campaigns((CampaignStatus.SCHEDULED, CampaignStatus.ACTIVE, CampaignStatus.PAUSED),
                                    since=time.time() - 3 * 86400)
    if not pending:
        await message.reply_text("No reminders in the coming 30 days.")
        return
    lines, rows = ["Reminders (next 30 days):"], []
    for c in pending[:8]:
        due = datetime.fromtimestamp(c.due_at, IST)
        lines.append(f"#{c.id} {due:%d %b %H:%M} {c.status}: {campaign_label(c, runtime_of(context).kb)}")
        toggle = ("▶ resume", "r") if c.status == CampaignStatus.PAUSED else ("⏸ pause", "p")
        rows.append([InlineKeyboardButton(f"{toggle[0]} #{c.id}", callback_data=f"rmd:{toggle[1]}:{c.id}"),
                     InlineKeyboardButton(f"✖ cancel #{c.id}", callback_data=f"rmd:c:{c.id}")])
    lines.append("Change a text: /reminder_text <number> new text")
    await message.reply_text("\n".join(lines), reply_markup=InlineKeyboardMarkup(rows))


async def admin_button(update: Update, context: Context) -> None:
    """Broadcast confirmation and reminder pause / resume / cancel, for admins only."""
    query = update.callback_query
    assert query is not None
    scope = staff_handlers.scope_for(context, query.from_user.id if query.from_user else None)
    broadcaster = context.bot_data.broadcaster
    if query.data is None or scope is None or broadcaster is None:
        await button(update, context)
        return
    await query.answer()
    head, action, number = (query.data.split(":", 2) + ["", ""])[:3]
    campaign_id = int(number) if number.isascii() and number.isdigit() and len(number) <= 9 else -1
    store = broadcaster.store
    if campaign_id < 0 or action not in ("p", "r", "c", "y", "n"):
        await query.edit_message_text("That button is no longer valid. Use /reminders or /broadcast again.")
        return
    campaign = await store.campaign(campaign_id)
    if not scope.state_admin and (campaign is None or campaign.created_by != f"telegram:{query.from_user.id}"):
        await query.edit_message_text("Only a state admin (or whoever wrote it) can change this.")
        return
    if head == "rmd":
        ok, fresh = await change_campaign(store, campaign_id, {"p": "pause", "r": "resume"}.get(action, "cancel"))
        if fresh is None:
            return
        await query.edit_message_text(f"#{campaign_id} is now {fresh.status}." if ok else
                                      f"#{campaign_id} is {fresh.status}; nothing changed.")
        return
    if action == "n":
        await store.set_campaign_status(campaign_id, CampaignStatus.CANCELLED, only_from=(CampaignStatus.DRAFT,))
        await query.edit_message_text("Broadcast cancelled; nothing was sent.")
        return
    queued = await broadcaster.confirm_broadcast(campaign_id)
    if not queued:
        await query.edit_message_text("This broadcast was already sent or cancelled.")
        return
    message = query.message
    last: list[str] = []

    async def progress(tally) -> None:
        text = f"Sending… {tally.line()}"
        if message is not None and text not in last:
            last.append(text)
            try:
                await message.edit_text(text)
            except TelegramError as exc:
                log.info("progress edit failed: %s", exc)

    async def run() -> None:
        await broadcaster.deliver(progress=progress, campaign_id=campaign_id)
        if message is not None:
            tally = await broadcaster.store.tally(campaign_id)
            await message.edit_text(f"Broadcast #{campaign_id} delivery report: {tally.line()}")

    context.application.create_task(run(), update=update, name=f"broadcast:{campaign_id}")


async def unknown_command(update: Update, context: Context) -> None:
    """Point to /menu and /help."""
    await converse(update, context, Incoming("command", "__unknown__"))


async def text_message(update: Update, context: Context) -> None:
    """Treat free text as a question (or an onboarding answer); a staff reply to a hand-off answers it."""
    message = update.effective_message
    assert message is not None and message.text is not None
    if message.reply_to_message is not None and await staff_handlers.staff_reply(update, context):
        return
    await converse(update, context, Incoming("text", message.text))


async def non_text(update: Update, context: Context) -> None:
    """Stickers, photos, voice notes, documents, locations...: ask for typed text."""
    await converse(update, context, Incoming("media"))


async def staff_button(update: Update, context: Context) -> None:
    """Alias / to-do buttons for staff; for anyone else an ordinary (expired) button."""
    if not await staff_handlers.staff_button(update, context):
        await button(update, context)


async def button(update: Update, context: Context) -> None:
    """A pressed inline button."""
    query = update.callback_query
    assert query is not None
    try:
        await query.answer()
    except TelegramError as exc:  # an old query can no longer be answered; the press still counts
        log.info("answerCallbackQuery failed: %s", exc)
    if update.effective_chat is None:
        return
    await converse(update, context, Incoming("button", query.data or ""))


async def membership(update: Update, context: Context) -> None:
    """Mark a user who blocked the bot, and unmark one who came back."""
    change = update.my_chat_member
    assert change is not None
    if change.chat.type != ChatType.PRIVATE:
        return
    status = change.new_chat_member.status
    blocked = status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
    await runtime_of(context).store.set_blocked(CHANNEL, str(change.chat.id), blocked)
    log.info("user=%s membership=%s", anonymise(CHANNEL, str(change.chat.id)), status)


async def on_error(update: object, context: Context) -> None:
    """Log every failure with its traceback and tell the user something went wrong."""
    row_context = CURRENT.get()
    if row_context is not None:        # the inbox decides: retry a failed send, or apologise once and skip
        row_context.error = context.error
        return
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            if update.update_id is not None:
                await runtime_of(context).store.release_update(CHANNEL, update.update_id)
            state = await runtime_of(context).conversation(CHANNEL).state_of(str(update.effective_chat.id))
            await context.bot.send_message(update.effective_chat.id, t("error", state.lang or "en"))
        except Exception:  # noqa: BLE001 - the error handler must never raise
            log.exception("could not tell the user about the error")


async def set_commands(application: Application) -> None:
    """Register the command list in English and Hindi."""
    await application.bot.set_my_commands([BotCommand(c, COMMAND_HELP[c][0]) for c in COMMANDS])
    await application.bot.set_my_commands([BotCommand(c, COMMAND_HELP[c][1]) for c in COMMANDS], language_code="hi")


def register(app: Application) -> None:
    """Wire the handlers, in order: dedupe, membership, groups, edits, commands, buttons, text, everything else."""
    private = filters.ChatType.PRIVATE
    app.add_handler(TypeHandler(Update, drop_redelivered), group=-1)
    app.add_handler(ChatMemberHandler(membership, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(MessageHandler(filters.ChatType.GROUPS & filters.UpdateType.MESSAGE & filters.Entity("mention"),
                                   group_chat))
    app.add_handler(MessageHandler(filters.ChatType.GROUPS & filters.COMMAND, group_chat))
    app.add_handler(MessageHandler(private & filters.UpdateType.EDITED, edited))
    app.add_handler(CommandHandler(list(COMMANDS), command, filters=private & filters.UpdateType.MESSAGE))
    app.add_handler(CommandHandler(list(ADMIN_COMMANDS), admin_command, filters=private & filters.UpdateType.MESSAGE))
    app.add_handler(MessageHandler(private & filters.COMMAND & filters.UpdateType.MESSAGE, unknown_command))
    app.add_handler(CallbackQueryHandler(admin_button, pattern=r"^(bc|rmd):"))
    app.add_handler(CallbackQueryHandler(staff_button, pattern=r"^(ua|hoa|hot):"))
    app.add_handler(CallbackQueryHandler(button))
    app.add_handler(MessageHandler(private & filters.TEXT & filters.UpdateType.MESSAGE, text_message))
    app.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE, non_text))
    app.add_error_handler(on_error)
