from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from opora.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db


def test_seed_bench_adds_tickets_with_messages_and_history_without_number_clashes(
    operator_client: Client, ticket: Ticket
) -> None:
    call_command("seed_bench", tickets=120, clients=10, stdout=io.StringIO())

    assert Ticket.objects.count() == 121
    assert Message.objects.filter(kind="client").count() == 121
    numbers = list(Ticket.objects.values_list("number", flat=True))
    assert len(set(numbers)) == len(numbers)
    assert operator_client.get("/tickets/", {"status": "all"}).status_code == 200


def test_seed_bench_refuses_a_non_positive_count() -> None:
    with pytest.raises(Exception, match="at least 1"):
        call_command("seed_bench", tickets=0, stdout=io.StringIO())
