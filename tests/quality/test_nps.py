"""NPS: the arithmetic, scheduled runs claimed once, one-click answers, the screens."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from opora.accounts.models import User
from opora.analytics.facts import company_zone
from opora.clients.models import ClientAccount, Contact
from opora.core.models import AuditEntry
from opora.quality.models import FollowUp, NpsInvitation, NpsResponse, NpsSurvey
from opora.quality.surveys import services
from opora.quality.surveys.selectors import NpsValue, nps_by_account, nps_summary, nps_trend
from opora.quality.surveys.tasks import nps_surveys_run
from tests.factories import UserFactory
from tests.quality.surveys_factories import (
    QUESTION,
    account_with_contact,
    links_in_last_email,
    nps_answers,
    survey,
)

pytestmark = pytest.mark.django_db


def ru(msgid: str) -> str:
    with translation.override("ru"):
        return gettext(msgid)


def local(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=company_zone())


# --- The arithmetic ----------------------------------------------------------------


def test_five_promoters_three_passives_two_detractors_make_30() -> None:
    nps_answers([9, 10, 9, 10, 10, 7, 8, 8, 6, 0], at=local(dt.date(2026, 3, 10)))

    value = nps_summary(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))

    assert value == NpsValue(score=30.0, responses=10, promoters=5, passives=3, detractors=2)


def test_no_answers_is_no_score() -> None:
    assert nps_summary(start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31)) == NpsValue(
        None, 0, 0, 0, 0
    )


def test_all_detractors_is_minus_100() -> None:
    nps_answers([0, 3, 6], at=local(dt.date(2026, 3, 10)))

    assert nps_summary(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31)).score == -100.0


def test_days_are_the_company_zones_and_the_end_day_counts() -> None:
    last_minute = dt.datetime.combine(dt.date(2026, 3, 31), dt.time(23, 59), tzinfo=company_zone())
    nps_answers([10], at=last_minute)
    nps_answers([0], at=last_minute + dt.timedelta(minutes=2))

    march = nps_summary(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))

    assert (march.promoters, march.detractors) == (1, 0)


def test_the_trend_lists_every_period_with_its_own_nps(
    django_assert_num_queries: Any,
) -> None:
    nps_answers([10, 10, 0], at=local(dt.date(2026, 1, 15)))
    nps_answers([7], at=local(dt.date(2026, 3, 1), hour=0))

    with django_assert_num_queries(1):
        months = nps_trend(start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31), grain="month")

    assert [(day, value.score, value.responses) for day, value in months] == [
        (dt.date(2026, 1, 1), 33.3, 3),
        (dt.date(2026, 2, 1), None, 0),
        (dt.date(2026, 3, 1), 0.0, 1),
    ]
    weeks = nps_trend(start=dt.date(2026, 1, 14), end=dt.date(2026, 1, 20), grain="week")
    assert [(day, value.responses) for day, value in weeks] == [
        (dt.date(2026, 1, 12), 3),
        (dt.date(2026, 1, 19), 0),
    ]
    days = nps_trend(start=dt.date(2026, 1, 15), end=dt.date(2026, 1, 16), grain="day")
    assert [value.responses for _day, value in days] == [3, 0]


def test_nps_by_account_in_one_query(django_assert_num_queries: Any) -> None:
    north, _c = account_with_contact("Север", "А", "a@north.ru")
    south, _c = account_with_contact("Юг", "Б", "b@south.ru")
    at = local(dt.date(2026, 2, 2))
    nps_answers([10, 10, 8], at=at, account=north)
    nps_answers([0, 9], at=at, account=south)
    nps_answers([10], at=at)  # no account: counted overall only

    with django_assert_num_queries(1):
        rows = nps_by_account(start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28))

    assert [(pk, name, value.score, value.responses) for pk, name, value in rows] == [
        (north.pk, "Север", 66.7, 3),
        (south.pk, "Юг", 0.0, 2),
    ]
    south_only = nps_summary(
        start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28), account_id=south.pk
    )
    assert south_only.responses == 2


# --- Surveys: rules and runs ----------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"question_ru": "  "}, "question_ru"),
        ({"every_months": 0}, "every_months"),
        ({"audience": NpsSurvey.Audience.CHOSEN}, "accounts"),
        ({"name": ""}, "name"),
    ],
)
def test_a_survey_needs_a_name_a_question_months_and_its_accounts(
    head: User, fields: dict[str, Any], field: str
) -> None:
    values = {"name": "Ежеквартальный", "question_ru": QUESTION, "every_months": 3, **fields}

    with pytest.raises(ValidationError) as refused:
        services.nps_survey_save(actor=head, **values)

    assert field in refused.value.message_dict
    assert not NpsSurvey.objects.exists()


def test_saving_a_survey_is_audited(head: User) -> None:
    saved = services.nps_survey_save(actor=head, name="Опрос", question_ru=QUESTION, every_months=3)

    assert saved.next_run_at is not None, "an active survey without a date runs at once"
    assert AuditEntry.objects.filter(action="quality.nps_survey.create").count() == 1


def test_a_due_survey_invites_each_contact_once_even_when_run_twice() -> None:
    _a, pavel = account_with_contact()
    _b, irina = account_with_contact("АО «Сфера»", "Ирина Белова", "belova@sfera.ru")
    Contact.objects.create(full_name="Без почты").accounts.add(_a)
    blocked = Contact.objects.create(full_name="Спам", email="spam@x.ru", is_blocked=True)
    blocked.accounts.add(_a)
    sleeping = ClientAccount.objects.create(name="Ушли", is_active=False)
    gone = Contact.objects.create(full_name="Ушедший", email="gone@x.ru")
    gone.accounts.add(sleeping)
    nps = survey()
    due = nps.next_run_at
    assert due is not None
    mail.outbox.clear()

    nps_surveys_run.call()
    nps_surveys_run.call()

    invited = NpsInvitation.objects.filter(survey=nps)
    assert sorted(invited.values_list("contact_id", flat=True)) == sorted([pavel.pk, irina.pk])
    assert set(invited.values_list("run", flat=True)) == {1}
    assert len(mail.outbox) == 2
    assert len(links_in_last_email("nps")) == 11
    nps.refresh_from_db()
    assert (nps.runs, nps.next_run_at) == (1, services.add_months(due, 3))


def test_a_second_worker_with_a_stale_read_claims_nothing() -> None:
    account_with_contact()
    nps = survey()
    due = nps.next_run_at
    assert due is not None

    first = services.nps_survey_run(survey_id=nps.pk, due_at=due)
    second = services.nps_survey_run(survey_id=nps.pk, due_at=due)

    assert first is not None and len(first) == 1
    assert second is None
    assert NpsInvitation.objects.count() == 1


def test_a_crash_while_inviting_undoes_the_claim(monkeypatch: pytest.MonkeyPatch) -> None:
    account_with_contact()
    nps = survey()
    due = nps.next_run_at

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("SMTP queue down")

    monkeypatch.setattr(services, "_nps_email_queue", broken)
    with pytest.raises(RuntimeError):
        services.nps_survey_run(survey_id=nps.pk, due_at=due)  # type: ignore[arg-type]

    nps.refresh_from_db()
    assert (nps.next_run_at, nps.runs) == (due, 0)
    assert not NpsInvitation.objects.exists()


def test_the_cool_down_skips_contacts_asked_lately_by_any_survey() -> None:
    _a, pavel = account_with_contact()
    earlier = survey(name="Другой опрос", is_active=False)
    NpsInvitation.objects.create(
        survey=earlier,
        run=1,
        contact=pavel,
        token=services.token_new(),
        sent_at=timezone.now() - dt.timedelta(days=59),
    )
    nps = survey()

    assert services.nps_survey_run(survey_id=nps.pk, due_at=nps.next_run_at) == []  # type: ignore[arg-type]


def test_chosen_accounts_limit_the_audience() -> None:
    north, pavel = account_with_contact()
    account_with_contact("АО «Сфера»", "Ирина Белова", "belova@sfera.ru")
    nps = survey(audience=NpsSurvey.Audience.CHOSEN)
    nps.accounts.add(north)

    invited = services.nps_survey_run(survey_id=nps.pk, due_at=nps.next_run_at)  # type: ignore[arg-type]

    assert [(i.contact_id, i.account_id) for i in invited or []] == [(pavel.pk, north.pk)]


def test_add_months_keeps_the_day_or_takes_the_last() -> None:
    at = dt.datetime(2026, 11, 30, 10, tzinfo=dt.UTC)
    assert services.add_months(at, 3) == dt.datetime(2027, 2, 28, 10, tzinfo=dt.UTC)
    assert services.add_months(at, 1) == dt.datetime(2026, 12, 30, 10, tzinfo=dt.UTC)


# --- Answering ---------------------------------------------------------------------------


@pytest.fixture
def invitation(head: User) -> NpsInvitation:
    account, contact = account_with_contact()
    account.backup_curator = UserFactory(role=User.Role.LEAD, email="curator@example.com")
    account.save()
    nps = survey()
    services.nps_survey_run(survey_id=nps.pk, due_at=nps.next_run_at)  # type: ignore[arg-type]
    return NpsInvitation.objects.get()


def test_one_click_answers_nps_and_a_detractor_is_followed_up(
    invitation: NpsInvitation, client: Client
) -> None:
    url = f"/quality/nps/{invitation.token}/4/"
    page = client.get(url)
    assert page.status_code == 200
    assert QUESTION in page.content.decode()
    assert not NpsResponse.objects.exists()

    answer = client.post(url)
    client.post(f"/quality/nps/{invitation.token}/", {"comment": "Долго отвечаете"})

    assert answer.status_code == 302
    response = NpsResponse.objects.get()
    assert (response.score, response.contact, response.account) == (
        4,
        invitation.contact,
        invitation.account,
    )
    assert response.comment == "Долго отвечаете"
    invitation.refresh_from_db()
    assert invitation.answered_at is not None
    follow_up = FollowUp.objects.get()
    assert (follow_up.kind, follow_up.nps, follow_up.score) == ("nps", response, 4)
    assert follow_up.assignee is not None and follow_up.assignee.email == "curator@example.com"
    assert follow_up.comment == "Долго отвечаете"


def test_a_promoter_needs_no_follow_up_and_a_second_answer_changes_nothing(
    invitation: NpsInvitation, client: Client
) -> None:
    client.post(f"/quality/nps/{invitation.token}/10/")

    again = client.post(f"/quality/nps/{invitation.token}/0/")

    assert ru("You have already answered this survey.") in again.content.decode()
    assert NpsResponse.objects.get().score == 10
    assert not FollowUp.objects.exists()


@pytest.mark.parametrize("path", ["/quality/nps/{token}/11/", "/quality/nps/nope/5/"])
def test_a_bad_score_or_token_is_a_404(
    invitation: NpsInvitation, client: Client, path: str
) -> None:
    page = client.post(path.format(token=invitation.token))

    assert page.status_code == 404
    assert ru("The link does not work") in page.content.decode()
    assert not NpsResponse.objects.exists()


def test_the_service_refuses_a_score_out_of_range(invitation: NpsInvitation) -> None:
    with pytest.raises(ValidationError):
        services.nps_answer(token=invitation.token, score=11)

    assert not NpsResponse.objects.exists()


# --- Screens ------------------------------------------------------------------------------


def test_heads_create_a_survey_on_the_editor(head_client: Client) -> None:
    page = head_client.post(
        "/quality/surveys/new/",
        {
            "name": "NPS клиентов — ежеквартальный",
            "question_ru": QUESTION,
            "audience": "all",
            "every_months": "3",
            "cooldown_days": "60",
            "next_run_on": "2026-12-01",
            "is_active": "on",
        },
    )

    assert page.status_code == 302
    saved = NpsSurvey.objects.get()
    assert saved.every_months == 3
    assert saved.next_run_at == dt.datetime(2026, 12, 1, 10, tzinfo=company_zone())
    assert head_client.get("/quality/surveys/").status_code == 200
    editor = head_client.get(f"/quality/surveys/{saved.pk}/")
    assert editor.status_code == 200
    assert 'value="2026-12-01"' in editor.content.decode(), "the date field shows the next run"


def test_the_editor_refuses_an_empty_question_and_zero_months(head_client: Client) -> None:
    page = head_client.post(
        "/quality/surveys/new/",
        {
            "name": "Опрос",
            "question_ru": "",
            "audience": "all",
            "every_months": "0",
            "cooldown_days": "60",
        },
    )

    assert page.status_code == 400
    assert not NpsSurvey.objects.exists()


def test_send_now_invites_at_once_and_is_audited(head_client: Client) -> None:
    account_with_contact()
    nps = survey(next_run_at=timezone.now() + dt.timedelta(days=30))

    page = head_client.post(f"/quality/surveys/{nps.pk}/send/")

    assert page.status_code == 302
    assert NpsInvitation.objects.filter(survey=nps).count() == 1
    assert AuditEntry.objects.filter(action="quality.nps_survey.send_now").exists()
    nps.refresh_from_db()
    assert nps.next_run_at is not None and nps.next_run_at > timezone.now(), "schedule kept"


@pytest.mark.parametrize(
    "url", ["/quality/surveys/", "/quality/surveys/new/", "/quality/surveys/{pk}/"]
)
def test_leads_and_operators_may_not_edit_surveys(
    lead_client: Client, operator_client: Client, url: str
) -> None:
    nps = survey()
    for client in (lead_client, operator_client):
        assert client.get(url.format(pk=nps.pk)).status_code == 403
    assert lead_client.post(f"/quality/surveys/{nps.pk}/send/").status_code == 403
    assert not NpsInvitation.objects.exists()


def test_an_unknown_survey_is_a_404(head_client: Client) -> None:
    assert head_client.get("/quality/surveys/999/").status_code == 404
    assert head_client.post("/quality/surveys/999/send/").status_code == 404


def test_results_for_leads_and_account_managers_not_operators(
    lead_client: Client, operator_client: Client, client: Client, django_assert_max_num_queries: Any
) -> None:
    north, _c = account_with_contact("Север", "А", "a@north.ru")
    nps_answers([10, 9, 0], account=north)
    manager = UserFactory(role=User.Role.ACCOUNT_MANAGER)
    client.force_login(manager, backend="django.contrib.auth.backends.ModelBackend")

    with django_assert_max_num_queries(12):
        page = lead_client.get("/quality/nps/results/?sort=nps")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="nps-score">33<' in html
    assert "Север" in html
    assert client.get("/quality/nps/results/").status_code == 200
    assert operator_client.get("/quality/nps/results/").status_code == 403


# --- Demo ---------------------------------------------------------------------------------


def test_the_demo_has_a_quarterly_survey_follow_ups_and_a_csat_link(client: Client) -> None:
    from django.core.management import call_command

    from opora.quality.surveys.demo import SURVEY_NAME, demo_csat_link, seed_surveys

    call_command("seed_demo", "--history=400", stdout=io.StringIO())
    counts = (NpsResponse.objects.count(), FollowUp.objects.count(), NpsInvitation.objects.count())
    seed_surveys()

    assert (
        NpsResponse.objects.count(),
        FollowUp.objects.count(),
        NpsInvitation.objects.count(),
    ) == counts
    nps = NpsSurvey.objects.get(name=SURVEY_NAME)
    assert nps.every_months == 3 and nps.runs == 2
    assert 40 <= counts[0] <= 60
    today = timezone.localdate()
    value = nps_summary(start=today - dt.timedelta(days=200), end=today)
    assert value.score is not None and 40 <= value.score <= 60
    nps_follow_ups = FollowUp.objects.filter(kind="nps")
    assert nps_follow_ups.filter(status="open", assignee__role=User.Role.LEAD).count() >= 2
    assert nps_follow_ups.filter(status="done").count() == 1
    assert FollowUp.objects.filter(kind="csat").exists()
    link = demo_csat_link()
    assert link == demo_csat_link()
    page = client.get(link)
    assert page.status_code == 200
    assert link + "5/" in page.content.decode()
