"""The person page's timeline cells, built in Python (enrollment/templatetags/timeline_cells.py)."""

from django.template import Context, Template

from eligibility.rules.dates import month_index
from eligibility.timeline import Cell

TEMPLATE = Template("{% load timeline_cells %}{% timeline_cells cells strip %}")


def _render(cells, strip):
    return TEMPLATE.render(Context({"cells": cells, "strip": strip}))


def test_a_benefit_cell_carries_its_frames_and_its_escaped_reason():
    cell = Cell(
        month=month_index(2026, 3),
        state="waiting",
        label="waiting",
        mark="…",
        tooltip='waiting until 31 May <RES-8> & "B"',
        partial=True,
        current=True,
    )
    assert _render([cell], "benefit") == (
        '<span class="tl-cell b-waiting tl-current tl-partial" role="cell" data-month="2026-03" '
        'data-state="waiting" data-partial="1" title="waiting until 31 May &lt;RES-8&gt; &amp; &quot;B&quot;">'
        '<span aria-hidden="true">…</span>'
        '<span class="visually-hidden">waiting until 31 May &lt;RES-8&gt; &amp; &quot;B&quot;</span></span>'
    )


def test_contribution_cells_follow_each_other_and_never_show_the_partial_frame():
    cells = [
        Cell(month=month_index(2026, 11), state="paid", label="paid", mark="■", tooltip="paid", partial=True),
        Cell(month=month_index(2026, 12), state="due", label="due", mark="○", tooltip="due", future=True),
    ]
    html = _render(cells, "contribution")
    assert html.count('<span class="tl-cell c-') == 2
    assert 'class="tl-cell c-paid"' in html and 'class="tl-cell c-due tl-future"' in html
    assert "partial" not in html
    assert "</span></span><span" in html  # no whitespace between the grid's cells
