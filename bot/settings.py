"""One frozen settings object, read from the environment (and an optional .env file)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

if TYPE_CHECKING:
    from .core.reminders import ReminderSettings


class Secret(str):
    """A string that never shows itself in repr() or logs."""

    def __repr__(self) -> str:
        return "Secret('**********')" if self else "Secret('')"


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; '#' comments; optional quotes. Missing file -> {}."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def _int(raw: str, name: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"{name} must be a whole number above 0, not '{raw}'")
    return int(raw)


def _seconds(raw: str, name: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise SystemExit(f"{name} must be a number of seconds above 0, not '{raw}'")
    return value


def _switch(raw: str, name: str) -> bool:
    value = raw.lower()
    if value not in ("on", "off", "1", "0", "yes", "no", "true", "false"):
        raise SystemExit(f"{name} must be on or off, not '{raw}'")
    return value in ("on", "1", "yes", "true")


def _choice(raw: str, allowed: tuple[str, ...], name: str) -> str:
    if raw not in allowed:
        raise SystemExit(f"{name} must be one of {', '.join(allowed)}, not '{raw}'")
    return raw


def parse_database(raw: str, db_path: Path) -> tuple[Path, Secret]:
    """DATABASE_URL (or --db): (SQLite file, PostgreSQL URL or ''). Unset keeps the SQLite file ``db_path``;
    ``sqlite:///relative/path`` and ``sqlite:////absolute/path`` name another file; a path without a scheme is a
    SQLite file too; ``postgresql://`` (or ``postgres://``) is a PostgreSQL server."""
    raw = raw.strip()
    if not raw:
        return db_path, Secret("")
    if raw.startswith(("postgresql://", "postgres://")):
        return db_path, Secret(raw)
    if raw.startswith("sqlite:///"):
        path = raw.removeprefix("sqlite:///")
        if not path:
            raise SystemExit("DATABASE_URL: sqlite:/// needs a file, e.g. sqlite:///data/exportbot.sqlite3")
        return Path(path), Secret("")
    if "://" in raw:
        scheme = raw.split("://", 1)[0]
        raise SystemExit(f"DATABASE_URL must be sqlite:///path or postgresql://user:password@host:port/database, "
                         f"not a '{scheme}://' URL")
    return Path(raw), Secret("")


def url_password(url: str) -> str:
    """The password in a database URL ('' when there is none), to keep it out of the logs."""
    from urllib.parse import urlsplit

    try:
        return urlsplit(url).password or ""
    except ValueError:
        return ""


def _ids(raw: str) -> frozenset[int]:
    out = set()
    for part in raw.replace(" ", "").split(","):
        if part:
            try:
                out.add(int(part))
            except ValueError:
                raise SystemExit(f"ADMIN_TELEGRAM_IDS: '{part}' is not a number (use comma-separated Telegram user ids)")
    return frozenset(out)


