"""Telegram for district staff: /unanswered with one-tap fixes, answering hand-offs by replying, notifications.

Handlers parse and render; what they do lives in bot.services.staff and bot.services.reports.
"""
from __future__ import annotations

import asyncio
import logging
import time

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from ...core.dialogue import Button, Reply
from ...core.entities import clip
from ...services import reports
from ...services.admin import format_stats
from ...services.charts import usage_chart
from ...services.staff import (Action, Notify, Scope, group_alias, group_todo, handoff_alias, handoff_todo,
                               scope_of)
from .context import Context

log = logging.getLogger("exportbot.telegram.staff")
GROUPS_WITH_BUTTONS = 5


def make_notifier(bot: Bot) -> Notify:
    """Send a staff message (with its buttons); its message id, or None when it could not be sent."""

    async def notify(staff_id: int, reply: Reply) -> int | None:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
                                       for row in reply.buttons]) if reply.buttons else None
        try:
            message = await bot.send_message(staff_id, reply.text, reply_markup=markup)
        except TelegramError as exc:     # a staff member who never started the bot, or blocked it
            log.warning("could not reach staff member: %s", exc)
            return None
        return message.message_id

    return notify


def scope_for(context: Context, user_id: int | None) -> Scope | None:
    runtime = context.application.bot_data.runtime
    return scope_of(runtime.kb, context.application.bot_data.admin_ids, user_id)


async def unanswered_reply(context: Context, scope: Scope, days: int = 7) -> Reply:
    """The unanswered report for this staff member's districts, with an alias and a to-do button per group."""
    runtime = context.application.bot_data.runtime
    report = await reports.unanswered(runtime.store, runtime.engine, time.time() - days * 86400, scope.districts)
    text = reports.unanswered_text(report, runtime.kb, limit=GROUPS_WITH_BUTTONS * 2)
    rows: list[tuple[Button, ...]] = []
    for i, group in enumerate(report.groups[:GROUPS_WITH_BUTTONS], 1):
        row = []
        if group.closest:
            entry = runtime.kb.entries.get(group.closest[0][0])
            label = entry.short.en if entry else group.closest[0][0]
            row.append(Button(clip(f"➕ {i}: alias of {label}", 40), f"ua:a:{group.key}:{group.closest[0][0]}"))
        row.append(Button(f"📝 {i}: to-do", f"ua:t:{group.key}"))
        rows.append(tuple(row))
    return Reply(text, tuple(rows))


async def stats_reply(context: Context, scope: Scope) -> Reply:
    """Counts for the staff member's districts, with the last 30 days' chart attached."""
    runtime = context.application.bot_data.runtime
    text = format_stats(await runtime.store.stats(districts=scope.districts), runtime.kb)
    used = await reports.usage(runtime.store, time.time() - 30 * 86400, scope.districts)
    text += "\n\nLast 30 days:\n" + reports.usage_text(used, runtime.kb)
    chart = await asyncio.to_thread(usage_chart, used, runtime.kb)
    return Reply(text, attachment=("usage-30-days.png", chart))


async def staff_button(update: Update, context: Context) -> bool:
    """One tap under /unanswered or a hand-off: the question becomes an alias, or goes on the to-do list.

    Returns False when the presser is not staff (the caller answers it as an ordinary button).
    """
    query = update.callback_query
    assert query is not None and query.data is not None
    scope = scope_for(context, query.from_user.id if query.from_user else None)
    if scope is None:
        return False
    await query.answer()
    runtime = context.application.bot_data.runtime
    parts = query.data.split(":")
    if parts[0] == "ua" and len(parts) >= 3 and parts[2].isdigit():
        if parts[1] == "a" and len(parts) == 4:
            action = await group_alias(runtime, scope, int(parts[2]), parts[3])
        else:
            action = await group_todo(runtime, scope, int(parts[2]))
    elif parts[0] == "hoa" and len(parts) == 3 and parts[1].isdigit():
        action = await handoff_alias(runtime, scope, int(parts[1]), parts[2])
    elif parts[0] == "hot" and len(parts) >= 2 and parts[1].isdigit():
        action = await handoff_todo(runtime, scope, int(parts[1]))
    else:
        action = Action("gone", "This button has expired.")
    text = action.text
    log.info("staff=%s button=%s", scope.telegram_id, parts[0])
    if query.message is not None:
        await context.bot.send_message(query.message.chat.id, text)
    return True


async def staff_reply(update: Update, context: Context) -> bool:
    """A staff member's reply to a hand-off message answers it. False when the message is something else."""
    message = update.effective_message
    user = update.effective_user
    if message is None or message.reply_to_message is None or message.text is None or user is None:
        return False
    scope = scope_for(context, user.id)
    desk = context.application.bot_data.desk
    if scope is None or desk is None:
        return False
    runtime = context.application.bot_data.runtime
    handoff_id = await runtime.store.handoff_for_message(str(message.chat_id), message.reply_to_message.message_id)
    if handoff_id is None:
        return False
    reply = await desk.answer(scope, handoff_id, message.text)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
                                   for row in reply.buttons]) if reply.buttons else None
    await message.reply_text(reply.text, reply_markup=markup)
    return True
