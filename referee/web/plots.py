"""Plots as server-rendered SVG (issue 13): no charting library, nothing fetched at run time.
Each plot is a `Figure`: a title, the SVG (role="img", labelled by the title) and the data table
shown beside it (`web/plots/figure.html`), so the numbers are there for screen readers, for
copying, and for anyone who cannot tell colours apart.

Geometry is computed here and escaped by `format_html`; pages include the figure template."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
INK, MUTED, ACCENT, WARN, LINE = "#1d2433", "#5b6475", "#1f5fbf", "#b42318", "#d5d9e0"
SERIES_COLOURS = ("#1f5fbf", "#c2410c", "#15803d", "#7e22ce", "#0e7490")  # distinct in grey too (lightness)
# Sequential scale for the heatmap, light to dark (ColorBrewer Blues end points).
LOW_RGB, HIGH_RGB = (247, 251, 255), (8, 48, 107)


@dataclass
class Figure:
    id: str
    title: str
    svg: SafeString
    columns: Sequence[str]
    rows: Sequence[Sequence] = field(default_factory=list)
    note: str = ""  # what the table holds when it is not every plotted value

    @property
    def table_body(self) -> SafeString:
        """The data table's rows, each led by its label as a row header: joined here, not looped
        over in the template, which costs a template node per cell (a heatmap has thousands)."""
        return mark_safe("".join(
            "<tr>" + "".join(f"<th scope=\"row\">{conditional_escape(value)}</th>" if k == 0
                             else f"<td>{conditional_escape(value)}</td>" for k, value in enumerate(row)) + "</tr>"
            for row in self.rows))


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    low: float | None = None  # a marked range behind the bar (e.g. a reviewer's minimum and maximum load)
    high: float | None = None
    highlight: bool = False


def bars(id: str, title: str, rows: Sequence[Bar], *, value_name: str, range_names=("minimum", "maximum"),
         number="{:g}") -> Figure:
    """Horizontal bars, one labelled row each (a few dozen rows at most); a row's low–high range is
    drawn as a band with ticks, a highlighted row in the warning colour."""
    label_w, row_h, top = 180, 22, 8
    height = top * 2 + row_h * max(len(rows), 1)
    top_value = max([r.value for r in rows] + [r.high or 0 for r in rows] + [1e-9])
    scale = (WIDTH - label_w - 60) / top_value
    parts = []
    for k, r in enumerate(rows):
        y = top + k * row_h
        if r.low is not None and r.high is not None:
            parts.append(format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" opacity="0.6"/>'
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}"/><line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}"/>',
                _n(label_w + r.low * scale), y + 2, _n(max((r.high - r.low) * scale, 1)), row_h - 4, LINE,
                _n(label_w + r.low * scale), _n(label_w + r.low * scale), y, y + row_h, MUTED,
                _n(label_w + r.high * scale), _n(label_w + r.high * scale), y, y + row_h, MUTED))
        parts.append(format_html(
            '<text x="{}" y="{}" text-anchor="end" font-size="12" fill="{}">{}</text>'
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
            '<text x="{}" y="{}" font-size="12" fill="{}">{}</text>',
            label_w - 6, y + row_h - 7, INK, _short(r.label),
            label_w, y + 6, _n(r.value * scale), row_h - 12, WARN if r.highlight else ACCENT,
            _n(label_w + r.value * scale + 4), y + row_h - 7, INK, number.format(r.value)))
    has_range = any(r.low is not None for r in rows)
    columns = ["", value_name, *(range_names if has_range else ())]
    table = [[r.label, number.format(r.value), *((_fmt(r.low, number), _fmt(r.high, number)) if has_range else ())]
             for r in rows]
    return Figure(id, title, _svg(id, title, height, parts), columns, table)


def distribution(id: str, title: str, values: Sequence[float], labels: Sequence[str], *, value_name: str,
                 highlight: int | None = None, table_rows: int = 10, number="{:.3f}") -> Figure:
    """Every value as a thin column, sorted from lowest to highest (thousands of proposals fit:
    above `WIDTH` values each column is the lowest of its group, so the worst-off stay visible).
    `highlight` (an index into `values`) is drawn in the warning colour. The table lists the
    `table_rows` lowest values and the quartiles."""
    order = sorted(range(len(values)), key=lambda k: (values[k], k))
    height, base, plot_w = 180, 160, WIDTH - 40
    top_value = max(list(values) + [1e-9])
    group = max(1, -(-len(order) // plot_w))
    groups = [order[k:k + group] for k in range(0, len(order), group)]
    step = plot_w / max(len(groups), 1)
    parts = [format_html('<line x1="30" x2="{}" y1="{}" y2="{}" stroke="{}"/>', WIDTH - 10, base, base, LINE)]
    for k, members in enumerate(groups):
        lowest = members[0]
        h = values[lowest] / top_value * (base - 10)
        colour = WARN if highlight is not None and highlight in members else ACCENT
        parts.append(format_html('<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
                                 _n(30 + k * step), _n(base - h), _n(max(step - 0.5, 0.5)), _n(h), colour))
    parts.append(format_html('<text x="30" y="176" font-size="12" fill="{}">lowest</text>'
                             '<text x="{}" y="176" font-size="12" text-anchor="end" fill="{}">highest</text>',
                             MUTED, WIDTH - 10, MUTED))
    quartiles = [("lowest", 0), ("first quartile", 0.25), ("median", 0.5), ("third quartile", 0.75), ("highest", 1)]
    rows = [[labels[k], number.format(values[k])] for k in order[:table_rows]]
    if order:
        rows += [[name, number.format(values[order[round(q * (len(order) - 1))]])] for name, q in quartiles]
    note = f"The {min(table_rows, len(order))} lowest of {len(order)}, then the quartiles."
    return Figure(id, title, _svg(id, title, height, parts), ["", value_name], rows, note)


def lines(id: str, title: str, x_labels: Sequence[str], series: dict[str, Sequence[float]], *,
          number="{:g}") -> Figure:
    """One line per series over the same x positions (e.g. days), with a legend."""
    height, base, left = 220, 180, 40
    n = max(len(x_labels), 1)
    top_value = max([v for values in series.values() for v in values] + [1e-9])
    step = (WIDTH - left - 20) / max(n - 1, 1)
    parts = [format_html('<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}"/><text x="{}" y="{}" font-size="12" '
                         'text-anchor="end" fill="{}">{}</text>', left, WIDTH - 20, base, base, LINE, left - 4, 24,
                         MUTED, number.format(top_value))]
    for k, (name, values) in enumerate(series.items()):
        colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        points = " ".join(f"{_n(left + i * step)},{_n(base - v / top_value * (base - 30))}" for i, v in enumerate(values))
        parts.append(format_html('<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>'
                                 '<rect x="{}" y="{}" width="12" height="4" fill="{}"/>'
                                 '<text x="{}" y="{}" font-size="12" fill="{}">{}</text>',
                                 points, colour, left + k * 150, 8, colour, left + k * 150 + 16, 14, INK, name))
    if x_labels:
        parts.append(format_html('<text x="{}" y="{}" font-size="12" fill="{}">{}</text>'
                                 '<text x="{}" y="{}" font-size="12" text-anchor="end" fill="{}">{}</text>',
                                 left, base + 18, MUTED, x_labels[0], WIDTH - 20, base + 18, MUTED, x_labels[-1]))
    rows = [[x, *(number.format(values[i]) for values in series.values())] for i, x in enumerate(x_labels)]
    return Figure(id, title, _svg(id, title, height, parts), ["", *series], rows)


def heatmap(id: str, title: str, row_labels: Sequence[str], column_labels: Sequence[str],
            values: Sequence[Sequence[float]], *, high: float = 1.0, number="{:.2f}") -> Figure:
    """A grid of cells shaded from light (0) to dark (`high`), each with its `<title>` (row ×
    column: value) for a pointer's tooltip; the caller aggregates or pages a large matrix before
    (the SVG holds every cell). The table holds the same numbers.

    Thousands of cells: the labels are escaped once and each cell is one f-string of them and of
    numbers (nothing left to escape), not a `format_html` per cell."""
    label_w, top = 140, 8
    cell = max(4, min(24, (WIDTH - label_w) // max(len(column_labels), 1)))
    height = top + cell * len(row_labels) + 8
    columns = [(label_w + j * cell, escape(label)) for j, label in enumerate(column_labels)]
    parts = []
    for i, (label, row) in enumerate(zip(row_labels, values, strict=True)):
        y, name = top + i * cell, escape(label)
        if cell >= 10:
            parts.append(format_html('<text x="{}" y="{}" text-anchor="end" font-size="11" fill="{}">{}</text>',
                                     label_w - 4, y + cell - 3, INK, _short(label, 22)))
        parts.append("".join(
            f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{_shade(v / high if high else 0)}">'
            f"<title>{name} × {column}: {number.format(v)}</title></rect>"
            for (x, column), v in zip(columns, row, strict=True)))
    rows = [[label, *(number.format(v) for v in row)] for label, row in zip(row_labels, values, strict=True)]
    return Figure(id, title, _svg(id, title, height, parts, width=label_w + cell * len(column_labels) + 8),
                  ["", *column_labels], rows)


def _svg(id: str, title: str, height: int, parts: list, *, width: int = WIDTH) -> SafeString:
    return format_html('<svg class="plot-svg" viewBox="0 0 {} {}" width="{}" height="{}" role="img" '
                       'aria-labelledby="{}-title" xmlns="http://www.w3.org/2000/svg">{}</svg>',
                       width, height, width, height, id, mark_safe("".join(parts)))


def _shade(t: float) -> str:
    return SHADES[round(min(max(t, 0.0), 1.0) * (len(SHADES) - 1))]


def _shade_at(t: float) -> str:
    return "#" + "".join(f"{round(lo + (hi - lo) * t):02x}" for lo, hi in zip(LOW_RGB, HIGH_RGB, strict=True))


# The scale's colours, made once: 256 steps are finer than the eye tells apart on 8-bit channels.
SHADES = [_shade_at(k / 255) for k in range(256)]


def _n(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _fmt(value, number) -> str:
    return "" if value is None else number.format(value)


def _short(label: str, limit: int = 28) -> str:
    return label if len(label) <= limit else label[:limit - 1] + "…"
