"""The BCG matrix drawn as SVG: relative share across (leaders on the left, log scale), sales
growth up, one circle per item group sized by its sales, the four quadrants named."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any
from xml.sax.saxutils import escape

from services.crm.analytics.domain.classes import CASH_COW, DOG, QUESTION_MARK, STAR
from shared.i18n import _

SIZE, MARGIN = 520, 60
SHARE_RANGE = (10.0, 0.1)  # left to right
GROWTH_RANGE = (-0.5, 1.0)  # bottom to top
COLOURS = {STAR: "#f2c94c", CASH_COW: "#6fcf97", QUESTION_MARK: "#56ccf2", DOG: "#bdbdbd"}
TITLES = {
    STAR: _("Stars"),
    CASH_COW: _("Cash cows"),
    QUESTION_MARK: _("Question marks"),
    DOG: _("Dogs"),
}
TITLE = _("BCG matrix of item groups")
X_AXIS, Y_AXIS = _("Relative share"), _("Sales growth")
NO_GROUP = _("(no group)")


def _x(share: float | None) -> float:
    low, high = math.log10(SHARE_RANGE[1]), math.log10(SHARE_RANGE[0])
    # No share: no other group sold anything, so this one leads.
    value = high if share is None else math.log10(share) if share > 0 else low
    value = min(max(value, low), high)
    return MARGIN + (high - value) / (high - low) * SIZE


def _y(growth: float | None) -> float:
    low, high = GROWTH_RANGE
    value = min(max(growth if growth is not None else high, low), high)
    return MARGIN + (high - value) / (high - low) * SIZE


def render(
    rows: Sequence[dict[str, Any]],
    growth_high: float,
    share_high: float,
    text: Callable[[str], str],
) -> str:
    """The chart of the BCG report's rows; ``text`` translates a marked string."""
    width = height = SIZE + 2 * MARGIN
    split_x, split_y = _x(share_high), _y(growth_high)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<text x="{MARGIN}" y="{MARGIN / 2}" font-size="15" font-weight="bold">'
        f"{escape(text(TITLE))}</text>",
        f'<rect x="{MARGIN}" y="{MARGIN}" width="{SIZE}" height="{SIZE}" fill="none" '
        'stroke="#555"/>',
        f'<line x1="{split_x:.1f}" y1="{MARGIN}" x2="{split_x:.1f}" y2="{MARGIN + SIZE}" '
        'stroke="#999" stroke-dasharray="4 4"/>',
        f'<line x1="{MARGIN}" y1="{split_y:.1f}" x2="{MARGIN + SIZE}" y2="{split_y:.1f}" '
        'stroke="#999" stroke-dasharray="4 4"/>',
    ]
    corners = {
        STAR: (MARGIN + 6, MARGIN + 16),
        QUESTION_MARK: (MARGIN + SIZE - 6, MARGIN + 16),
        CASH_COW: (MARGIN + 6, MARGIN + SIZE - 8),
        DOG: (MARGIN + SIZE - 6, MARGIN + SIZE - 8),
    }
    for quadrant, (x, y) in corners.items():
        anchor = "start" if x < split_x else "end"
        parts.append(
            f'<text x="{x}" y="{y}" text-anchor="{anchor}" fill="#777">'
            f"{escape(text(TITLES[quadrant]))}</text>"
        )
    parts.append(
        f'<text x="{MARGIN + SIZE / 2}" y="{height - 20}" text-anchor="middle">'
        f"{escape(text(X_AXIS))}</text>"
    )
    parts.append(
        f'<text x="20" y="{MARGIN + SIZE / 2}" text-anchor="middle" '
        f'transform="rotate(-90 20 {MARGIN + SIZE / 2})">{escape(text(Y_AXIS))}</text>'
    )
    largest = max((float(r["revenue"]) for r in rows), default=0.0) or 1.0
    for row in rows:
        radius = 6 + 30 * math.sqrt(float(row["revenue"]) / largest)
        cx, cy = _x(row["relative_share"]), _y(row["growth"])
        name = row["name"] or text(NO_GROUP)
        parts.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius:.1f}" fill="{COLOURS[row["quadrant"]]}" '
            f'fill-opacity="0.8" stroke="#333"><title>{escape(name)}</title></circle>'
        )
        parts.append(
            f'<text x="{cx:.1f}" y="{cy + 4:.1f}" text-anchor="middle">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)
