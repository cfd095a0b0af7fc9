"""10,000 subscribers through the real outbox, sender and Bot API double, time compressed 20×.

    .venv/bin/python bench/pacing_bench.py [--subscribers 10000] [--limit 30] [--window 0.05]

Once a test (about 20 s); the Pacer's property is now tested on a fake clock
(tests/test_reminders.py::test_pacer_never_lets_more_than_the_limit_through_in_any_window), and this
end-to-end run lives here. It checks that every subscriber gets the message once and that no
`window` seconds at the Bot API double hold more than `limit` messages.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram import Bot  # noqa: E402

from bot.channels.telegram.sender import TelegramSender  # noqa: E402
from bot.core.events import IST  # noqa: E402
from bot.core.knowledge import load_knowledge  # noqa: E402
from bot.services.pacer import Pacer  # noqa: E402
from bot.services.outbox import Broadcaster  # noqa: E402
from bot.store import Store  # noqa: E402
from tests.fakes.telegram_api import FakeBotAPI  # noqa: E402

TOKEN = "321:PACING"


async def run(subscribers: int, limit: int, window: float) -> None:
    kb = load_knowledge(ROOT / "knowledge")
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeBotAPI(token=TOKEN) as fake:
            store = await Store(Path(tmp) / "big.sqlite3").open()
            bot = Bot(TOKEN, base_url=fake.base_url)
            await bot.initialize()
            broadcaster = Broadcaster(store, lambda: kb, {"telegram": TelegramSender(bot)},
                                      {"telegram": Pacer(limit, window=window, per_chat=window)})
            await store.db.executemany(
                "INSERT INTO users (channel, chat_id, lang, subscription, blocked, first_seen, last_seen) "
                "VALUES ('telegram', ?, 'en', 'all', 0, 0, 0)", [(str(i),) for i in range(1, subscribers + 1)])
            await store.db.commit()
            when = datetime(2027, 1, 5, 10, 0, tzinfo=IST)
            campaign_id, counts = await broadcaster.create_broadcast("Hello exporters", "all", "bench", when)
            assert counts == {"telegram": subscribers}, counts
            await broadcaster.confirm_broadcast(campaign_id)
            started = time.perf_counter()
            report = await broadcaster.deliver(campaign_id=campaign_id)
            elapsed = time.perf_counter() - started
            assert report.sent == subscribers and len(fake.sent) == subscribers, report
            assert len({m["chat_id"] for m in fake.sent}) == subscribers, "somebody got it twice"
            busiest = fake.max_in_window(window)
            assert busiest <= limit, f"{busiest} in one window (limit {limit})"
            rate = subscribers / elapsed
            print(f"{subscribers:,} sent once each in {elapsed:.1f} s = {rate:.0f} msg/s "
                  f"({100 * rate / (limit / window):.1f} % of {limit} per {window} s); "
                  f"busiest window {busiest} (limit {limit}: held)")
            await bot.shutdown()
            await store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--limit", type=int, default=30)
    parser.add_argument("--window", type=float, default=0.05)
    args = parser.parse_args()
    asyncio.run(run(args.subscribers, args.limit, args.window))


if __name__ == "__main__":
    main()
