"""Dashboards: who may see them, constant query counts, exports, filters and bad input."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from opora.accounts.models import Team, User
from opora.analytics.rollups import rollups_refresh
from opora.clients.models import ClientAccount, Contact
from opora.tickets import services as tickets
from opora.tickets.models import Category, ResolutionCode, Ticket, TicketType

pytestmark = pytest.mark.django_db
BOARDS = ("operations", "traffic", "team", "quality", "reasons")


def work(count: int, operator: User, team: Team) -> None:
    """`count` tickets over the last days: answered, most resolved."""
    account = ClientAccount.objects.get_or_create(name="ООО «Вектор»")[0]
    contact = Contact.objects.get_or_create(
        email="irina@vector.ru", defaults={"full_name": "Ирина"}
    )[0]
    contact.accounts.add(account)
    category = Category.objects.get_or_create(name=f"Кассы {count}")[0]
    resolution = ResolutionCode.objects.get_or_create(name="Ошибка исправлена")[0]
    # Browser tests flush the database: the shipped types may need making again.
    types = [
        TicketType.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in (("standard", "Стандартное"), ("consultation", "Консультация"))
    ]
    now = timezone.now()
    for i in range(count):
        created = now - dt.timedelta(days=1 + i % 20, hours=i % 7)
        with time_machine.travel(created, tick=False):
            ticket = tickets.ticket_create(
                subject=f"Вопрос {i}",
                body="Текст",
                channel=["email", "portal", "telegram"][i % 3],
                type=types[i % len(types)],
                requester=contact,
                category=category,
                team=team,
                assignee=operator,
            )
        with time_machine.travel(created + dt.timedelta(minutes=30 + i), tick=False):
            tickets.ticket_reply(ticket=ticket, author=operator, body="Ответ")
        if i % 4:
            Ticket.objects.filter(pk=ticket.pk).update(resolution=resolution)
            with time_machine.travel(created + dt.timedelta(hours=3), tick=False):
                tickets.ticket_update(
                    ticket=Ticket.objects.get(pk=ticket.pk), actor=operator, status="resolved"
                )
    rollups_refresh()


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(captured)


@pytest.mark.parametrize("board", BOARDS)
def test_each_dashboard_takes_the_same_number_of_queries_for_more_data(
    board: str, head_client: Client, operator: User, first_line: Team
) -> None:
    work(3, operator, first_line)
    url = f"/analytics/{board}/?period=90"
    few = queries(head_client, url)
    work(12, operator, first_line)
    assert queries(head_client, url) == few
    assert few <= 40


@pytest.mark.parametrize("board", BOARDS)
def test_dashboards_render_in_russian_with_the_numbers(
    board: str, head_client: Client, operator: User, first_line: Team
) -> None:
    work(6, operator, first_line)
    response = head_client.get(f"/analytics/{board}/", HTTP_ACCEPT_LANGUAGE="ru")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Аналитика" in html
    assert 'data-chart="' in html or board == "team"


def test_the_traffic_cards_show_the_periods_numbers(
    head_client: Client, operator: User, first_line: Team
) -> None:
    work(8, operator, first_line)
    response = head_client.get("/analytics/traffic/?period=30")
    intake, resolved = response.context["data"]["cards"][:2]
    assert (intake.value, intake.previous, resolved.value) == (8, 0, 6)
    assert "Поступило" in response.content.decode()


@pytest.mark.parametrize("board", BOARDS)
def test_operators_may_not_see_analytics_but_analysts_and_viewers_may(
    board: str, operator_client: Client, analyst_client: Client, viewer_client: Client
) -> None:
    assert operator_client.get(f"/analytics/{board}/").status_code == 403
    assert operator_client.get(f"/analytics/{board}/?export=csv").status_code == 403
    assert analyst_client.get(f"/analytics/{board}/").status_code == 200
    assert viewer_client.get(f"/analytics/{board}/").status_code == 200


def test_anonymous_people_are_sent_to_sign_in(client: Client) -> None:
    response = client.get("/analytics/traffic/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_an_unknown_dashboard_is_404(head_client: Client) -> None:
    assert head_client.get("/analytics/nothing/").status_code == 404


def test_the_team_table_exports_to_xlsx_and_csv_with_the_screens_filters(
    head_client: Client, operator: User, first_line: Team, second_line: Team
) -> None:
    work(5, operator, first_line)
    response = head_client.get(f"/analytics/team/?period=30&team={first_line.pk}&export=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    body = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert operator.full_name in [row[0] for row in rows[1:]]

    other = head_client.get(f"/analytics/team/?period=30&team={second_line.pk}&export=csv")
    text = b"".join(other.streaming_content).decode("utf-8-sig")  # type: ignore[union-attr]
    assert operator.full_name not in text


def test_an_unknown_export_format_is_404(head_client: Client) -> None:
    assert head_client.get("/analytics/traffic/?export=pdf").status_code == 404


def test_a_reversed_custom_period_is_refused_with_a_message_and_the_default_shown(
    head_client: Client,
) -> None:
    response = head_client.get(
        "/analytics/traffic/?period=custom&start=2026-05-10&end=2026-05-01",
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Период заканчивается раньше, чем начинается." in html
    filters = response.context["filters"]
    assert filters.days == 30


@pytest.mark.parametrize(
    "query", ["period=custom&start=2020-01-01&end=2026-01-01", "team=999999", "period=17"]
)
def test_nonsense_filters_get_a_400_not_a_crash(head_client: Client, query: str) -> None:
    assert head_client.get(f"/analytics/traffic/?{query}").status_code == 400


def test_htmx_filter_changes_get_only_the_dashboard(head_client: Client) -> None:
    response = head_client.get(
        "/analytics/quality/?period=90", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="dashboard"
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="dashboard">')
    assert "<html" not in html


def test_a_client_filter_narrows_the_numbers(
    head_client: Client, operator: User, first_line: Team, **_: Any
) -> None:
    work(4, operator, first_line)
    other = ClientAccount.objects.create(name="ООО «Другое»")
    response = head_client.get(f"/analytics/traffic/?period=30&client={other.pk}")
    assert response.context["data"]["cards"][0].value == 0
