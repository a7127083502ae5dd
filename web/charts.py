"""Small SVG charts drawn on the server: the pages work offline and print well, with no chart library to ship."""

from __future__ import annotations

from html import escape

PALETTE = ("#1f5f9e", "#e07b24", "#3a9a4b", "#b03a48", "#7a5ea8", "#8c6d31", "#4a8fa8", "#777777")
WIDTH, HEIGHT, LEFT, BOTTOM, TOP, RIGHT = 760, 300, 78, 40, 16, 230  # the legend holds 财政兜底（新增财政资金）


def _wan(value: float) -> str:
    return f"{value / 10_000:,.0f}万"


def _scale(maximum: float) -> float:
    return maximum if maximum > 0 else 1.0


def _frame(title: str, body: list[str], maximum: float) -> str:
    plot_h = HEIGHT - TOP - BOTTOM
    ticks = []
    for i in range(5):
        value = maximum * i / 4
        y = TOP + plot_h - plot_h * i / 4
        ticks.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{_wan(value)}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" class="chart" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>{"".join(ticks)}{"".join(body)}</svg>')


def _legend(names: list[str]) -> list[str]:
    return [f'<rect x="{WIDTH - RIGHT + 12}" y="{TOP + 18 * i}" width="12" height="12" fill="{PALETTE[i % len(PALETTE)]}"/>'
            f'<text x="{WIDTH - RIGHT + 30}" y="{TOP + 18 * i + 11}" font-size="12">{escape(name)}</text>'
            for i, name in enumerate(names)]


def stacked_bars(title: str, data: dict[str, dict[str, float]], series: list[str]) -> str:
    """``data``: category (year) → series (funding level) → amount; one stacked bar per category."""
    categories = list(data)
    maximum = _scale(max((sum(max(v, 0) for v in parts.values()) for parts in data.values()), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(categories), 1)
    body = []
    for i, category in enumerate(categories):
        x, base = LEFT + slot * i + slot * 0.15, TOP + plot_h
        for j, name in enumerate(series):
            value = max(data[category].get(name, 0.0), 0.0)
            height = plot_h * value / maximum
            base -= height
            body.append(f'<rect x="{x:.1f}" y="{base:.1f}" width="{slot * 0.7:.1f}" height="{height:.1f}" '
                        f'fill="{PALETTE[j % len(PALETTE)]}"><title>{escape(str(category))} {escape(name)}：'
                        f'{value:,.2f}元</title></rect>')
        body.append(f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
                    f'font-size="12">{escape(str(category))}</text>')
    return _frame(title, body + _legend(series), maximum)


def lines(title: str, data: dict[str, dict[str, float]]) -> str:
    """``data``: series (scenario) → category (year) → amount; one line per series."""
    categories = sorted({c for points in data.values() for c in points})
    maximum = _scale(max((v for points in data.values() for v in points.values()), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(categories) - 1, 1)
    body = [f'<text x="{LEFT + step * i:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="12">'
            f'{escape(str(c))}</text>' for i, c in enumerate(categories)]
    for j, (name, points) in enumerate(data.items()):
        xy = [(LEFT + step * categories.index(c), TOP + plot_h - plot_h * v / maximum) for c, v in sorted(points.items())]
        color = PALETTE[j % len(PALETTE)]
        body.append(f'<polyline fill="none" stroke="{color}" stroke-width="2.5" '
                    f'points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in xy)}"/>')
        body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}"><title>{escape(name)}</title></circle>'
                 for x, y in xy]
    return _frame(title, body + _legend(list(data)), maximum)
