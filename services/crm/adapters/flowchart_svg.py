"""A process definition drawn as an SVG flowchart: one box per step, layered from the start.

Deliberately tiny (no graph-layout dependency): a step's layer is its longest distance from
the start, boxes are centred in their layer, arrows are Bézier curves from box to box.
Main steps are solid boxes, side steps dashed, ends rounded; automatic ones are marked.
"""

from __future__ import annotations

from collections.abc import Collection
from xml.sax.saxutils import escape, quoteattr

from services.crm.domain.process import END, SIDE, ProcessDef, StepDef, ranks

WIDTH, HEIGHT, H_GAP, V_GAP, MARGIN, HEADER = 230, 54, 36, 48, 20, 36
FILL = {"main": "#eef2fb", "side": "#ffffff", "end": "#eef8ee"}
VISITED, CURRENT_STROKE = "#cde3ff", "#1f4e9e"


def render(
    process: ProcessDef, *, visited: Collection[str] = (), current: str | None = None
) -> str:
    """The SVG document; ``visited`` steps are shaded and ``current`` outlined."""
    layers: dict[int, list[StepDef]] = {}
    for step in process.steps:
        layers.setdefault(ranks(process)[step.name], []).append(step)
    widest = max(len(row) for row in layers.values())
    # Wide enough for the title too, at about 8 px a character of 14 px sans-serif.
    width = 2 * MARGIN + max(widest * WIDTH + (widest - 1) * H_GAP, 8 * len(process.title))
    height = HEADER + MARGIN + len(layers) * (HEIGHT + V_GAP) - V_GAP + MARGIN
    boxes = {}
    for rank, row in layers.items():
        row_width = len(row) * WIDTH + (len(row) - 1) * H_GAP
        for i, step in enumerate(row):
            x = (width - row_width) / 2 + i * (WIDTH + H_GAP)
            boxes[step.name] = (x, HEADER + MARGIN + rank * (HEIGHT + V_GAP))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="8" markerHeight="8" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
        f'<text x="{MARGIN}" y="{MARGIN + 6}" font-size="14" font-weight="bold">'
        f"{escape(process.title)}</text>",
    ]
    for source, target in process.edges():
        parts.append(_edge(boxes[source], boxes[target], process.step(target)))
    for step in process.steps:
        parts.append(_box(step, *boxes[step.name], step.name in visited, step.name == current))
    parts.append("</svg>")
    return "\n".join(parts)


def _edge(source: tuple[float, float], target: tuple[float, float], step: StepDef) -> str:
    x1, y1 = source[0] + WIDTH / 2, source[1] + HEIGHT
    x2, y2 = target[0] + WIDTH / 2, target[1]
    bend = (y2 - y1) / 2
    dash = ' stroke-dasharray="5 4"' if step.kind == SIDE or not step.manual else ""
    return (
        f'<path d="M {x1:.1f} {y1:.1f} C {x1:.1f} {y1 + bend:.1f} {x2:.1f} {y2 - bend:.1f} '
        f'{x2:.1f} {y2:.1f}" fill="none" stroke="#555"{dash} marker-end="url(#arrow)"/>'
    )


def _box(step: StepDef, x: float, y: float, visited: bool, current: bool) -> str:
    fill = VISITED if visited else FILL[step.kind]
    stroke = f'stroke="{CURRENT_STROKE}" stroke-width="3"' if current else 'stroke="#333"'
    dash = ' stroke-dasharray="6 3"' if step.kind == SIDE else ""
    radius = HEIGHT / 2 if step.kind == END else 6
    by = step.performer + ("" if step.manual else " · automatic")
    needs = f"required: {', '.join(step.required)}" if step.required else "no required fields"
    return (
        f"<g id={quoteattr('step-' + step.name)}><title>{escape(step.name)}: {escape(needs)}"
        f'</title><rect x="{x:.1f}" y="{y:.1f}" width="{WIDTH}" height="{HEIGHT}" rx="{radius}" '
        f'fill="{fill}" {stroke}{dash}/>'
        f'<text x="{x + WIDTH / 2:.1f}" y="{y + 23:.1f}" font-size="13" text-anchor="middle">'
        f"{escape(step.title)}</text>"
        f'<text x="{x + WIDTH / 2:.1f}" y="{y + 41:.1f}" font-size="11" fill="#555" '
        f'text-anchor="middle">{escape(by)}</text></g>'
    )
