"""factory_boy factories for volume; story fixtures live in conftest.py."""

from __future__ import annotations

import factory

from opora.accounts.models import Team, User

TEST_PASSWORD = "correct-horse-42"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Команда {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Sequence(lambda n: f"Сотрудник {n}")
    role = User.Role.OPERATOR
    language = User.Language.RU
    password = factory.django.Password(TEST_PASSWORD)
