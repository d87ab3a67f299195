from typing import Any

from django.db import migrations, models
from django.db.models import Count


def count_past_reopens(apps: Any, schema_editor: Any) -> None:
    """Until now a client's reply reopening a resolved ticket left a «reopened» event."""
    Ticket = apps.get_model("tickets", "Ticket")
    TicketEvent = apps.get_model("tickets", "TicketEvent")
    counts = (
        TicketEvent.objects.filter(field="reopened")
        .values("ticket_id")
        .annotate(n=Count("id"))
        .values_list("ticket_id", "n")
    )
    for ticket_id, n in counts.iterator():
        Ticket.objects.filter(pk=ticket_id).update(reopened_count=min(n, 32767))


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0006_ticket_sla_breached_ticket_sla_due_at_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="reopened_count",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="reopened"),
        ),
        migrations.RunPython(count_past_reopens, migrations.RunPython.noop),
    ]
