"""The deal reports drawn as SVG: the funnel (deals reaching each stage, with the conversion
to the next) and the time in stage (median and 90th percentile), one horizontal bar a stage."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from xml.sax.saxutils import escape

from shared.i18n import _

WIDTH, BAR, GAP, LABEL, TOP = 640, 26, 8, 180, 50
FUNNEL_TITLE = _("Sales funnel")
FUNNEL_NOTE = _("{count} deals, going on: {share}%")
TIME_TITLE = _("Time in stage, days")
TIME_NOTE = _("median {median}, 90% within {p90}")
NOTHING = _("No deals in the period")

Text = Callable[..., str]


def _bars(title: str, bars: Sequence[tuple[str, float, float, str]], text: Text) -> str:
    """Bars ``(label, value, lighter value behind it, note)`` scaled to the largest value."""
    height = TOP + max(len(bars), 1) * (BAR + GAP) + 20
    span = WIDTH - LABEL - 20
    largest = max((max(v, back) for _, v, back, _ in bars), default=0.0) or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">',
        f'<text x="10" y="24" font-size="15" font-weight="bold">{escape(title)}</text>',
    ]
    if not bars:
        parts.append(f'<text x="10" y="{TOP + 16}" fill="#777">{escape(text(NOTHING))}</text>')
    for i, (label, value, back, note) in enumerate(bars):
        y = TOP + i * (BAR + GAP)
        parts.append(
            f'<text x="{LABEL - 8}" y="{y + BAR * 0.65:.1f}" text-anchor="end">'
            f"{escape(label)}</text>"
        )
        for amount, colour in ((back, "#cfe3f7"), (value, "#2f80ed")):
            parts.append(
                f'<rect x="{LABEL}" y="{y}" width="{span * amount / largest:.1f}" '
                f'height="{BAR}" fill="{colour}"/>'
            )
        parts.append(
            f'<text x="{LABEL + 6}" y="{y + BAR * 0.65:.1f}" fill="#111">{escape(note)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def funnel(rows: Sequence[dict[str, Any]], text: Text) -> str:
    bars = []
    for row in rows:
        go_on = row["conversion"]
        share = "—" if go_on is None else f"{go_on * 100:.0f}"
        note = text(FUNNEL_NOTE).format(count=row["reached"], share=share)
        bars.append((row["name"], float(row["reached"]), 0.0, note))
    return _bars(text(FUNNEL_TITLE), bars, text)


def time_in_stage(rows: Sequence[dict[str, Any]], text: Text) -> str:
    bars = []
    for row in rows:
        median, p90 = row["median_days"] or 0.0, row["p90_days"] or 0.0
        note = text(TIME_NOTE).format(median=median, p90=p90)
        bars.append((row["name"], float(median), float(p90), note))
    return _bars(text(TIME_TITLE), bars, text)
