"""The server-rendered SVG plots (issue 13): what is drawn is what the data table says, labels are
escaped, the worst-off stay visible when thousands of values share a few hundred columns."""

import re

from referee.web import plots


def fills(figure) -> list[str]:
    return re.findall(r'<rect [^>]*fill="(#[0-9a-f]{6})"', figure.svg)


def test_bars_draw_each_row_with_its_range_and_the_table_holds_the_same_numbers():
    figure = plots.bars("loads", "Open load", [plots.Bar("Ana", 3, 1, 5), plots.Bar("<b>Bo</b>", 6, 1, 5, True)],
                        value_name="open reviews")
    assert 'role="img" aria-labelledby="loads-title"' in figure.svg
    assert "<b>" not in figure.svg and "&lt;b&gt;Bo&lt;/b&gt;" in figure.svg
    assert figure.columns == ["", "open reviews", "minimum", "maximum"]
    assert figure.rows == [["Ana", "3", "1", "5"], ["<b>Bo</b>", "6", "1", "5"]]
    assert fills(figure).count(plots.WARN) == 1 and fills(figure).count(plots.ACCENT) == 1


def test_bars_without_ranges_have_no_range_columns():
    assert plots.bars("b", "B", [plots.Bar("x", 1)], value_name="v").columns == ["", "v"]


def test_a_distribution_of_thousands_keeps_the_lowest_of_each_column_and_marks_the_worst_off():
    values = [1.0] * 3000
    values[1234] = 0.01
    figure = plots.distribution("totals", "Total affinity", values, [f"P{k}" for k in range(3000)],
                                value_name="total", highlight=1234)
    columns = fills(figure)
    assert len(columns) <= plots.WIDTH and columns[0] == plots.WARN and columns.count(plots.WARN) == 1
    assert figure.rows[0] == ["P1234", "0.010"] and figure.rows[-1] == ["highest", "1.000"]
    assert "10 lowest of 3000" in figure.note


def test_lines_have_one_polyline_and_one_table_column_per_series():
    figure = plots.lines("t", "Over time", ["1 Mar", "2 Mar", "3 Mar"], {"answers": [0, 2, 5], "reviews": [0, 0, 1]})
    assert figure.svg.count("<polyline") == 2
    assert figure.columns == ["", "answers", "reviews"] and figure.rows[2] == ["3 Mar", "5", "1"]


def test_a_heatmap_shades_from_light_to_dark_and_titles_each_cell():
    figure = plots.heatmap("h", "Affinity", ["P1", "P2"], ["R1", "R2"], [[0.0, 1.0], [0.5, 0.25]])
    light, dark, middle, _ = fills(figure)
    assert light == "#f7fbff" and dark == "#08306b" and light > middle > dark
    assert "<title>P2 × R1: 0.50</title>" in figure.svg and figure.rows[1] == ["P2", "0.50", "0.25"]


def test_a_heatmap_escapes_its_labels_in_each_cells_title_and_the_table():
    figure = plots.heatmap("h", "Affinity", ["<i>P</i> & Q"], ['R "1"'], [[0.333]])
    assert "<i>" not in figure.svg and '<title>&lt;i&gt;P&lt;/i&gt; &amp; Q × R &quot;1&quot;: 0.33</title>' in figure.svg
    assert figure.table_body == '<tr><th scope="row">&lt;i&gt;P&lt;/i&gt; &amp; Q</th><td>0.33</td></tr>'


def test_the_shades_are_the_scale_at_256_steps():
    assert plots._shade(0) == "#f7fbff" and plots._shade(1) == "#08306b" and plots._shade(2) == "#08306b"
    assert plots._shade(0.5) == plots._shade_at(128 / 255)
