"""Charts for the report as inline SVG strings, drawn in Python: no JavaScript, no network, no CDN.

Why SVG from Python: the report is one file an analyst mails around and opens anywhere, offline;
a chart that needs a script or a font download would come out blank in a mail client. Every text
that ends up in a chart (labels, tooltips) is escaped here, since topic labels come from documents.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

CLASS_COLOURS = {"strong": "#c0392b", "weak": "#e67e22", "noise": "#95a5a6"}
KIND_COLOURS = {"news": "#2e86de", "patent": "#8e44ad", "publication": "#27ae60", "policy": "#d35400"}
KIND_LABELS = {"news": "news", "patent": "patents", "publication": "publications", "policy": "policy"}


def sparkline(series: Sequence[float], *, width: int = 160, height: int = 36, title: str = "") -> Markup:
    """Bars for a short count series (oldest first), the last period highlighted, on a baseline.

    Why the baseline: a period with no documents has no bar, so a topic that was quiet through every period shown
    (one of 2019 in a report of 2021-2023) would be an empty box, which reads as a chart that failed to draw. The
    baseline says "zero here".
    """
    values = [max(float(v or 0), 0.0) for v in series]
    if not values:
        values = [0.0]
    top = max(values) or 1.0
    gap = 2
    bar = max((width - gap * (len(values) - 1)) / len(values), 1.0)
    parts = [f'<rect class="baseline" x="0" y="{height - 1}" width="{width}" height="1" fill="#d5d8dc"></rect>']
    for i, value in enumerate(values):
        h = 0.0 if value == 0 else max(value / top * (height - 2), 1.5)
        colour = "#c0392b" if i == len(values) - 1 else "#7f8c8d"
        parts.append(
            f'<rect class="bar" x="{i * (bar + gap):.1f}" y="{height - h:.1f}" width="{bar:.1f}" '
            f'height="{h:.1f}" fill="{colour}"><title>{_num(value)}</title></rect>'
        )
    return _svg("sparkline", width, height, title or "series", "".join(parts))


def source_mix_bar(mix: Mapping[str, int], *, width: int = 220, height: int = 16) -> Markup:
    """One stacked bar: the share of news, patents, publications and policy documents."""
    total = sum(mix.values()) or 1
    x = 0.0
    parts = []
    for kind in KIND_COLOURS:
        count = mix.get(kind, 0)
        if not count:
            continue
        w = count / total * width
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="0" width="{w:.1f}" height="{height}" fill="{KIND_COLOURS[kind]}">'
            f"<title>{escape(KIND_LABELS[kind])}: {count}</title></rect>"
        )
        x += w
    if not parts:
        parts.append(f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ecf0f1"/>')
    return _svg("mix", width, height, "source mix", "".join(parts))


def bar_chart(rows: Sequence[tuple[str, float]], *, width: int = 420, bar_height: int = 18, title: str = "") -> Markup:
    """Horizontal bars with their labels and values (documents per source, per lead market)."""
    if not rows:
        return _svg("bars", width, bar_height + 4, title or "bars", '<text x="4" y="14" font-size="12">no data</text>')
    label_width = 170
    top = max((v for _, v in rows), default=0) or 1
    height = max(len(rows), 1) * (bar_height + 4)
    parts = []
    for i, (label, value) in enumerate(rows):
        y = i * (bar_height + 4)
        w = max(value / top * (width - label_width - 50), 0 if value == 0 else 1)
        parts.append(
            f'<text x="{label_width - 6}" y="{y + bar_height - 5}" text-anchor="end" font-size="12">'
            f"{escape(_clip(label, 26))}</text>"
            f'<rect class="bar" x="{label_width}" y="{y}" width="{w:.1f}" height="{bar_height}" fill="#2e86de">'
            f"<title>{escape(label)}: {_num(value)}</title></rect>"
            f'<text x="{label_width + w + 4:.1f}" y="{y + bar_height - 5}" font-size="11">{_num(value)}</text>'
        )
    return _svg("bars", width, height, title or "bars", "".join(parts))


@dataclass(frozen=True)
class MapPoint:
    """One topic on the emergence map."""

    topic_id: str
    label: str
    volume: float  # documents in the recent periods
    growth: float  # ratio of recent to earlier share (1 = flat)
    signal_class: str
    show_label: bool = False


def emergence_map(
    points: Sequence[MapPoint], *, volume_split: float, growth_split: float = 1.0, width: int = 640, height: int = 420
) -> Markup:
    """Volume (x, log) against growth (y, log) with the four quadrants named.

    Quadrants: little volume and fast growth = weak signals (top left), much volume and fast growth =
    strong signals (top right), little of both = latent (bottom left), much volume without growth =
    established (bottom right). The splits are passed in so the caption can say what they were.
    """
    pad_left, pad_bottom, pad_top, pad_right = 50, 40, 16, 16
    plot_w, plot_h = width - pad_left - pad_right, height - pad_top - pad_bottom

    def lx(v: float) -> float:
        return math.log10(max(v, 0.0) + 1.0)

    def lg(g: float) -> float:
        return math.log10(min(max(g, 0.05), 50.0))

    xs = [lx(p.volume) for p in points] + [lx(volume_split)]
    ys = [lg(p.growth) for p in points] + [lg(growth_split)]
    x_lo, x_hi = 0.0, max(max(xs) * 1.08, 0.5)
    y_lo, y_hi = min(min(ys), lg(growth_split) - 0.3), max(max(ys), lg(growth_split) + 0.3)
    y_lo, y_hi = y_lo - 0.05 * (y_hi - y_lo), y_hi + 0.05 * (y_hi - y_lo)

    def px(v: float) -> float:
        return pad_left + (v - x_lo) / (x_hi - x_lo) * plot_w

    def py(v: float) -> float:
        return pad_top + (1 - (v - y_lo) / (y_hi - y_lo)) * plot_h

    sx, sy = px(lx(volume_split)), py(lg(growth_split))
    right, bottom = pad_left + plot_w, pad_top + plot_h
    parts = [
        f'<rect x="{pad_left}" y="{pad_top}" width="{sx - pad_left:.1f}" height="{sy - pad_top:.1f}" fill="#fdf2e9"/>',
        f'<rect x="{sx:.1f}" y="{pad_top}" width="{right - sx:.1f}" height="{sy - pad_top:.1f}" fill="#fbeaea"/>',
        f'<rect x="{pad_left}" y="{sy:.1f}" width="{sx - pad_left:.1f}" height="{bottom - sy:.1f}" fill="#f4f6f6"/>',
        f'<rect x="{sx:.1f}" y="{sy:.1f}" width="{right - sx:.1f}" height="{bottom - sy:.1f}" fill="#eaf2f8"/>',
        f'<line x1="{sx:.1f}" y1="{pad_top}" x2="{sx:.1f}" y2="{bottom}" stroke="#999" stroke-dasharray="4 3"/>',
        f'<line x1="{pad_left}" y1="{sy:.1f}" x2="{right}" y2="{sy:.1f}" stroke="#999" stroke-dasharray="4 3"/>',
        f'<text class="quadrant" x="{pad_left + 6}" y="{pad_top + 14}" font-size="12" '
        'fill="#a04000">weak signals</text>',
        f'<text class="quadrant" x="{right - 6}" y="{pad_top + 14}" font-size="12" text-anchor="end" '
        'fill="#922b21">strong signals</text>',
        f'<text class="quadrant" x="{pad_left + 6}" y="{bottom - 6}" font-size="12" fill="#555">latent</text>',
        f'<text class="quadrant" x="{right - 6}" y="{bottom - 6}" font-size="12" text-anchor="end" '
        'fill="#1f618d">established</text>',
        f'<line x1="{pad_left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#333"/>',
        f'<line x1="{pad_left}" y1="{pad_top}" x2="{pad_left}" y2="{bottom}" stroke="#333"/>',
        f'<text x="{pad_left + plot_w / 2:.1f}" y="{height - 8}" font-size="12" text-anchor="middle">'
        "volume: documents in the recent periods (log scale)</text>",
        f'<text x="14" y="{pad_top + plot_h / 2:.1f}" font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 14 {pad_top + plot_h / 2:.1f})">growth of share (log scale)</text>',
    ]
    for tick in (1, 10, 100, 1000, 10000):
        if lx(tick) <= x_hi:
            parts.append(
                f'<text x="{px(lx(tick)):.1f}" y="{bottom + 14}" font-size="10" text-anchor="middle">{tick}</text>'
            )
    for tick in (0.1, 0.5, 1, 2, 5, 10, 20):
        if y_lo <= lg(tick) <= y_hi:
            parts.append(
                f'<text x="{pad_left - 4}" y="{py(lg(tick)) + 3:.1f}" font-size="10" text-anchor="end">×{tick:g}</text>'
            )
    for p in sorted(points, key=lambda p: p.signal_class != "noise"):
        cx, cy = px(lx(p.volume)), py(lg(p.growth))
        colour = CLASS_COLOURS.get(p.signal_class, "#95a5a6")
        parts.append(
            f'<circle class="point" cx="{cx:.1f}" cy="{cy:.1f}" r="5" fill="{colour}" fill-opacity="0.8" '
            f'stroke="#fff"><title>{escape(p.label)} (topic {escape(p.topic_id)}): {_num(p.volume)} documents, '
            f"growth ×{p.growth:.2f}, {escape(p.signal_class)}</title></circle>"
        )
        if p.show_label:
            near_right = cx > pad_left + 0.65 * plot_w  # labels on the right half point left, so they stay inside
            x, anchor = (cx - 7, "end") if near_right else (cx + 7, "start")
            parts.append(
                f'<text class="point-label" x="{x:.1f}" y="{cy + 4:.1f}" font-size="11" text-anchor="{anchor}">'
                f"{escape(_clip(p.label, 28))}</text>"
            )
    return _svg("emergence-map", width, height, "emergence map", "".join(parts))


def _svg(kind: str, width: float, height: float, label: str, body: str) -> Markup:
    return Markup(
        f'<svg class="chart chart-{kind}" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(label)}">'
        f"{body}</svg>"
    )


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _num(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
