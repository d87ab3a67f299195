"""The {% chart %} tag: markup, escaping, ids, the empty state."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.template import Context, Template
from django.utils.translation import gettext_lazy

from opora.core.templatetags.charts import height_class


def render(spec: dict[str, Any]) -> str:
    return Template("{% load charts %}{% chart spec %}").render(Context({"spec": spec}))


def spec(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "line",
        "title": "Поступление по каналам",
        "labels": ["01.11", "02.11"],
        "series": [{"name": "Email", "data": [3, None]}],
        "empty": "Нет данных за период",
    } | overrides


def embedded_spec(html: str) -> Any:
    match = re.search(r'<script id="([^"]+)" type="application/json">(.*?)</script>', html)
    assert match is not None
    return match[1], json.loads(match[2])


def test_it_renders_a_figure_with_the_chart_element_and_its_spec() -> None:
    html = render(spec())

    assert html.startswith('<figure class="chart">')
    assert 'class="chart-canvas chart-h-280"' in html
    assert 'role="img" aria-label="Поступление по каналам"' in html
    assert 'data-echarts-src="/static/vendor/echarts-6.1.0.min.js"' in html
    element_id, data = embedded_spec(html)
    assert f'data-chart="{element_id}"' in html
    assert data == spec()
    assert " style=" not in html  # the CSP forbids style attributes


def test_a_script_end_tag_in_a_title_or_label_stays_data() -> None:
    html = render(
        spec(
            title='</script><script>alert("t")</script>',
            labels=["</script><b>", "02.11"],
            series=[{"name": "<img src=x onerror=alert(1)>", "data": [1, 2]}],
        )
    )

    assert "</script><script>" not in html
    assert "<b>" not in html
    assert "<img" not in html
    assert 'aria-label="&lt;/script&gt;&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;"' in html
    assert html.count("</script>") == 1
    _, data = embedded_spec(html)
    assert data["title"] == '</script><script>alert("t")</script>'
    assert data["labels"][0] == "</script><b>"


def test_every_chart_gets_its_own_id() -> None:
    page = Template("{% load charts %}{% chart a %}{% chart a %}").render(Context({"a": spec()}))
    again = render(spec())

    ids = re.findall(r'data-chart="([^"]+)"', page + again)
    assert len(ids) == 3
    assert len(set(ids)) == 3
    for element_id in ids:
        assert f'<script id="{element_id}" type="application/json">' in page + again


def test_lazy_texts_and_decimals_become_plain_json() -> None:
    html = render(
        spec(title=gettext_lazy("Sign in"), series=[{"name": "SLA", "data": [Decimal("95.5"), 1]}])
    )

    _, data = embedded_spec(html)
    assert isinstance(data["title"], str)
    assert data["series"][0]["data"] == [95.5, 1]


@pytest.mark.parametrize(
    "overrides",
    [
        {"labels": []},
        {"series": [{"name": "Email", "data": [None, 0]}]},
        {"series": []},
    ],
)
def test_a_chart_without_data_shows_its_empty_text_and_no_chart(overrides: dict[str, Any]) -> None:
    html = render(spec(**overrides))

    assert "Нет данных за период" in html
    assert 'class="chart-canvas chart-empty chart-h-280"' in html
    assert "data-chart" not in html
    assert "application/json" not in html


def test_the_empty_text_is_escaped() -> None:
    assert "&lt;i&gt;" in render(spec(labels=[], empty="<i>нет</i>"))


@pytest.mark.parametrize(
    ("height", "expected"),
    [(None, "chart-h-280"), (200, "chart-h-200"), (290, "chart-h-280"), (1000, "chart-h-480")],
)
def test_the_height_is_the_nearest_class(height: int | None, expected: str) -> None:
    assert height_class(height) == expected


def test_an_unknown_kind_fails_loudly() -> None:
    with pytest.raises(ValueError, match="scatter"):
        render(spec(kind="scatter"))
