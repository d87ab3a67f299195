"""The durable job layer: a job is a row written in the caller's transaction."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings

from opora.accounts import services
from opora.accounts.models import User
from opora.core import tasks as core_tasks

DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}
}


@pytest.fixture
def database_jobs(settings: Settings) -> None:
    """Use the real database backend (the suite otherwise runs jobs immediately).

    django_tasks resets its backends on setting_changed, which the fixture sends.
    """
    settings.TASKS = DATABASE_TASKS


def run_worker() -> None:
    call_command(
        "db_worker", batch=True, queue_name="*", reload=False, startup_delay=False, verbosity=0
    )


class Boom(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_a_job_enqueued_in_a_rolled_back_transaction_never_runs(database_jobs: None) -> None:
    with pytest.raises(Boom), transaction.atomic():
        core_tasks.heartbeat.enqueue()
        assert DBTaskResult.objects.count() == 1
        raise Boom

    assert DBTaskResult.objects.count() == 0
    run_worker()
    assert DBTaskResult.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_job_enqueued_in_a_committed_transaction_runs_once(database_jobs: None) -> None:
    with transaction.atomic():
        core_tasks.heartbeat.enqueue()

    run_worker()
    run_worker()

    job = DBTaskResult.objects.get()
    assert job.status == TaskResultStatus.SUCCESSFUL
    assert job.finished_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_failed_invitation_leaves_no_job_and_no_email(
    database_jobs: None, admin_user: User
) -> None:
    with pytest.raises(Boom), transaction.atomic():
        services.user_invite(
            actor=admin_user, email="new@example.com", full_name="Новый Сотрудник", role="operator"
        )
        raise Boom

    run_worker()

    assert DBTaskResult.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_the_invitation_email_goes_from_the_queue_through_the_worker_to_the_inbox(
    database_jobs: None, admin_user: User, client: Client
) -> None:
    invitation = services.user_invite(
        actor=admin_user, email="new@example.com", full_name="Новый Сотрудник", role="operator"
    )
    assert mail.outbox == []  # queued, not sent inline

    run_worker()

    assert DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL
    [message] = mail.outbox
    assert message.to == ["new@example.com"]
    assert "Opora" in message.subject
    link = next(word for word in message.body.split() if "/invite/" in word)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path)
    assert response.status_code == 200
    assert invitation.email in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_job_that_raises_is_recorded_as_failed_with_its_error(
    database_jobs: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with transaction.atomic():
        services.user_invite(
            actor=None,  # type: ignore[arg-type]
            email="x@example.com",
            full_name="Икс",
            role="operator",
        )

    def broken_send(*args: object, **kwargs: object) -> None:
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("opora.accounts.tasks.send_mail", broken_send)
    run_worker()

    job = DBTaskResult.objects.get()
    assert job.status == TaskResultStatus.FAILED
    assert job.exception_class_path == "builtins.ConnectionRefusedError"
