"""Telegram sender for reminders and broadcasts: platform errors become plain outcomes for the outbox."""
from __future__ import annotations

import warnings

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from ...services.outbox import SendResult
from ..limits import TEXT_MAX, split_text


def retry_seconds(exc: RetryAfter) -> float:
    """RetryAfter's wait in seconds (PTB 22 warns that the attribute will become a timedelta)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wait = exc.retry_after
    return wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait)


class TelegramSender:
    channel = "telegram"

    def __init__(self, bot: Bot):
        self.bot = bot

    async def send(self, chat_id: str, text: str, lang: str, kind: str, params: list[str]) -> SendResult:
        sent_part = False
        try:
            for chunk in split_text(text, TEXT_MAX):
                message = await self.bot.send_message(int(chat_id), chunk)
                sent_part = True
        except TelegramError as exc:
            if sent_part:      # part of a long text arrived: sending it all again would repeat that part
                return SendResult("uncertain", error=f"only part of a long text was sent: {exc.message}")
            return self._failure(exc)
        return SendResult("sent", message_id=str(message.message_id))

    @staticmethod
    def _failure(exc: TelegramError) -> SendResult:
        """What a Telegram error means for the outbox (most specific classes first)."""
        if isinstance(exc, RetryAfter):
            return SendResult("retry", retry_after=retry_seconds(exc))
        if isinstance(exc, Forbidden):
            return SendResult("blocked", error=exc.message)
        if isinstance(exc, TimedOut):
            # The request went out; Telegram may or may not have delivered it. Never resend blindly.
            return SendResult("uncertain", error=f"timed out: {exc.message}")
        if isinstance(exc, BadRequest):
            return SendResult("failed", error=exc.message)
        if isinstance(exc, NetworkError):
            return SendResult("transient", error=exc.message)
        return SendResult("failed", error=exc.message)
