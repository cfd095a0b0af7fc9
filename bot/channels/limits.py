"""What the platforms allow, in one place, and how a long text is split to fit."""
from __future__ import annotations

TEXT_MAX = 4096                  # a Telegram message, and a WhatsApp text body

# WhatsApp interactive messages
INTERACTIVE_BODY_MAX = 1024
BUTTONS_MAX, BUTTON_TITLE_MAX = 3, 20
ROWS_MAX, ROW_TITLE_MAX, ROW_DESCRIPTION_MAX = 10, 24, 72


def split_text(text: str, limit: int = TEXT_MAX) -> list[str]:
    """Split on paragraph boundaries (then lines, then hard) so no part exceeds ``limit``."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for block in text.split("\n\n"):
        candidate = f"{current}\n\n{block}" if current else block
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        while len(block) > limit:
            cut = block.rfind("\n", 0, limit)
            cut = cut if cut > 0 else limit
            parts.append(block[:cut])
            block = block[cut:].lstrip("\n")
        current = block
    if current:
        parts.append(current)
    return parts
