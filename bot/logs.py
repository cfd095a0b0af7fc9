"""Logging set-up: one line per update, and no secret or personal detail ever printed.

Our own log lines name users only by a pseudonym (``anonymise``) and never
quote their words. Libraries are kept at levels where they do not print
updates or SQL parameters (python-telegram-bot and aiosqlite print both at
DEBUG), whatever ``LOG_LEVEL`` says; and as a last guard every line, traceback
included, has long digit runs (phone numbers, user ids) and WhatsApp user ids
masked.
"""
from __future__ import annotations

import logging
import re

# The most a library may print, whatever LOG_LEVEL says: below these they print message texts, names,
# phone numbers, SQL parameters or request URLs with the bot token.
LIBRARY_FLOORS = {"aiosqlite": logging.WARNING, "telegram": logging.INFO, "httpx": logging.WARNING,
                  "httpcore": logging.WARNING, "hpack": logging.WARNING, "uvicorn.access": logging.WARNING,
                  "uvicorn.error": logging.INFO, "asyncio": logging.WARNING, "asyncpg": logging.WARNING,
                  "aiohttp": logging.WARNING}
PERSONAL = re.compile(r"\+[0-9][0-9 -]{6,}[0-9]|(?<![0-9])[0-9]{7,}(?![0-9])|\b[A-Z]{2}\.(?:ENT\.)?[0-9A-Za-z]{6,}\b")


class ScrubPersonalData(logging.Filter):
    """Mask phone numbers, user ids and WhatsApp user ids (BSUIDs) in every line and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = PERSONAL.sub("[number]", message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = PERSONAL.sub("[number]", record.exc_text)
        return True


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        if any(s in message for s in self.secrets):
            record.msg, record.args = self._redact(message), ()
        if record.exc_info and not record.exc_text:     # tracebacks can quote URLs with the token in them
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        return True

    def _redact(self, text: str) -> str:
        for s in self.secrets:
            text = text.replace(s, "[redacted]")
        return text


def setup_logging(level: str, secrets: list[str]) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    handler.addFilter(ScrubPersonalData())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet_http_logs()


def quiet_http_logs() -> None:
    """Keep libraries above the levels where they print personal data or the token (httpx logs URLs at INFO)."""
    for name, floor in LIBRARY_FLOORS.items():
        logger = logging.getLogger(name)
        logger.setLevel(max(floor, logger.getEffectiveLevel()) if logger.level else floor)
