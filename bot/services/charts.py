"""The questions-and-declines-per-day chart (PNG) for `report usage --plot` and /stats.

matplotlib draws off-screen (Agg). Hindi labels need a Devanagari font
(Noto Sans Devanagari, installed by `make fonts`); without one the chart is
drawn with English labels only, never with empty boxes.
"""
from __future__ import annotations

import io
import logging
from functools import lru_cache

from ..core.entities import KnowledgeBase
from .reports import Usage

log = logging.getLogger("exportbot.charts")
SIZE_INCHES, DPI = (10.0, 5.0), 100          # 1000 x 500 pixels


@lru_cache(maxsize=1)
def devanagari_font() -> str | None:
    """The name of an installed font with Devanagari letters, or None."""
    from matplotlib import font_manager

    for font in font_manager.fontManager.ttflist:
        if "devanagari" in font.name.lower():
            return font.name
    for path in font_manager.findSystemFonts():
        if "devanagari" in path.lower():
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
    log.warning("no Devanagari font installed (run 'make fonts'): chart labels are English only")
    return None


def usage_chart(u: Usage, kb: KnowledgeBase | None = None) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    hindi = devanagari_font()
    family = ["DejaVu Sans", hindi] if hindi else ["DejaVu Sans"]
    with matplotlib.rc_context({"font.family": family}):
        fig = Figure(figsize=SIZE_INCHES, dpi=DPI)
        ax = fig.add_subplot()
        days = [d[5:] for d, _, _ in u.per_day]          # MM-DD
        questions = [n for _, n, _ in u.per_day]
        declined = [d for _, _, d in u.per_day]
        x = range(len(days))
        ax.bar(x, questions, color="#4c72b0", label="questions / सवाल" if hindi else "questions")
        ax.bar(x, declined, color="#dd8452", label="declined / जवाब नहीं" if hindi else "declined")
        step = max(1, len(days) // 15)
        ax.set_xticks(list(x)[::step], days[::step], rotation=45, ha="right")
        scope = "all districts" if u.districts is None else ", ".join(
            kb.districts[d].name.en if kb and d in kb.districts else d for d in sorted(u.districts))
        title = f"Questions and declines per day ({scope})"
        if hindi:
            title += "\nहर दिन के सवाल और बिना जवाब वाले सवाल"
        ax.set_title(title)
        ax.set_ylabel("questions / सवाल" if hindi else "questions")
        ax.legend()
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
    return out.getvalue()
