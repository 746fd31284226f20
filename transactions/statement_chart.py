"""The balance-over-the-period chart of a PDF statement, drawn as SVG on the server.

Plain SVG that WeasyPrint lays out like an image: no JavaScript, no charting service. A
step line (a balance holds until the next entry changes it) over the period; thousands of
entries are reduced to at most one point per horizontal pixel, keeping each pixel's last
balance and its lowest and highest, so a short dip still shows.
"""

from datetime import datetime
from decimal import Decimal
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 720, 200
LEFT, RIGHT, TOP, BOTTOM = 70, 10, 24, 26  # room for the axis labels
LINE_COLOUR = "#1f5fbf"
FILL_COLOUR = "#dce8f8"


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def balance_chart_svg(
    *, opening: Decimal, lines: list[dict], start: datetime, end: datetime, currency: str, title: str
) -> str:
    """`lines` are the statement's entries (`date`, `balance_after`), oldest first; `start`
    and `end` bound the period."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    span = max((end - start).total_seconds(), 1.0)
    balances = [opening, *(line["balance_after"] for line in lines)]
    low, high = min(Decimal(0), *balances), max(balances)
    if high == low:
        high = low + 1
    scale = float(high - low)

    def x_of(moment: datetime) -> float:
        return LEFT + plot_w * min(max((moment - start).total_seconds() / span, 0.0), 1.0)

    def y_of(balance: Decimal) -> float:
        return TOP + plot_h * (1 - float(balance - low) / scale)

    # One column per pixel: (lowest, highest, last) of the balances that land in it.
    columns: dict[int, list[Decimal]] = {}
    for line in lines:
        column = int(x_of(line["date"]))
        balance = line["balance_after"]
        seen = columns.get(column)
        columns[column] = [balance, balance, balance] if seen is None else [min(seen[0], balance), max(seen[1], balance), balance]

    points = [(float(LEFT), y_of(opening))]
    previous = y_of(opening)
    for column in sorted(columns):
        lowest, highest, last = columns[column]
        points.append((float(column), previous))  # hold the balance until this pixel
        points.append((float(column), y_of(highest)))
        points.append((float(column), y_of(lowest)))
        previous = y_of(last)
        points.append((float(column), previous))
    points.append((float(LEFT + plot_w), previous))
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    baseline = TOP + plot_h
    area = f"{LEFT:.1f},{baseline:.1f} {path} {LEFT + plot_w:.1f},{baseline:.1f}"

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="balance-chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" font-family="DejaVu Sans, sans-serif" font-size="10">',
        f'<text x="{LEFT}" y="14" font-size="12" font-weight="bold">{escape(title)}</text>',
        f'<text x="{WIDTH - RIGHT}" y="14" text-anchor="end" fill="#555">{escape(currency)}</text>',
    ]
    for step in range(5):
        value = low + (high - low) * Decimal(step) / 4
        y = y_of(value)
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" stroke="#d8d8d8" stroke-width="0.6"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 3.5:.1f}" text-anchor="end" fill="#444">{_money(value)}</text>')
    for fraction, anchor in ((0.0, "start"), (0.5, "middle"), (1.0, "end")):
        moment = start + (end - start) * fraction
        x = LEFT + plot_w * fraction
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="{anchor}" fill="#444">{moment:%Y-%m-%d}</text>')
    parts += [
        f'<polygon points="{area}" fill="{FILL_COLOUR}" stroke="none"/>',
        f'<polyline points="{path}" fill="none" stroke="{LINE_COLOUR}" stroke-width="1.6"/>',
        f'<line x1="{LEFT}" y1="{baseline}" x2="{LEFT + plot_w}" y2="{baseline}" stroke="#888" stroke-width="0.8"/>',
        "</svg>",
    ]
    return "".join(parts)
