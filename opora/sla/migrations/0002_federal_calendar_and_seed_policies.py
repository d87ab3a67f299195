"""The federal Russian production calendar (decrees 2024–2027) and the seeds' SLA policies.

Seed 001: emergency — first contact in 15 minutes (24×7), resolution in
4 business hours; standard — 24 business hours, at most 5 calendar days;
consultation — 48 business hours, at most 5 calendar days.
"""

from typing import Any

from django.db import migrations

FEDERAL = "Производственный календарь РФ"
POLICIES = [
    # name, ticket type code, [(target, minutes, clock, cap days)]
    ("Экстренные", "emergency", [("first_response", 15, "24x7", None), ("resolution", 240, "business", None)]),
    ("Стандартные", "standard", [("resolution", 24 * 60, "business", 5)]),
    ("Консультации", "consultation", [("resolution", 48 * 60, "business", 5)]),
]


def install(apps: Any, schema_editor: Any) -> None:
    from opora.sla.shipped import shipped_years

    Calendar = apps.get_model("sla", "Calendar")
    CalendarException = apps.get_model("sla", "CalendarException")
    CalendarYear = apps.get_model("sla", "CalendarYear")
    Policy = apps.get_model("sla", "Policy")
    Target = apps.get_model("sla", "Target")
    TicketType = apps.get_model("tickets", "TicketType")

    federal, _ = Calendar.objects.get_or_create(
        name=FEDERAL,
        defaults={
            "country": "RU",
            "time_zone": "Europe/Moscow",
            "week": [[["09:00", "18:00"]]] * 5 + [[], []],
            "is_default": True,
        },
    )
    for year, days in shipped_years("RU").items():
        CalendarYear.objects.update_or_create(
            calendar=federal,
            year=year,
            defaults={"is_provisional": False, "source": "Постановление Правительства РФ"},
        )
        for day in days:
            CalendarException.objects.update_or_create(
                calendar=federal,
                date=day.date,
                defaults={
                    "kind": day.kind,
                    "shorter_by_minutes": day.shorter_by_minutes or 60,
                    "source": "decree",
                    "note": day.note[:200],
                },
            )
    for position, (name, type_code, targets) in enumerate(POLICIES):
        ticket_type = TicketType.objects.filter(code=type_code).first()
        if ticket_type is None or Policy.objects.filter(name=name).exists():
            continue
        policy = Policy.objects.create(name=name, position=position)
        policy.ticket_types.add(ticket_type)
        for kind, minutes, clock, cap_days in targets:
            Target.objects.create(
                policy=policy, kind=kind, minutes=minutes, clock=clock, cap_days=cap_days
            )


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0001_initial"),
        ("tickets", "0006_ticket_sla_breached_ticket_sla_due_at_and_more"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
