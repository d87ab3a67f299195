"""Time zones a person can pick: Russia's first (by UTC offset), then the rest."""

from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

RUSSIAN_TIME_ZONES = [
    ("Europe/Kaliningrad", pgettext_lazy("time zone", "Kaliningrad (UTC+2)")),
    ("Europe/Moscow", pgettext_lazy("time zone", "Moscow (UTC+3)")),
    ("Europe/Samara", pgettext_lazy("time zone", "Samara (UTC+4)")),
    ("Asia/Yekaterinburg", pgettext_lazy("time zone", "Yekaterinburg (UTC+5)")),
    ("Asia/Omsk", pgettext_lazy("time zone", "Omsk (UTC+6)")),
    ("Asia/Novosibirsk", pgettext_lazy("time zone", "Novosibirsk (UTC+7)")),
    ("Asia/Krasnoyarsk", pgettext_lazy("time zone", "Krasnoyarsk (UTC+7)")),
    ("Asia/Irkutsk", pgettext_lazy("time zone", "Irkutsk (UTC+8)")),
    ("Asia/Yakutsk", pgettext_lazy("time zone", "Yakutsk (UTC+9)")),
    ("Asia/Vladivostok", pgettext_lazy("time zone", "Vladivostok (UTC+10)")),
    ("Asia/Magadan", pgettext_lazy("time zone", "Magadan (UTC+11)")),
    ("Asia/Kamchatka", pgettext_lazy("time zone", "Kamchatka (UTC+12)")),
]


def time_zone_choices() -> list[tuple[str, str]]:
    """Choices for a form field; built per call so labels follow the active language."""
    russian = {name for name, _label in RUSSIAN_TIME_ZONES}
    others = sorted(z for z in zoneinfo.available_timezones() if z not in russian and "/" in z)
    return [(name, str(label)) for name, label in RUSSIAN_TIME_ZONES] + [
        ("UTC", "UTC"),
        *((z, z.replace("_", " ")) for z in others),
    ]


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone: %(value)s"), params={"value": value})
