"""Small server-rendered SVG charts (no script, no CDN): signal bars, heat map, bar lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape


def signal_bar(value: float, scale: float, *, width: int = 120, height: int = 12) -> Markup:
    """A bar centred on zero: positive contributions grow right (teal), negative left (red)."""
    scale = scale if scale > 0 else 1.0
    half = width / 2
    length = min(abs(value) / scale, 1.0) * half
    x = half if value >= 0 else half - length
    colour = "#0f766e" if value >= 0 else "#b91c1c"
    return Markup(
        f'<svg class="bar" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="贡献 {value:+.3f}">'
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f1f5f9"/>'
        f'<rect x="{x:.1f}" y="1" width="{max(length, 0.5):.1f}" height="{height - 2}" '
        f'fill="{colour}"/><line x1="{half}" y1="0" x2="{half}" y2="{height}" '
        f'stroke="#64748b" stroke-width="1"/></svg>')


def meter(value: float, *, width: int = 100, height: int = 10) -> Markup:
    """A 0..1 meter (confidence)."""
    filled = max(0.0, min(value, 1.0)) * width
    return Markup(
        f'<svg class="meter" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{value:.0%}"><rect width="{width}" height="{height}" '
        f'rx="3" fill="#e2e8f0"/><rect width="{filled:.1f}" height="{height}" rx="3" '
        f'fill="#2563eb"/></svg>')


@dataclass(frozen=True)
class HeatCell:
    row: str
    col: str
    value: float
    label: str
    title: str
    alert: bool = False


def heat_map(rows: Sequence[str], cols: Sequence[str], cells: Sequence[HeatCell], *,
             caption: str) -> Markup:
    """A rows × cols grid coloured by value (pale → deep blue), labels inside the cells;
    `alert` cells get a red frame and red text."""
    cw, ch, left, top = 78, 34, 70, 96
    width, height = left + cw * len(cols) + 70, top + ch * len(rows) + 10
    peak = max((c.value for c in cells), default=0.0) or 1.0
    parts = [f'<svg class="heat" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(caption)}">']
    for j, col in enumerate(cols):
        x = left + cw * j + cw / 2
        parts.append(f'<text x="{x:.0f}" y="{top - 8}" transform="rotate(-35 {x:.0f} '
                     f'{top - 8})" font-size="12">{escape(col)}</text>')
    for i, row in enumerate(rows):
        parts.append(f'<text x="{left - 8}" y="{top + ch * i + ch / 2 + 4:.0f}" '
                     f'text-anchor="end" font-size="12">{escape(row)}</text>')
    where = {(c.row, c.col): c for c in cells}
    for i, row in enumerate(rows):
        for j, col in enumerate(cols):
            cell = where.get((row, col))
            x, y = left + cw * j, top + ch * i
            share = (cell.value / peak) if cell else 0.0
            fill = _shade(share) if cell else "#f8fafc"
            stroke = ' stroke="#dc2626" stroke-width="2.5"' if cell and cell.alert \
                else ' stroke="#cbd5e1"'
            parts.append(f'<rect x="{x}" y="{y}" width="{cw - 2}" height="{ch - 2}" '
                         f'fill="{fill}"{stroke}><title>'
                         f'{escape(cell.title if cell else f"{row} · {col}：无需求")}'
                         f'</title></rect>')
            if cell:
                ink = "#ffffff" if share > 0.6 else "#b91c1c" if cell.alert else "#0f172a"
                weight = ' font-weight="700"' if cell.alert else ""
                parts.append(f'<text x="{x + cw / 2 - 1:.0f}" y="{y + ch / 2 + 4:.0f}" '
                             f'text-anchor="middle" font-size="12" fill="{ink}"{weight}>'
                             f'{escape(cell.label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _shade(share: float) -> str:
    """White (0) → #1d4ed8 (1), linear in RGB."""
    lo, hi = (239, 246, 255), (29, 78, 216)
    rgb = [round(a + (b - a) * max(0.0, min(share, 1.0))) for a, b in zip(lo, hi, strict=True)]
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def bar_list(items: Sequence[tuple[str, float]], *, caption: str, width: int = 420,
             highlight: frozenset[str] = frozenset(), fmt: str = "{:g}") -> Markup:
    """Horizontal bars, one per (label, value); highlighted labels drawn in red."""
    row, left = 24, 150
    height = row * len(items) + 8
    peak = max((v for _, v in items), default=0.0) or 1.0
    parts = [f'<svg class="bars" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(caption)}">']
    for i, (name, value) in enumerate(items):
        y = 4 + row * i
        length = (width - left - 60) * value / peak
        colour = "#dc2626" if name in highlight else "#2563eb"
        parts.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" font-size="12">'
                     f'{escape(name)}</text><rect x="{left}" y="{y + 3}" '
                     f'width="{max(length, 1):.1f}" height="{row - 8}" fill="{colour}"/>'
                     f'<text x="{left + length + 6:.1f}" y="{y + 15}" font-size="12">'
                     f'{escape(fmt.format(value))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def target_bars(items: Sequence[tuple[str, float, float | None]], *, caption: str,
                width: int = 420, fmt: str = "{:g}") -> Markup:
    """Horizontal bars of actual per (label, actual, target), the target as a red tick;
    bars that reached their target are drawn green."""
    row, left = 24, 70
    height = row * len(items) + 8
    peak = max((max(a, t or 0.0) for _, a, t in items), default=0.0) or 1.0
    span = width - left - 90
    parts = [f'<svg class="target-bars" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(caption)}">']
    for i, (name, actual, target) in enumerate(items):
        y = 4 + row * i
        length = span * actual / peak
        done = target is not None and target > 0 and actual >= target
        colour = "#0f766e" if done else "#2563eb"
        goal = "" if target is None else f" / {fmt.format(target)}"
        parts.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" font-size="12">'
                     f'{escape(name)}</text><rect x="{left}" y="{y + 3}" '
                     f'width="{max(length, 1):.1f}" height="{row - 8}" fill="{colour}">'
                     f'<title>{escape(name)}：实际 {escape(fmt.format(actual))}{escape(goal)}'
                     f'</title></rect>')
        if target is not None:
            tx = left + span * target / peak
            parts.append(f'<line class="target" x1="{tx:.1f}" y1="{y}" x2="{tx:.1f}" '
                         f'y2="{y + row - 2}" stroke="#dc2626" stroke-width="3"/>')
        end = left + max(length, span * (target or 0.0) / peak)
        parts.append(f'<text x="{end + 6:.1f}" y="{y + 15}" font-size="12">'
                     f'{escape(fmt.format(actual) + goal)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def number(value: float | None) -> str:
    """A count or amount as the pages show it (every template: `number`)."""
    if value is None:
        return "—"
    # never an exponent: a national deal total of 1,000,000 万元 reads 1000000, not 1e+06
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"
