"""Resolution codes every support department starts with; editable afterwards."""

from django.db import migrations

CODES = [
    ("Консультация дана", "Advice given", 1),
    ("Ошибка исправлена", "Bug fixed", 2),
    ("Настройка выполнена", "Configuration done", 3),
    ("Передано в разработку", "Passed to development", 4),
    ("Не воспроизводится", "Cannot reproduce", 5),
    ("Дубликат", "Duplicate", 6),
    ("Клиент не ответил", "No reply from the client", 7),
]


def fill_resolution_codes(apps, schema_editor):
    ResolutionCode = apps.get_model("tickets", "ResolutionCode")
    for name, name_en, position in CODES:
        ResolutionCode.objects.get_or_create(
            name=name, defaults={"name_en": name_en, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0003_workflow_automation_assignment")]

    operations = [migrations.RunPython(fill_resolution_codes, migrations.RunPython.noop)]
