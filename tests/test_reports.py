"""Reports for a district meeting: the command line's text, CSV and PNG hold the same numbers."""
from __future__ import annotations

import csv
import io
import time

from bot.cli import main as cli_main
from bot.core.dialogue import Logged, UserState
from bot.store import Store

from .conftest import KNOWLEDGE

DAY = 86400


async def seed(db, now: float) -> None:
    """Hathras: 3 questions two days ago (1 declined), 2 today (1 declined, 1 👎); Agra: 1 declined today."""
    clock = [now - 2 * DAY]
    store = await Store(db, clock=lambda: clock[0]).open()
    await store.save_user("telegram", "1", UserState(lang="hi", district="hathras"))
    await store.save_user("whatsapp", "2", UserState(lang="en", district="agra"))
    for text, outcome, entry in (("gateway port scheme", "answer", "upepb-gateway-port"),
                                 ("iec kaise banaye", "answer", "iec"), ("godown chahiye", "refuse", None)):
        await store.log_question("telegram", "1", Logged(text, "hi", entry, 0.9 if entry else 0.1, outcome))
    clock[0] = now - 60
    await store.log_question("telegram", "1", Logged("godown chahiye kya", "hi", None, 0.1, "refuse"))
    await store.log_question("telegram", "1", Logged("gateway port", "hi", "upepb-gateway-port", 0.9, "answer"))
    await store.record_feedback("telegram", "1", "upepb-gateway-port", False)
    await store.log_question("whatsapp", "2", Logged("tell me a joke", "en", None, 0.0, "off_topic"))
    await store.close()


async def test_usage_csv_and_chart_hold_the_right_numbers(tmp_path, capsys):
    import asyncio

    from matplotlib import image

    db = tmp_path / "db.sqlite3"
    await seed(db, time.time())
    args = ["--knowledge", str(KNOWLEDGE), "--db", str(db), "report", "usage", "--since", "7d"]
    code = await asyncio.to_thread(cli_main, args + ["--csv", str(tmp_path / "u.csv"), "--plot", str(tmp_path / "u.png")])
    assert code == 0
    out = capsys.readouterr().out
    assert "Questions: 6; declined 3 (50%)" in out and "Feedback: 👍 0 · 👎 1" in out
    rows = list(csv.DictReader(io.StringIO((tmp_path / "u.csv").read_text(encoding="utf-8"))))
    days = [(r["count"], r["declined"]) for r in rows if r["section"] == "day"]
    assert len(days) == 8 and days[-3] == ("3", "1") and days[-1] == ("3", "2") and days.count(("0", "0")) == 6
    assert {(r["name"], r["count"]) for r in rows if r["section"] == "district"} == {("hathras", "5"), ("agra", "1")}
    assert {(r["name"], r["count"]) for r in rows if r["section"] == "language"} == {("hi", "5"), ("en", "1")}
    assert [(r["name"], r["count"]) for r in rows if r["section"] == "entry"][0] == ("upepb-gateway-port", "2")
    picture = image.imread(tmp_path / "u.png")
    assert picture.shape[:2] == (500, 1000)
    assert sum(int(c) for c, _ in days) == 6

    code = await asyncio.to_thread(cli_main, args + ["--district", "Agra", "--csv", str(tmp_path / "agra.csv")])
    rows = list(csv.DictReader(io.StringIO((tmp_path / "agra.csv").read_text(encoding="utf-8"))))
    assert [(r["name"], r["count"], r["declined"]) for r in rows if r["section"] == "total"] == [("questions", "1", "1")]


async def test_unanswered_csv_groups_and_add_alias_clears_them(tmp_path, capsys):
    import asyncio
    import shutil

    db = tmp_path / "db.sqlite3"
    await seed(db, time.time())
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    base = ["--knowledge", str(knowledge), "--db", str(db)]
    code = await asyncio.to_thread(cli_main, base + ["report", "unanswered", "--csv", str(tmp_path / "un.csv")])
    assert code == 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "un.csv").read_text(encoding="utf-8"))))
    assert [(r["question"], r["count"], r["declined"], r["thumbs_down"], r["districts"]) for r in rows] == [
        ("godown chahiye", "2", "2", "0", "hathras 2"),
        ("gateway port", "1", "0", "1", "hathras 1"),
        ("tell me a joke", "1", "1", "0", "agra 1")]
    assert rows[0]["variants"] == "godown chahiye kya"
    capsys.readouterr()
    code = await asyncio.to_thread(cli_main, base + ["kb", "add-alias", "how-to-start-exporting", "godown chahiye"])
    out = capsys.readouterr().out
    assert code == 0 and "(aliases.hinglish)" in out and "2 unanswered question(s) like it" in out
    await asyncio.to_thread(cli_main, base + ["report", "unanswered", "--district", "hathras"])
    out = capsys.readouterr().out
    assert out.startswith("Not answered, last 7 days (Hathras): 1 question(s) in 1 group(s)")
