"""A test-only page of charts for tests/e2e/test_charts.py.

The page includes the real head.html (htmx, charts.js, the stylesheets) and is
served through the real middleware, CSP header included. One chart of every
kind, an empty one, and a button that swaps a further chart in with htmx.
"""

from __future__ import annotations

from itertools import count
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template import Context, Template
from django.urls import path

DAYS = [f"{day:02}.11" for day in range(1, 15)]

SPECS: dict[str, dict[str, Any]] = {
    "inflow": {
        "kind": "line",
        "title": "Поступление по каналам",
        "labels": DAYS,
        "series": [
            {"name": "Email", "data": [31, 28, 35, 40, 37, 12, 9, 33, 36, 42, 39, 41, 14, 10]},
            {"name": "Telegram", "data": [12, 15, 14, 18, None, 6, 5, 16, 19, 17, 21, 20, 7, 6]},
            {"name": "Портал", "data": [5, 7, 6, 8, 9, 2, 1, 7, 8, 9, 10, 8, 3, 2]},
            {
                "name": "Прошлый период",
                "data": [40, 38, 45, 50, 47, 18, 15, 44, 49, 50, 52, 47, 20, 17],
                "dashed": True,
            },
        ],
        "empty": "Нет данных за период",
    },
    "in_time": {
        "kind": "bar",
        "title": "Доля ответов в срок",
        "labels": DAYS,
        "series": [
            {
                "name": "Ответы в срок",
                "data": [
                    96.5,
                    94.2,
                    97.1,
                    91.8,
                    93.3,
                    98.6,
                    99.1,
                    95.4,
                    92.7,
                    96.0,
                    97.7,
                    94.9,
                    98.2,
                    99.4,
                ],
            }
        ],
        "unit": "%",
        "target": 95,
        "target_label": "Цель 95%",
        "empty": "Нет данных за период",
    },
    "backlog": {
        "kind": "stacked",
        "title": "Открытые обращения по приоритету",
        "labels": DAYS,
        "series": [
            {"name": "Низкий", "data": [20, 22, 25, 23, 21, 19, 18, 22, 24, 26, 25, 23, 21, 20]},
            {"name": "Обычный", "data": [35, 38, 40, 42, 39, 33, 31, 37, 41, 44, 43, 40, 36, 34]},
            {"name": "Высокий", "data": [8, 9, 12, 10, 7, 6, 5, 9, 11, 13, 12, 10, 8, 7]},
            {
                "name": "Медиана первого ответа",
                "data": [1.2, 1.5, 1.9, 2.4, 1.7, 0.9, 0.8, 1.4, 2.1, 2.6, 2.2, 1.8, 1.1, 0.9],
                "kind": "line",
                "axis": 1,
                "unit": "h",
            },
        ],
        "empty": "Нет данных за период",
    },
    "teams": {
        "kind": "hbar",
        "title": "Решено командами",
        "labels": ["Первая линия", "Вторая линия", "Биллинг", "Инфраструктура", "VIP-клиенты"],
        "series": [{"name": "Решено", "data": [412, 236, 118, 64, 1240]}],
        "empty": "Нет данных за период",
    },
    "resolution": {
        "kind": "histogram",
        "title": "Время решения",
        "labels": ["<1 ч", "1–2 ч", "2–4 ч", "4–8 ч", "8–24 ч", "1–3 дн", ">3 дн"],
        "series": [{"name": "Обращения", "data": [54, 88, 120, 96, 61, 23, 9]}],
        "empty": "Нет данных за период",
    },
    "channels": {
        "kind": "donut",
        "title": "Каналы обращений",
        "labels": ["Email", "Telegram", "Портал", "Телефон"],
        "series": [{"name": "Обращения", "data": [812, 344, 129, 57]}],
        "empty": "Нет данных за период",
    },
    "nothing": {
        "kind": "line",
        "title": "Повторные обращения",
        "labels": DAYS,
        "series": [{"name": "Повторные", "data": [None, 0, 0, None] + [0] * 10}],
        "empty": "Нет данных за период",
    },
}

PAGE = Template(
    """{% load charts %}<!doctype html>
<html lang="ru">
<head>{% include "includes/head.html" %}<link rel="icon" href="data:,"><title>Графики</title></head>
<body>
<main class="content">
  <h1>Графики</h1>
  <div class="chart-grid">
    {% for name, spec in specs %}
      <section class="card" data-testid="{{ name }}">
        <h2 class="card-title">{{ spec.title }}</h2>
        {% chart spec %}
      </section>
    {% endfor %}
    <section class="card">
      <button type="button" class="btn small" hx-get="/charts/more/" hx-target="#swapped">Ещё</button>
      <button type="button" class="btn small" hx-get="/charts/more/" hx-target="#swapped"
              hx-push-url="/charts/?more=1">Ещё, с адресом</button>
      <div id="swapped"></div>
    </section>
  </div>
</main>
</body>
</html>"""
)

FRAGMENT = Template("{% load charts %}{% chart spec %}")

_swaps = count(1)


def charts_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE.render(Context({"specs": list(SPECS.items())})))


def charts_more(request: HttpRequest) -> HttpResponse:
    spec = {
        "kind": "bar",
        "title": f"Подгружено htmx №{next(_swaps)}",
        "labels": ["Пн", "Вт", "Ср", "Чт", "Пт"],
        "series": [{"name": "Обращения", "data": [3, 5, 4, 6, 2]}],
        "unit": "min",
        "height": 200,
    }
    return HttpResponse(FRAGMENT.render(Context({"spec": spec})))


urlpatterns = [
    path("charts/", charts_page),
    path("charts/more/", charts_more),
]
