"""The monthly KPI report and the weekly team report: page, PDF, commentary, the mailing."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from django.test import Client
from pypdf import PdfReader

from opora.accounts.models import Team, User
from opora.analytics import reports
from opora.analytics.facts import company_today
from opora.analytics.models import ReportDelivery, ReportNote
from opora.core.audit import AuditEntry
from tests.analytics.test_views import work

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_monthly_report_shows_goals_and_results_for_last_month(
    head_client: Client, operator: User, first_line: Team
) -> None:
    work(10, operator, first_line)
    response = head_client.get("/analytics/reports/monthly/", HTTP_ACCEPT_LANGUAGE="ru")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Отчёт о KPI поддержки" in html
    assert "Цели и результаты" in html
    report = response.context["report"]
    assert report["filters"].start == reports.last_complete(reports.MONTHLY)


def test_the_monthly_report_downloads_as_a_russian_pdf(head_client: Client) -> None:
    response = head_client.get(
        "/analytics/reports/monthly/?start=2026-10-05&format=pdf", HTTP_ACCEPT_LANGUAGE="ru"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Отчёт о KPI поддержки: Октябрь 2026" in text
    assert "В рамках SLA" in text


def test_a_head_writes_the_commentary_and_it_is_audited(head_client: Client, head: User) -> None:
    response = head_client.post(
        "/analytics/reports/monthly/",
        {"start": "2026-10-01", "text": "SLA просел из-за аварии 14 октября."},
    )
    assert response.status_code == 302
    note = ReportNote.objects.get()
    assert (note.kind, note.period_start, note.author) == ("monthly", dt.date(2026, 10, 1), head)
    assert AuditEntry.objects.filter(action="analytics.report_note").exists()
    page = head_client.get("/analytics/reports/monthly/?start=2026-10-20")
    assert "SLA просел из-за аварии" in page.content.decode()


def test_viewers_read_reports_but_may_not_comment_and_operators_see_nothing(
    viewer_client: Client, operator_client: Client
) -> None:
    assert viewer_client.get("/analytics/reports/weekly/").status_code == 200
    refused = viewer_client.post("/analytics/reports/weekly/", {"text": "x"})
    assert refused.status_code == 403
    assert not ReportNote.objects.exists()
    assert operator_client.get("/analytics/reports/monthly/").status_code == 403
    assert operator_client.get("/analytics/reports/monthly/?format=pdf").status_code == 403


def test_a_nonsense_period_shows_the_last_finished_one(head_client: Client) -> None:
    response = head_client.get("/analytics/reports/weekly/?start=not-a-date")
    assert response.status_code == 200
    assert response.context["report"]["filters"].start == reports.last_complete(reports.WEEKLY)
    assert head_client.get("/analytics/reports/yearly/").status_code == 404


def test_the_weekly_report_lists_the_operators(
    lead_client: Client, operator: User, first_line: Team
) -> None:
    work(6, operator, first_line)
    today = company_today()
    response = lead_client.get(f"/analytics/reports/weekly/?start={today - dt.timedelta(days=7)}")
    assert response.status_code == 200
    assert operator.full_name in response.content.decode()


def test_the_monthly_report_is_mailed_once_with_the_pdf(
    head: User, lead: User, mailoutbox: list[Any]
) -> None:
    with time_machine.travel(dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        assert reports.report_send(reports.MONTHLY).endswith("sent to 1")
        assert reports.report_send(reports.MONTHLY).endswith("already sent")
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [head.email]
    name, data, kind = message.attachments[0]
    assert (name, kind) == ("opora-monthly-2026-10-01.pdf", "application/pdf")
    assert data.startswith(b"%PDF")
    assert ReportDelivery.objects.get().period_start == dt.date(2026, 10, 1)


def test_a_failed_mailing_is_tried_again(
    head: User, mailoutbox: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(report: Any) -> bytes:
        raise OSError("disk full")

    monkeypatch.setattr(reports, "report_pdf", broken)
    with pytest.raises(OSError, match="disk full"):
        reports.report_send(reports.WEEKLY)
    assert not ReportDelivery.objects.exists()
    monkeypatch.undo()
    assert "sent to" in reports.report_send(reports.WEEKLY)
