"""The three ticket types of the seeds, with their load weights (emergency counts triple)."""

from django.db import migrations

TYPES = [
    ("emergency", "Экстренное", "Emergency", 1, 3),
    ("standard", "Стандартное", "Standard", 2, 2),
    ("consultation", "Консультация", "Consultation", 3, 1),
]


def fill_ticket_types(apps, schema_editor):
    TicketType = apps.get_model("tickets", "TicketType")
    for code, name, name_en, position, weight in TYPES:
        TicketType.objects.get_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "position": position, "load_weight": weight},
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunPython(fill_ticket_types, migrations.RunPython.noop)]
