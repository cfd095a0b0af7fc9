"""`exportbot chat`: the bot's conversation in a terminal, for DIC staff to try their edits.

Buttons are shown as numbers: type the number to press one, /command for a
command, anything else is a question. State lives in the same SQLite store
as the bots (channel "terminal"), so a restart continues where you were.
"""
from __future__ import annotations

import asyncio
import sys
from typing import Callable, TextIO

from ..app import make_store, open_runtime
from ..core.dialogue import Incoming, Reply
from ..core.entities import KnowledgeError
from ..settings import Settings

CHANNEL = "terminal"


def render(reply: Reply) -> tuple[str, dict[str, str]]:
    """The reply as terminal text, and the number -> button data map."""
    lines = [reply.text]
    choices: dict[str, str] = {}
    for row in reply.buttons:
        cells = []
        for button in row:
            number = str(len(choices) + 1)
            choices[number] = button.data
            cells.append(f"[{number}] {button.label}")
        lines.append("   ".join(cells))
    if reply.attachment:
        lines.append(f"(file: {reply.attachment[0]})")
    return "\n".join(lines), choices


def parse_line(line: str, choices: dict[str, str]) -> Incoming:
    text = line.strip()
    if text in choices:
        return Incoming("button", choices[text])
    if text.startswith("/") and len(text) > 1:
        name, _, args = text[1:].partition(" ")
        return Incoming("command", name.split("@")[0].lower(), args.strip())
    return Incoming("text", line)


async def chat(settings: Settings, read: Callable[[], str | None], out: TextIO, user: str = "local") -> int:
    store = await make_store(settings).open()
    try:
        try:
            runtime = open_runtime(settings, store)
        except KnowledgeError as exc:
            print("\n".join(map(str, exc.problems)), file=out)
            return 1
        conversation = runtime.conversation(CHANNEL)
        choices: dict[str, str] = {}
        record = await store.get_user(CHANNEL, user)
        first = Incoming("command", "start") if record is None else Incoming("command", "menu")
        pending: Incoming | None = first
        print("Type a question, a number to press a button, /help, or /quit to leave.", file=out)
        while True:
            if pending is None:
                line = read()
                if line is None or line.strip() in ("/quit", "/exit"):
                    break
                pending = parse_line(line, choices)
            replies = await conversation.handle(user, pending)
            pending = None
            choices = {}
            for reply in replies:
                text, numbers = render(reply)
                # Numbers restart in every reply; the last reply's buttons are the ones you can press.
                choices = numbers or choices
                print("\n" + text, file=out)
            out.flush()
    finally:
        await store.close()
    return 0


def run_terminal_chat(settings: Settings) -> int:
    def read() -> str | None:
        try:
            return input("\n> ")
        except EOFError:
            return None

    return asyncio.run(chat(settings, read, sys.stdout))
