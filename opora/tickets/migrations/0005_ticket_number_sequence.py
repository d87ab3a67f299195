"""On PostgreSQL, ticket numbers come from a sequence (see opora/core/sequences.py).

Created here rather than on first use, so it never appears inside (and
disappears with) a rolled-back request transaction.
"""

from django.db import migrations

TICKET_NUMBER_START = 10001


def create_sequence(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    Counter = apps.get_model("core", "Counter")
    Ticket = apps.get_model("tickets", "Ticket")
    counted = Counter.objects.filter(name="ticket").values_list("value", flat=True).first() or 0
    numbered = Ticket.objects.order_by("-number").values_list("number", flat=True).first() or 0
    first = max(TICKET_NUMBER_START, counted + 1, numbered + 1)
    schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS opora_seq_ticket START WITH {int(first)}")


def drop_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP SEQUENCE IF EXISTS opora_seq_ticket")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0004_fill_resolution_codes"), ("core", "0002_counter")]

    operations = [migrations.RunPython(create_sequence, drop_sequence)]
