"""`exportbot chat`: the same conversation in a terminal, buttons as numbers, state kept in SQLite."""
from __future__ import annotations

import io

from bot.settings import Settings
from bot.channels.terminal import chat

from .conftest import KNOWLEDGE


def script(lines: list[str]):
    it = iter(lines)
    return lambda: next(it, None)


async def test_terminal_chat_onboarding_question_and_restart(tmp_path):
    settings = Settings(knowledge_dir=KNOWLEDGE, db_path=tmp_path / "chat.sqlite3")
    out = io.StringIO()
    # /start is automatic for a new user: 2 = हिन्दी, then a district typed by name
    assert await chat(settings, script(["2", "हाथरस"]), out) == 0
    text = out.getvalue()
    assert "Choose your language / अपनी भाषा चुनें:\n[1] English   [2] हिन्दी\n[3] Skip / छोड़ें" in text
    assert "ज़िला सेव हो गया: हाथरस।" in text
    assert "आप क्या बनाते या बेचते हैं? आपके ज़िले के ODOP उत्पाद पहले दिए हैं।" in text

    out = io.StringIO()                       # a restart: the user is known, so the menu comes first
    assert await chat(settings, script(["गेटवे पोर्ट योजना", "/quit"]), out) == 0
    text = out.getvalue()
    assert text.count("मुख्य मेन्यू: कोई विषय चुनें या सीधे अपना सवाल लिखें।") == 1
    assert "₹6,000" in text and "[1] 👍 काम का   [2] 👎 काम का नहीं" in text


async def test_terminal_chat_reports_a_broken_knowledge_base(tmp_path):
    broken = tmp_path / "knowledge"
    broken.mkdir()
    (broken / "schemes.yaml").write_text("schemes:\n  - id: x\n    titel: {en: a, hi: ब}\n", encoding="utf-8")
    out = io.StringIO()
    settings = Settings(knowledge_dir=broken, db_path=tmp_path / "chat.sqlite3")
    assert await chat(settings, script([]), out) == 1
    assert "field 'titel' is not known (did you mean 'title'?)" in out.getvalue()
