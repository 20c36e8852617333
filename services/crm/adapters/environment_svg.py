"""A deal's environment as an SVG graph: the deal in the middle, members on a circle around it,
coloured by attitude, sized by influence, arrows for who influences whom."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any
from xml.sax.saxutils import escape

SIZE, RADIUS = 640, 230
COLOUR = {"supporter": "#cdebd0", "neutral": "#eeeeee", "opponent": "#f6cccc", None: "#ffffff"}
NODE = {"high": 34, "medium": 27, "low": 21, None: 24}
ROLE_STROKE = {"competitor": "#b22222", "subcontractor": "#1f4e9e", "influencer": "#555"}


def render(
    deal_name: str, members: Sequence[Any], links: Sequence[Any], label: Callable[[str], str]
) -> str:
    """``label`` translates the role words for the reader."""
    centre = SIZE / 2
    at = {}
    for i, member in enumerate(members):
        angle = 2 * math.pi * i / max(len(members), 1) - math.pi / 2
        at[member.id] = (centre + RADIUS * math.cos(angle), centre + RADIUS * math.sin(angle))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" '
        f'viewBox="0 0 {SIZE} {SIZE}" font-family="sans-serif">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
        f'<circle cx="{centre}" cy="{centre}" r="44" fill="#eef2fb" stroke="#1f4e9e"/>',
        f'<text x="{centre}" y="{centre + 4}" font-size="12" text-anchor="middle">'
        f"{escape(deal_name[:24])}</text>",
    ]
    for link in links:
        (x1, y1), (x2, y2) = at[link.source_id], at[link.target_id]
        length = math.hypot(x2 - x1, y2 - y1) or 1
        target = next(m for m in members if m.id == link.target_id)
        r = NODE[target.influence]
        x2, y2 = x2 - (x2 - x1) * r / length, y2 - (y2 - y1) * r / length
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#555" '
            f'marker-end="url(#arrow)"><title>{escape(link.kind)}</title></line>'
        )
    for member in members:
        x, y = at[member.id]
        r = NODE[member.influence]
        stroke = ROLE_STROKE.get(member.role, "#333")
        parts.append(
            f'<g id="member-{member.id}"><line x1="{centre}" y1="{centre}" x2="{x:.1f}" y2="{y:.1f}" '
            f'stroke="#ddd"/><circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{COLOUR[member.attitude]}" '
            f'stroke="{stroke}" stroke-width="2"/><text x="{x:.1f}" y="{y + r + 14:.1f}" font-size="12" '
            f'text-anchor="middle">{escape(member.name[:30])}</text><text x="{x:.1f}" y="{y + 4:.1f}" '
            f'font-size="10" text-anchor="middle" fill="#333">{escape(label(member.role))}</text></g>'
        )
    parts.append("</svg>")
    return "\n".join(parts)
