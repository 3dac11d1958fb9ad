"""The coverage timeline's month cells, built in Python.

A person with fifteen years of history has hundreds of cells per strip; rendered by template tags
they cost more than the rest of the person page (measured: about a quarter of its time). The
markup is the same as the template's was.
"""

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def timeline_cells(cells: Iterable[Any], strip: str) -> SafeString:
    """The cells of one strip: `strip` is "contribution" (class prefix c-) or "benefit" (b-, with
    the partial-month frame)."""
    prefix = "c" if strip == "contribution" else "b"
    parts = []
    for cell in cells:
        classes = f"tl-cell {prefix}-{cell.state}"
        if cell.future:
            classes += " tl-future"
        if cell.current:
            classes += " tl-current"
        partial = prefix == "b" and cell.partial
        if partial:
            classes += " tl-partial"
        parts.append(
            format_html(
                '<span class="{}" role="cell" data-month="{}" data-state="{}"{} title="{}">'
                '<span aria-hidden="true">{}</span><span class="visually-hidden">{}</span></span>',
                classes,
                cell.iso,
                cell.state,
                mark_safe(' data-partial="1"') if partial else "",
                cell.tooltip,
                cell.mark,
                cell.tooltip,
            )
        )
    return mark_safe("".join(parts))  # every part escaped by format_html
