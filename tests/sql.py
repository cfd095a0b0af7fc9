"""Reading the store's tables directly, for assertions (the bot itself never needs these queries)."""
from __future__ import annotations

from typing import Any


async def select(store: Any, sql: str, *args: Any) -> list[dict[str, Any]]:
    async with store.db.execute(sql, args) as cur:
        return [dict(row) for row in await cur.fetchall()]


async def questions(store: Any, channel: str | None = None) -> list[dict[str, Any]]:
    if channel is None:
        return await select(store, "SELECT * FROM questions ORDER BY id")
    return await select(store, "SELECT * FROM questions WHERE channel = ? ORDER BY id", channel)


async def schema_version(store: Any) -> int:
    return (await select(store, "PRAGMA user_version"))[0]["user_version"]