@dataclass(frozen=True)
class Settings:
    knowledge_dir: Path = Path("knowledge")
    db_path: Path = Path("data/exportbot.sqlite3")  # the SQLite file; its folder also holds the knowledge snapshot
    database_url: Secret = Secret("")        # postgresql://… when the store is PostgreSQL, else '' (SQLite)
    telegram_token: Secret = Secret("")
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str = ""
    telegram_http_client: str = "aiohttp"      # the Bot API calls' networking: aiohttp, or httpx (the library's own)
    telegram_webhook_secret: Secret = Secret("")
    port: int = 8080
    admin_telegram_ids: frozenset[int] = field(default_factory=frozenset)
    log_level: str = "INFO"
    whatsapp_token: Secret = Secret("")
    whatsapp_phone_number_id: str = ""
    whatsapp_app_secret: Secret = Secret("")
    whatsapp_verify_token: Secret = Secret("")
    whatsapp_api_base_url: str = "https://graph.facebook.com/v21.0"
    whatsapp_templates: str = ""             # reminder kind -> template, see channels/whatsapp/sender.parse_templates
    telegram_rate: int = 30                  # broadcast messages per second, all chats together
    whatsapp_rate: int = 80                  # per business phone number
    reminder_offsets: str = "7,1"            # days before an event starts
    deadline_offsets: str = "2"              # days before a registration deadline
    reminder_time: str = "10:00"             # IST; never between 21:00 and 08:00
    watch_interval: float = 2.0              # seconds between looks at the knowledge files (live edits)
    console: bool = False                    # the staff console on `serve`'s web server (CONSOLE, on by default)
    console_secret: Secret = Secret("")      # signs console sessions; without it they end when the process stops
    console_session_minutes: int = 60        # a console session ends after this long without a request
    scheduler_interval: float = 60.0         # seconds between reminder runs of `serve` (and tries to become sender)

    def with_database(self, raw: str) -> "Settings":
        """The same settings on another database (``--db FILE`` or ``--db postgresql://…``)."""
        from dataclasses import replace

        db_path, database_url = parse_database(raw, self.db_path)
        return replace(self, db_path=db_path, database_url=database_url)

    @property
    def database_name(self) -> str:
        """The database in words for people (no password): the SQLite file, or PostgreSQL's host and database."""
        if not self.database_url:
            return f"SQLite {self.db_path}"
        from urllib.parse import urlsplit

        parts = urlsplit(str(self.database_url))
        return f"PostgreSQL {parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"

    @property
    def whatsapp_configured(self) -> bool:
        return bool(self.whatsapp_token or self.whatsapp_phone_number_id)

    def whatsapp_missing(self) -> list[str]:
        """Names of the WhatsApp variables still unset, once any of them is set."""
        if not self.whatsapp_configured:
            return []
        wanted = {"WHATSAPP_TOKEN": self.whatsapp_token, "WHATSAPP_PHONE_NUMBER_ID": self.whatsapp_phone_number_id,
                  "WHATSAPP_APP_SECRET": self.whatsapp_app_secret, "WHATSAPP_VERIFY_TOKEN": self.whatsapp_verify_token}
        return [name for name, value in wanted.items() if not value]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")) -> "Settings":
        merged: dict[str, str] = {}
        if dotenv is not None:
            merged.update(read_dotenv(dotenv))
        merged.update(os.environ if env is None else env)

        def get(name: str, default: str = "") -> str:
            return merged.get(name, default).strip()

        port = get("PORT", "8080")
        if not port.isdigit():
            raise SystemExit(f"PORT must be a number, not '{port}'")
        db_path, database_url = parse_database(get("DATABASE_URL"), Path(get("EXPORTBOT_DB", "data/exportbot.sqlite3")))
        return cls(
            knowledge_dir=Path(get("KNOWLEDGE_DIR", "knowledge")),
            db_path=db_path,
            database_url=database_url,
            telegram_token=Secret(get("TELEGRAM_BOT_TOKEN")),
            telegram_api_base_url=get("TELEGRAM_API_BASE_URL", "https://api.telegram.org/bot"),
            telegram_webhook_url=get("TELEGRAM_WEBHOOK_URL"),
            telegram_http_client=_choice(get("TELEGRAM_HTTP_CLIENT", "aiohttp").lower(), ("aiohttp", "httpx"),
                                         "TELEGRAM_HTTP_CLIENT"),
            telegram_webhook_secret=Secret(get("TELEGRAM_WEBHOOK_SECRET")),
            port=int(port),
            admin_telegram_ids=_ids(get("ADMIN_TELEGRAM_IDS")),
            log_level=get("LOG_LEVEL", "INFO").upper(),
            whatsapp_token=Secret(get("WHATSAPP_TOKEN")),
            whatsapp_phone_number_id=get("WHATSAPP_PHONE_NUMBER_ID"),
            whatsapp_app_secret=Secret(get("WHATSAPP_APP_SECRET")),
            whatsapp_verify_token=Secret(get("WHATSAPP_VERIFY_TOKEN")),
            whatsapp_api_base_url=get("WHATSAPP_API_BASE_URL", "https://graph.facebook.com/v21.0"),
            whatsapp_templates=get("WHATSAPP_TEMPLATES"),
            telegram_rate=_int(get("TELEGRAM_RATE", "30"), "TELEGRAM_RATE"),
            whatsapp_rate=_int(get("WHATSAPP_RATE", "80"), "WHATSAPP_RATE"),
            reminder_offsets=get("REMINDER_OFFSETS", "7,1"),
            deadline_offsets=get("DEADLINE_OFFSETS", "2"),
            reminder_time=get("REMINDER_TIME", "10:00"),
            watch_interval=_seconds(get("KNOWLEDGE_WATCH_SECONDS", "2"), "KNOWLEDGE_WATCH_SECONDS"),
            console=_switch(get("CONSOLE", "on"), "CONSOLE"),
            console_secret=Secret(get("CONSOLE_SECRET")),
            console_session_minutes=_int(get("CONSOLE_SESSION_MINUTES", "60"), "CONSOLE_SESSION_MINUTES"),
            scheduler_interval=_seconds(get("SCHEDULER_SECONDS", "60"), "SCHEDULER_SECONDS"),
        )

    def reminder_settings(self) -> "ReminderSettings":
        from datetime import time

        from .core.reminders import ReminderSettings, parse_offsets

        try:
            at = time.fromisoformat(self.reminder_time)
            settings = ReminderSettings(parse_offsets(self.reminder_offsets), parse_offsets(self.deadline_offsets), at)
        except ValueError as exc:
            raise SystemExit(f"reminder settings: {exc}")
        if not (settings.quiet_until <= at < settings.quiet_from):
            raise SystemExit(f"REMINDER_TIME {self.reminder_time} is at night; choose between 08:00 and 21:00")
        return settings
