"""Numbers on the dashboards: durations and percentages, «—» where there is nothing to show."""

from __future__ import annotations

from django import template
from django.utils import formats

from opora.sla.services import duration

register = template.Library()


@register.filter
def duration_or_dash(seconds: float | None) -> str:
    return "—" if seconds is None else duration(seconds)


@register.filter
def percent_or_dash(value: float | None) -> str:
    return "—" if value is None else f"{formats.number_format(value, 1)}%"
