"""The demo company's staff and teams (idempotent: re-running changes nothing)."""

from __future__ import annotations

from django.db import transaction

from opora.accounts.models import Team, User

DEMO_PASSWORD = "opora-demo"  # noqa: S105 -- printed on purpose for the demo

TEAMS = [
    ("Первая линия", "Приём и решение типовых обращений, консультации."),
    ("Вторая линия", "Сложные и экстренные обращения, эскалации в разработку."),
    ("Сопровождение клиентов", "Менеджеры отдела сопровождения: ведение и курирование клиентов."),
]

# email, full name, role, team index or None
STAFF = [
    ("admin@opora.demo", "Анна Смирнова", User.Role.ADMIN, None),
    ("head@opora.demo", "Дмитрий Орлов", User.Role.HEAD, None),
    ("lead@opora.demo", "Елена Кузнецова", User.Role.LEAD, 0),
    ("operator@opora.demo", "Иван Петров", User.Role.OPERATOR, 0),
    ("sokolova@opora.demo", "Мария Соколова", User.Role.OPERATOR, 0),
    ("lebedev@opora.demo", "Алексей Лебедев", User.Role.OPERATOR, 1),
    ("manager@opora.demo", "Ольга Васильева", User.Role.ACCOUNT_MANAGER, 2),
    ("analyst@opora.demo", "Сергей Волков", User.Role.ANALYST, None),
    ("viewer@opora.demo", "Наталья Морозова", User.Role.VIEWER, None),
]


@transaction.atomic
def seed_accounts() -> list[tuple[str, str, str]]:
    """Create the demo teams and staff; returns (email, name, role label) for the banner."""
    teams = []
    for name, description in TEAMS:
        team, _ = Team.objects.get_or_create(name=name, defaults={"description": description})
        teams.append(team)
    logins = []
    for email, full_name, role, team_index in STAFF:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email,
                DEMO_PASSWORD,
                full_name=full_name,
                role=role,
                team=teams[team_index] if team_index is not None else None,
            )
        logins.append((email, full_name, str(User.Role(role).label)))
    leads = {0: "lead@opora.demo", 1: "lead@opora.demo"}
    for index, email in leads.items():
        if teams[index].lead_id is None:
            teams[index].lead = User.objects.get(email=email)
            teams[index].save(update_fields=["lead"])
    return logins
