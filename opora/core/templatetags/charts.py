"""`{% chart spec %}`: a chart drawn in the browser by opora/static/opora/charts.js.

The spec is a plain dict built by the views (its format is described at the top
of charts.js). It travels to the page in a `json_script` element, so titles and
labels are data, never markup. The CSP forbids `style` attributes, so the
height is the nearest `chart-h-*` class of charts.css (160 to 480 px in steps
of 40). A spec without data is rendered here as its empty text, so a page of
empty charts never loads ECharts at all.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.templatetags.static import static
from django.utils.html import format_html, json_script
from django.utils.safestring import SafeString

register = template.Library()

KINDS = frozenset({"line", "bar", "stacked", "hbar", "histogram", "donut"})
HEIGHTS = (160, 200, 240, 280, 320, 360, 400, 480)  # the chart-h-* classes in charts.css
DEFAULT_HEIGHT = 280
ECHARTS = "vendor/echarts-6.1.0.min.js"


class _ChartEncoder(DjangoJSONEncoder):
    # DjangoJSONEncoder writes Decimal as a string; a chart needs a number.
    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            return float(o)
        return super().default(o)


def chart_is_empty(spec: Mapping[str, Any]) -> bool:
    """No categories, or every value of every series is null or zero."""
    if not spec.get("labels"):
        return True
    return not any(value for series in spec.get("series", ()) for value in series["data"])


def height_class(height: int | None) -> str:
    """The chart-h-* class nearest to the requested height in pixels."""
    wanted = DEFAULT_HEIGHT if height is None else int(height)
    return f"chart-h-{min(HEIGHTS, key=lambda h: abs(h - wanted))}"


@register.simple_tag
def chart(spec: Mapping[str, Any]) -> SafeString:
    if spec.get("kind") not in KINDS:
        raise ValueError(f"chart kind must be one of {sorted(KINDS)}, got {spec.get('kind')!r}")
    size = height_class(spec.get("height"))
    if chart_is_empty(spec):
        return format_html(
            '<figure class="chart"><p class="chart-canvas chart-empty {}">{}</p></figure>',
            size,
            spec.get("empty", ""),
        )
    # Random rather than counted: a fragment swapped in by htmx is rendered by
    # another request, and its ids must not collide with the page's.
    element_id = f"chart-{secrets.token_hex(6)}"
    return format_html(
        '<figure class="chart"><div class="chart-canvas {}" data-chart="{}" data-echarts-src="{}"'
        ' role="img" aria-label="{}"></div>{}</figure>',
        size,
        element_id,
        static(ECHARTS),
        str(spec.get("title", "")),
        json_script(spec, element_id, encoder=_ChartEncoder),
    )
