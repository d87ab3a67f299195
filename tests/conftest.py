"""Story fixtures: the people every view test is told from.

An administrator, a head of support, a team lead with an operator in their
team, an operator from another team, an analyst and a viewer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from opora.accounts.models import Team, User
from tests.factories import TEST_PASSWORD, TeamFactory, UserFactory


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    """Uploaded files of a test land in its own temporary directory."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def first_line(db: None) -> Team:
    return TeamFactory(name="Первая линия")


@pytest.fixture
def second_line(db: None) -> Team:
    return TeamFactory(name="Вторая линия")


@pytest.fixture
def admin_user(db: None) -> User:
    return UserFactory(email="admin@example.com", full_name="Анна Админова", role=User.Role.ADMIN)


@pytest.fixture
def head(db: None) -> User:
    return UserFactory(email="head@example.com", full_name="Дмитрий Главный", role=User.Role.HEAD)


@pytest.fixture
def lead(first_line: Team) -> User:
    user = UserFactory(
        email="lead@example.com", full_name="Елена Лидова", role=User.Role.LEAD, team=first_line
    )
    first_line.lead = user
    first_line.save()
    return user


@pytest.fixture
def operator(first_line: Team) -> User:
    return UserFactory(
        email="operator@example.com",
        full_name="Иван Операторов",
        role=User.Role.OPERATOR,
        team=first_line,
    )


@pytest.fixture
def other_operator(second_line: Team) -> User:
    return UserFactory(
        email="other@example.com",
        full_name="Пётр Другой",
        role=User.Role.OPERATOR,
        team=second_line,
    )


@pytest.fixture
def analyst(db: None) -> User:
    return UserFactory(
        email="analyst@example.com", full_name="Сергей Аналитиков", role=User.Role.ANALYST
    )


@pytest.fixture
def viewer(db: None) -> User:
    return UserFactory(
        email="viewer@example.com", full_name="Наталья Смотрова", role=User.Role.VIEWER
    )


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def admin_client(admin_user: User) -> Client:  # overrides pytest-django's superuser client
    return _client_for(admin_user)


@pytest.fixture
def head_client(head: User) -> Client:
    return _client_for(head)


@pytest.fixture
def lead_client(lead: User) -> Client:
    return _client_for(lead)


@pytest.fixture
def operator_client(operator: User) -> Client:
    return _client_for(operator)


@pytest.fixture
def viewer_client(viewer: User) -> Client:
    return _client_for(viewer)


@pytest.fixture
def analyst_client(analyst: User) -> Client:
    return _client_for(analyst)


__all__ = ["TEST_PASSWORD"]
