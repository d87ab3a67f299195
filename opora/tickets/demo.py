"""The demo company's tickets, in every status, with conversations (idempotent)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from opora.accounts.models import Team, User
from opora.clients.models import Contact
from opora.sla.demo import clocks_replay
from opora.tickets import automation, services
from opora.tickets.models import (
    Category,
    CustomField,
    Macro,
    Message,
    QueueSettings,
    ResolutionCode,
    Rule,
    RuleRun,
    Ticket,
    TicketEvent,
    TicketType,
)

CATEGORIES = {
    "Доступ и учётные записи": ["Восстановление пароля", "Права пользователей"],
    "Интеграции": ["1С", "API", "Онлайн-касса"],
    "Оплата и документы": ["Счета и акты", "Возвраты"],
    "Ошибки в работе": [],
}

# subject, client message, type, priority, contact index, category, final status, reply, tags
TICKETS = [
    (
        "Не проходит оплата на сайте",
        "С 9 утра клиенты не могут оплатить заказ картой, касса возвращает ошибку 500. Теряем заказы!",
        "emergency",
        "urgent",
        4,
        "Онлайн-касса",
        "open",
        "Видим проблему, подключили вторую линию. Обновим статус в течение 15 минут.",
        ["касса", "авария"],
    ),
    (
        "Не приходит письмо для сброса пароля",
        "Добрый день! Сотрудник не может войти, письмо для сброса пароля не приходит уже час.",
        "standard",
        "normal",
        1,
        "Восстановление пароля",
        "pending",
        "Проверьте, пожалуйста, папку «Спам» и напишите, какой адрес указан в профиле сотрудника.",
        ["почта"],
    ),
    (
        "Как выгрузить акты за квартал?",
        "Подскажите, где в личном кабинете выгрузить все акты за третий квартал одним архивом?",
        "consultation",
        "low",
        3,
        "Счета и акты",
        "resolved",
        "Раздел «Документы» → фильтр по периоду → кнопка «Скачать архивом». Инструкция в базе знаний.",
        ["документы"],
    ),
    (
        "Обмен с 1С остановился",
        "Со вчерашнего вечера заказы не выгружаются в 1С. В журнале обмена ошибка авторизации.",
        "standard",
        "high",
        2,
        "1С",
        "open",
        "",
        ["1с", "интеграция"],
    ),
    (
        "Нужен доступ для нового бухгалтера",
        "Просим выдать доступ к разделу «Финансы» новому бухгалтеру, Анне Сергеевне.",
        "standard",
        "normal",
        0,
        "Права пользователей",
        "closed",
        "Доступ выдан, приглашение отправлено на почту бухгалтера.",
        [],
    ),
    (
        "Вопрос по тарифу",
        "Хотим подключить ещё 10 пользователей. Как изменится стоимость?",
        "consultation",
        "normal",
        6,
        None,
        "new",
        "",
        ["тариф"],
    ),
    (
        "Возврат за двойное списание",
        "Оплата за ноябрь списалась дважды, просим вернуть лишний платёж.",
        "standard",
        "high",
        5,
        "Возвраты",
        "resolved",
        "Возврат оформлен, деньги поступят в течение 5 рабочих дней.",
        ["возврат"],
    ),
    (
        "API возвращает 429",
        "При синхронизации каталога получаем 429 Too Many Requests. Какие у вас лимиты?",
        "consultation",
        "normal",
        2,
        "API",
        "pending",
        "Лимит — 10 запросов в секунду. Пришлите, пожалуйста, пример запроса и время ошибки.",
        ["api"],
    ),
    (
        "Отчёт по продажам пустой",
        "В отчёте по продажам за неделю нет данных, хотя заказы были.",
        "standard",
        "normal",
        0,
        "Ошибки в работе",
        "new",
        "",
        [],
    ),
    (
        "Смена юридического адреса",
        "Мы переехали. Обновите, пожалуйста, реквизиты в договоре и счетах.",
        "consultation",
        "low",
        6,
        "Счета и акты",
        "closed",
        "Реквизиты обновлены, новые документы придут с ближайшим счётом.",
        [],
    ),
    (
        "Медленно открывается каталог",
        "Каталог товаров открывается по 20–30 секунд, особенно утром.",
        "standard",
        "normal",
        4,
        "Ошибки в работе",
        "open",
        "Передали инженерам, собираем замеры. Вернёмся с результатом до конца дня.",
        ["производительность"],
    ),
    (
        "Как добавить второй склад?",
        "Подскажите, как в системе завести второй склад и разделить остатки.",
        "consultation",
        "normal",
        3,
        None,
        "new",
        "",
        [],
    ),
]


def _ensure_categories() -> dict[str, Category]:
    by_name: dict[str, Category] = {}
    for root_name, children in CATEGORIES.items():
        root, _ = Category.objects.get_or_create(name=root_name, parent=None)
        by_name[root_name] = root
        for child_name in children:
            by_name[child_name] = Category.objects.get_or_create(name=child_name, parent=root)[0]
    return by_name


MACROS = [
    (
        "Запросить подробности",
        "Здравствуйте, {{ contact.first_name }}!\n\nЧтобы разобраться быстрее, пришлите, "
        "пожалуйста, скриншот ошибки и время, когда она возникла.\n\n"
        "С уважением, {{ agent.name }}",
        "pending",
        "",
    ),
    (
        "Решено — закрываем",
        "{{ contact.first_name }}, рады, что всё получилось! Обращение {{ ticket.number }} "
        "отмечаем решённым. Если вопрос вернётся, просто ответьте на это письмо.\n\n"
        "{{ agent.name }}",
        "resolved",
        "",
    ),
    (
        "Передано инженерам",
        "{{ contact.first_name }}, передали вопрос инженерам второй линии. "
        "Вернёмся с результатом в течение рабочего дня.",
        "",
        "вторая-линия",
    ),
]


def seed_automation() -> None:
    """Shared macros, a few rules, auto-assignment on the first line, a custom field."""
    head = User.objects.get(email="head@opora.demo")
    lead = User.objects.get(email="lead@opora.demo")
    for name, body, status, tags in MACROS:
        if not Macro.objects.filter(name=name).exists():
            automation.macro_create(
                owner=head, name=name, body=body, is_shared=True, set_status=status, add_tags=tags
            )
    rules = [
        (
            "Аварии — на вторую линию",
            [{"field": "type", "op": "is", "value": "emergency"}],
            [
                {"action": "set_team", "value": "Вторая линия"},
                {"action": "notify", "value": lead.email},
            ],
        ),
        (
            "Автотег: касса",
            [{"field": "text", "op": "contains", "value": "касс"}],
            [{"action": "add_tag", "value": "касса"}],
        ),
        (
            "Ключевой клиент — высокий приоритет",
            [
                {"field": "key_client", "op": "is", "value": "да"},
                {"field": "priority", "op": "is", "value": "normal"},
            ],
            [{"action": "set_priority", "value": "high"}],
        ),
    ]
    for name, conditions, actions in rules:
        if not Rule.objects.filter(name=name).exists():
            automation.rule_create(
                actor=head, name=name, conditions=conditions, actions=actions, event="created"
            )
    for team_name, mode in (
        ("Первая линия", QueueSettings.Mode.LEAST_LOADED),
        ("Вторая линия", QueueSettings.Mode.SKILLS),
    ):
        QueueSettings.objects.get_or_create(
            team=Team.objects.get(name=team_name), defaults={"assignment": mode}
        )
    User.objects.filter(role__in=[User.Role.OPERATOR, User.Role.LEAD]).update(
        availability=User.Availability.ONLINE
    )
    field, created = CustomField.objects.get_or_create(
        code="order_number", defaults={"label": "Номер заказа", "kind": CustomField.Kind.TEXT}
    )
    if created:
        field.categories.set(
            Category.objects.filter(name__in=["Онлайн-касса", "Возвраты", "Счета и акты"])
        )
    onec, created = CustomField.objects.get_or_create(
        code="onec_version",
        defaults={
            "label": "Версия 1С",
            "kind": CustomField.Kind.CHOICE,
            "options": "8.3.24\n8.3.25\n8.3.26",
        },
    )
    if created:
        onec.categories.set(Category.objects.filter(name="1С"))


@transaction.atomic
def seed_tickets(contacts: list[Contact]) -> int:
    """Create the demo tickets unless they exist; returns how many tickets there are."""
    categories = _ensure_categories()
    seed_automation()
    if Ticket.objects.exists():
        return Ticket.objects.count()
    resolution = ResolutionCode.objects.order_by("position").first()
    types = {t.code: t for t in TicketType.objects.all()}
    first_line = Team.objects.get(name="Первая линия")
    second_line = Team.objects.get(name="Вторая линия")
    operators = list(User.objects.filter(role=User.Role.OPERATOR).order_by("pk"))
    now = timezone.now()
    for index, (
        subject,
        body,
        type_code,
        priority,
        contact_index,
        category,
        status,
        reply,
        tags,
    ) in enumerate(TICKETS):
        team = second_line if type_code == "emergency" or priority == "high" else first_line
        ticket = services.ticket_create(
            subject=subject,
            body=body,
            channel=[Ticket.Channel.EMAIL, Ticket.Channel.TELEGRAM, Ticket.Channel.PORTAL][
                index % 3
            ],
            type=types[type_code],
            requester=contacts[contact_index],
            priority=priority,
            category=categories.get(category) if category else None,
            team=team,
            tags=tags,
        )
        operator = operators[index % len(operators)]
        if status != Ticket.Status.NEW:
            services.ticket_update(ticket=ticket, actor=operator, assignee=operator)
        if status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
            services.ticket_update(ticket=ticket, actor=operator, resolution=resolution)
        if reply:
            next_status = {"pending": "pending", "resolved": "resolved", "closed": "resolved"}.get(
                status
            )
            services.ticket_reply(ticket=ticket, author=operator, body=reply, status=next_status)
        elif status == Ticket.Status.OPEN:
            services.ticket_reply(
                ticket=ticket,
                author=operator,
                body="Проверяю логи обмена, отпишусь в течение часа.",
                internal=True,
                status="open",
            )
        if status == Ticket.Status.CLOSED:
            services.ticket_update(ticket=ticket, actor=operator, status=Ticket.Status.CLOSED)
        # Spread the demo over the last two weeks so lists and ages look real.
        age = dt.timedelta(hours=6 + index * 26)
        start = now - age
        first_response = None
        for step, message in enumerate(ticket.messages.order_by("pk")):
            at = start + dt.timedelta(minutes=25 * step)
            Message.objects.filter(pk=message.pk).update(created_at=at)
            if message.kind == Message.Kind.REPLY and first_response is None:
                first_response = at
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=start,
            updated_at=now - age / 3,
            first_responded_at=first_response,
        )
        TicketEvent.objects.filter(ticket=ticket).update(created_at=now - age)
        RuleRun.objects.filter(ticket=ticket).update(created_at=now - age)
        ticket.refresh_from_db()
        clocks_replay(ticket)
    return Ticket.objects.count()
