"""The demo company's knowledge base: sections with owners, articles, scripts, history."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from opora.accounts.models import User
from opora.knowledge.models import Article, Section
from opora.knowledge.services import (
    Text,
    article_create,
    article_publish,
    article_submit,
    article_ticket_link,
    article_update,
    section_create,
)

# name, owner, backup owner, public, description
SECTIONS = [
    (
        "Работа с заявками",
        "lead@opora.demo",
        "sokolova@opora.demo",
        True,
        "Как принимать, вести и закрывать заявки клиентов.",
    ),
    (
        "SLA и приоритеты",
        "head@opora.demo",
        "lead@opora.demo",
        True,
        "Сроки ответа и решения, приоритеты, производственный календарь.",
    ),
    (
        "Эскалации и инциденты",
        "lead@opora.demo",
        "lebedev@opora.demo",
        False,
        "Вторая линия, разработка, коммуникация при авариях.",
    ),
    (
        "Биллинг и документы",
        "manager@opora.demo",
        "head@opora.demo",
        True,
        "Счета, акты, закрывающие документы, смена реквизитов.",
    ),
    (
        "Интеграции и API",
        "lebedev@opora.demo",
        "lead@opora.demo",
        True,
        "Токены API, вебхуки, типовые ошибки интеграций.",
    ),
    (
        "Скрипты ответов",
        "lead@opora.demo",
        "sokolova@opora.demo",
        False,
        "Шаблоны ответов для композера и макросов.",
    ),
]

# section index, title, body, English (title, body) or None, public, state
# state: published | review | draft | overdue | edited (published, then a second version)
ARTICLES: list[tuple[int, str, str, tuple[str, str] | None, bool, str]] = [
    (
        0,
        "Как сбросить пароль пользователя",
        "## Когда нужно\n\nКлиент не может войти: забыл пароль или учётная запись заблокирована после нескольких попыток.\n\n## Что сделать\n\n1. Убедитесь, что пишет владелец учётной записи: сверьте email с карточкой контакта.\n2. Отправьте ссылку на сброс из карточки пользователя: **Действия → Сбросить пароль**.\n3. Ссылка действует 24 часа. Если письмо не пришло — проверьте папку «Спам».\n\n> Никогда не называйте пароль в переписке и не просите клиента прислать его.",
        (
            "How to reset a user's password",
            "## When\n\nThe client cannot sign in.\n\n## Steps\n\n1. Check the email matches the contact card.\n2. Send the reset link: **Actions → Reset password**.\n3. The link is valid for 24 hours.",
        ),
        True,
        "edited",
    ),
    (
        0,
        "Жизненный цикл заявки: статусы",
        "Каждая заявка проходит статусы **Новая → В работе → Ожидает клиента → Решена → Закрыта**.\n\n- «Ожидает клиента» останавливает часы SLA.\n- Решённая заявка закрывается автоматически через 3 рабочих дня, если клиент не ответил.\n- Ответ клиента на решённую заявку открывает её снова.",
        None,
        True,
        "published",
    ),
    (
        0,
        "Как объединить и разделить заявки",
        "Если клиент написал дважды об одном и том же, объедините заявки: **Объединить или пометить спамом → Объединить с**. Сообщения переедут в основную заявку.\n\nЕсли в одной заявке два разных вопроса — нажмите «Отделить» у сообщения, и оно станет новой заявкой.",
        None,
        False,
        "overdue",
    ),
    (
        0,
        "Повторные обращения клиента",
        "Заявка помечается как **повторное обращение**, если тот же клиент писал о той же категории за последние 7 дней. Такие заявки стоит передавать тому же оператору и проверять, решена ли причина.",
        None,
        False,
        "published",
    ),
    (
        1,
        "SLA и приоритеты: сроки ответа",
        "| Приоритет | Первый ответ | Решение |\n|---|---|---|\n| Критический | 30 минут | 4 часа |\n| Высокий | 2 часа | 1 рабочий день |\n| Обычный | 4 часа | 3 рабочих дня |\n| Низкий | 1 рабочий день | 5 рабочих дней |\n\nСроки считаются в рабочем времени по производственному календарю.",
        (
            "SLA and priorities: response times",
            "| Priority | First response | Resolution |\n|---|---|---|\n| Critical | 30 min | 4 h |\n| High | 2 h | 1 business day |\n| Normal | 4 h | 3 business days |\n| Low | 1 business day | 5 business days |",
        ),
        True,
        "edited",
    ),
    (
        1,
        "Как выбрать приоритет заявки",
        "**Критический** — сервис недоступен для всех пользователей клиента.\n\n**Высокий** — не работает ключевая функция, обходного пути нет.\n\n**Обычный** — ошибка с обходным путём, вопрос по настройке.\n\n**Низкий** — пожелание, консультация.",
        None,
        True,
        "overdue",
    ),
    (
        1,
        "Что делать при нарушении SLA",
        "Если срок нарушен, руководитель очереди получает уведомление, а приоритет заявки повышается. Напишите клиенту честно: что происходит и когда будет следующий ответ. Не обещайте сроков, которые не контролируете.",
        None,
        False,
        "review",
    ),
    (
        2,
        "Эскалация на вторую линию",
        "Передавайте заявку на вторую линию, если:\n\n- нужна диагностика на серверах клиента или в логах;\n- ошибка воспроизводится, но причина неясна;\n- прошло больше 2 часов работы без результата.\n\nВ заявке оставьте внутреннюю заметку: что проверили, шаги воспроизведения, скриншоты.",
        None,
        False,
        "published",
    ),
    (
        2,
        "Коммуникация при инциденте",
        "## Первые 15 минут\n\n1. Дежурный публикует статус на странице статуса.\n2. Всем новым заявкам по теме ставится тег `инцидент`.\n3. Клиентам отвечаем скриптом «Известная проблема».\n\n## После восстановления\n\nРассылаем итог: что произошло, сколько длилось, что сделаем, чтобы не повторилось.",
        (
            "Incident communication",
            "## First 15 minutes\n\n1. The on-call engineer posts on the status page.\n2. Tag new tickets `incident`.\n3. Reply with the «Known issue» script.",
        ),
        False,
        "published",
    ),
    (
        3,
        "Счета и закрывающие документы",
        "Счета выставляются 1-го числа месяца. **Закрывающие документы** (акт и счёт-фактура) приходят в ЭДО до 5-го числа следующего месяца.\n\nЕсли клиент не получил документы — проверьте роуминг ЭДО в карточке клиента и перешлите заявку менеджеру.",
        None,
        True,
        "published",
    ),
    (
        3,
        "Смена реквизитов клиента",
        "Новые реквизиты клиент присылает письмом с подписью руководителя. Менеджер вносит изменения в карточку, новые документы формируются со следующего периода.",
        None,
        True,
        "overdue",
    ),
    (
        3,
        "Возврат оплаты",
        "Возврат возможен за неиспользованный период по заявлению клиента. Срок — до 10 рабочих дней после подписания заявления.",
        None,
        False,
        "draft",
    ),
    (
        4,
        "Токены API для интеграций",
        "Токен создаётся в **Настройки → API**. Токен показывается один раз — сохраните его сразу.\n\n```\nAuthorization: Bearer <токен>\n```\n\nЕсли токен утёк — отзовите его и создайте новый.",
        (
            "API tokens for integrations",
            "Create a token in **Settings → API**. It is shown once.\n\n```\nAuthorization: Bearer <token>\n```",
        ),
        True,
        "published",
    ),
    (
        4,
        "Ошибка 401 при вызове API",
        "Ответ 401 означает, что токен не передан, отозван или истёк. Проверьте заголовок `Authorization` и срок действия токена.",
        None,
        True,
        "published",
    ),
    (
        4,
        "Вебхуки: подписи и повторы",
        "Каждый вебхук подписан HMAC-SHA256 в заголовке `X-Opora-Signature`. При ошибке доставки мы повторяем отправку с нарастающей паузой до 24 часов.",
        None,
        False,
        "published",
    ),
]

SCRIPTS = [
    (
        "Приветствие",
        "Здравствуйте, {{ contact.first_name }}!\n\nСпасибо за обращение. Меня зовут {{ agent.name }}, я помогу разобраться с вашим вопросом.",
    ),
    (
        "Ожидание ответа клиента",
        "Чтобы продолжить, нам нужна дополнительная информация: пришлите, пожалуйста, скриншот ошибки и время, когда она возникла. Заявка будет ждать вашего ответа.",
    ),
    (
        "Закрытие заявки",
        "Рады, что удалось помочь! Если вопрос вернётся — просто ответьте на это письмо, и заявка откроется снова.\n\nХорошего дня!",
    ),
]


def _user(email: str) -> User:
    return User.objects.get(email=email)


@transaction.atomic
def seed_knowledge() -> None:
    """Idempotent: running the demo seed again adds nothing."""
    if Section.objects.exists():
        return
    sections = [
        section_create(
            actor=_user(owner),
            name=name,
            owner=_user(owner),
            backup_owner=_user(backup),
            is_public=public,
            description=description,
            position=index,
        )
        for index, (name, owner, backup, public, description) in enumerate(SECTIONS)
    ]
    head = _user("head@opora.demo")
    operator = _user("operator@opora.demo")
    today = timezone.localdate()
    for index, (section_index, title, body, english, public, state) in enumerate(ARTICLES):
        section = sections[section_index]
        texts = {"ru": Text(title=title, body=body)}
        if english:
            texts["en"] = Text(title=english[0], body=english[1])
        author = operator if state in ("review", "draft") else section.owner
        article = article_create(
            actor=author,
            section=section,
            texts=texts,
            visibility=Article.Visibility.PUBLIC if public else Article.Visibility.INTERNAL,
        )
        if state == "review":
            article_submit(actor=author, article=article)
            continue
        if state == "draft":
            continue
        article = article_publish(actor=head, article=article)
        if state == "edited":
            article = article_update(
                actor=section.owner,
                article=article,
                texts={
                    **texts,
                    "ru": Text(title=title, body=body + "\n\nОбновлено: уточнены шаги."),
                },
                note="Уточнены шаги",
            )
        if state == "overdue":
            # Published long ago and never looked at since: the queue shows it.
            Article.objects.filter(pk=article.pk).update(
                review_by=today - dt.timedelta(days=10 + index),
                published_at=timezone.now() - dt.timedelta(days=200),
                reviewed_at=timezone.now() - dt.timedelta(days=200),
            )
    for title, body in SCRIPTS:
        script = article_create(
            actor=sections[-1].owner,
            section=sections[-1],
            texts={"ru": Text(title=title, body=body)},
            kind=Article.Kind.SCRIPT,
        )
        article_publish(actor=head, article=script)
    _link_demo_tickets(operator)


def _link_demo_tickets(operator: User) -> None:
    from opora.tickets.models import Ticket

    password = Article.objects.filter(translations__title__startswith="Как сбросить").first()
    if password is None:
        return
    for ticket in Ticket.objects.order_by("number")[:2]:
        article_ticket_link(actor=operator, article=password, ticket=ticket)
