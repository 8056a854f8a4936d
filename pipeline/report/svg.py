"""Small self-contained SVG charts (no JavaScript, no external resources): bars, columns, network."""
from __future__ import annotations

import math
from html import escape

PALETTE = ["#1f4e79", "#2e75b6", "#548235", "#bf9000", "#c55a11", "#7030a0", "#808080", "#00838f"]


def _title(title: str) -> str:
    return f"<title>{escape(title)}</title>" if title else ""


def bar_chart(items: list[tuple[str, float]], title: str = "", value_format: str = "{:.0f}",
              width: int = 640, bar_height: int = 22, color: str = PALETTE[1]) -> str:
    """Horizontal bars, one per (label, value), labels on the left and values at the end of the bars."""
    if not items:
        return '<p class="na">Aucune donnée à représenter.</p>'
    label_width = min(260, 12 + 7 * max(len(str(label)) for label, _ in items))
    plot_width = width - label_width - 70
    top = max(value for _, value in items) or 1
    height = bar_height * len(items) + 10
    parts = [f'<svg class="chart bar" role="img" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}">{_title(title)}']
    for i, (label, value) in enumerate(items):
        y = 5 + i * bar_height
        length = max(1.0, plot_width * value / top) if value else 0
        text = str(label) if len(str(label)) <= 38 else str(label)[:36] + "…"
        parts.append(f'<text x="{label_width - 6}" y="{y + bar_height * 0.68:.1f}" text-anchor="end">{escape(text)}</text>'
                     f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{bar_height - 6}" fill="{color}">'
                     f'<title>{escape(str(label))} : {escape(value_format.format(value))}</title></rect>'
                     f'<text x="{label_width + length + 4:.1f}" y="{y + bar_height * 0.68:.1f}">'
                     f'{escape(value_format.format(value))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def column_chart(items: list[tuple[str, float]], title: str = "", width: int = 640, height: int = 200,
                 color: str = PALETTE[0]) -> str:
    """Vertical columns (e.g. contributions per month), labels under the columns."""
    if not items:
        return '<p class="na">Aucune donnée à représenter.</p>'
    top = max(value for _, value in items) or 1
    slot = (width - 20) / len(items)
    plot_height = height - 50
    parts = [f'<svg class="chart column" role="img" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}">{_title(title)}']
    for i, (label, value) in enumerate(items):
        h = plot_height * value / top
        x = 10 + i * slot
        parts.append(f'<rect x="{x + slot * 0.15:.1f}" y="{20 + plot_height - h:.1f}" width="{slot * 0.7:.1f}" '
                     f'height="{h:.1f}" fill="{color}"><title>{escape(str(label))} : {value:.0f}</title></rect>'
                     f'<text x="{x + slot / 2:.1f}" y="{15 + plot_height - h:.1f}" text-anchor="middle">{value:.0f}</text>'
                     f'<text x="{x + slot / 2:.1f}" y="{height - 12}" text-anchor="middle" class="small">{escape(str(label))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def network(nodes: list[tuple[str, float]], edges: list[tuple[str, str, float]], title: str = "",
            size: int = 560, label_margin: int = 150) -> str:
    """Actors on a circle (radius of a node ~ its citations), edges thicker with more co-citations."""
    if not nodes:
        return '<p class="na">Aucune donnée à représenter.</p>'
    radius = size / 2 - 40
    width, centre, centre_y = size + 2 * label_margin, size / 2 + label_margin, size / 2
    top_node = max(v for _, v in nodes) or 1
    top_edge = max((w for _, _, w in edges), default=1) or 1
    position = {}
    for i, (name, _) in enumerate(nodes):
        angle = 2 * math.pi * i / len(nodes) - math.pi / 2
        position[name] = (centre + radius * math.cos(angle), centre_y + radius * math.sin(angle))
    parts = [f'<svg class="chart network" role="img" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{size}" viewBox="0 0 {width} {size}">{_title(title)}']
    for source, target, weight in edges:
        if source in position and target in position:
            (x1, y1), (x2, y2) = position[source], position[target]
            parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{PALETTE[6]}" '
                         f'stroke-opacity="0.6" stroke-width="{1 + 5 * weight / top_edge:.1f}">'
                         f'<title>{escape(source)} — {escape(target)} : {weight:.0f}</title></line>')
    for name, value in nodes:
        x, y = position[name]
        r = 4 + 10 * math.sqrt(value / top_node)
        anchor = "start" if x >= centre else "end"
        dx = r + 4 if x >= centre else -(r + 4)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{PALETTE[4]}">'
                     f'<title>{escape(name)} : {value:.0f}</title></circle>'
                     f'<text x="{x + dx:.1f}" y="{y + 4:.1f}" text-anchor="{anchor}">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
