"""A believable past for the dashboards: months of tickets with replies, SLA clocks and CSAT.

`history_generate` writes tickets that look like a support department's
history: intake peaks in weekday office hours (company time) and goes quiet at
night, at weekends and on the production calendar's holidays, grows a little
over time and spikes during a couple of incidents. Each ticket lives a short
story — the client writes, an operator answers after a first-response time
that depends on the type and on working hours, sometimes asks for details
(the resolution clock pauses), sometimes escalates, resolves, now and then
gets reopened, the client sometimes rates the answer, and a few days later
the ticket closes. Its SLA clocks are computed from that same story with the
calendar's working time, so analytics measures exactly what was generated.

Everything is drawn from one seeded random generator and written batch by
batch with bulk_create, so a run is deterministic for (seed, end, database
contents) and its memory does not grow with the number of tickets. Ticket
numbers are reserved from the ticket counter in one step (as `seed_bench`
does); every written ticket is marked stale for the rollups. Only what the
analytics read is written: no ticket events, SLA clock events or deliveries.

Demo and benchmark data only: it reuses the demo company's staff, clients and
categories (creating them when missing) and adds client accounts and contacts
so that the volume is spread over believable customers.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.db import models, transaction

from opora.accounts.demo import seed_accounts
from opora.accounts.models import Team, User
from opora.analytics.facts import company_today, company_zone
from opora.analytics.rollups import tickets_stale
from opora.clients.demo import seed_clients
from opora.clients.models import ClientAccount, Contact
from opora.core.sequences import sequence_next
from opora.quality.models import CsatResponse
from opora.sla.engine import DayKind, WorkingTime
from opora.sla.models import Calendar, Clock, Policy, Target
from opora.sla.services import (
    ROUND_THE_CLOCK,
    TicketTraits,
    active_policies,
    clock_schedule,
    default_calendar_id_any,
    policy_for,
    working_time,
)
from opora.tickets.demo import CATEGORIES as DEMO_CATEGORIES
from opora.tickets.models import (
    Category,
    Message,
    ResolutionCode,
    Ticket,
    TicketLink,
    TicketSettings,
    TicketType,
)
from opora.tickets.services import TICKET_NUMBER_START

BATCH = 2000  # tickets per transaction
DAY = 86400
HOUR = 3600
MINUTE = 60
NEW, OPEN, PENDING, RESOLVED, CLOSED = (
    Ticket.Status.NEW.value,
    Ticket.Status.OPEN.value,
    Ticket.Status.PENDING.value,
    Ticket.Status.RESOLVED.value,
    Ticket.Status.CLOSED.value,
)
EMERGENCY, STANDARD, CONSULTATION = "emergency", "standard", "consultation"

# --- How the department's work looks ------------------------------------------------

# Shares of what arrives (the seeds' department: PRODUCT.md).
TYPE_SHARES = {EMERGENCY: 0.05, STANDARD: 0.60, CONSULTATION: 0.35}
CHANNEL_WEIGHTS = {"email": 45, "portal": 25, "telegram": 20, "api": 5, "phone": 5}
# Emergencies (and outages) come by phone and Telegram more than by email.
URGENT_CHANNEL_WEIGHTS = {"email": 25, "portal": 10, "telegram": 35, "api": 10, "phone": 20}
SPAM_SHARE = 0.01
REPEAT_SHARE = 0.09  # a few find no earlier ticket in the window
REOPEN_SHARE = 0.055  # a few reopen after the end of the history
ESCALATION_SHARE = {EMERGENCY: 0.12, STANDARD: 0.08, CONSULTATION: 0.02}
CSAT_SHARE = 0.30
GROWTH_PER_YEAR = 0.20  # intake grows mildly
# (one touch, asks the client for details, works on it and comes back)
PATTERNS = {
    EMERGENCY: (0.05, 0.15, 0.80),
    STANDARD: (0.38, 0.30, 0.32),
    CONSULTATION: (0.68, 0.20, 0.12),
}
# Median working time of the work after the first answer, and its spread (log-normal).
WORK = {EMERGENCY: (60 * MINUTE, 0.6), STANDARD: (5 * HOUR, 1.1), CONSULTATION: (3 * HOUR, 0.9)}
# Median business time to the first answer and its spread; emergencies are answered on
# the 24×7 clock: in working hours, and by the person on duty outside them.
FIRST_RESPONSE = {STANDARD: (35 * MINUTE, 0.9), CONSULTATION: (60 * MINUTE, 0.9)}
EMERGENCY_RESPONSE = (4 * MINUTE, 6 * MINUTE, 0.5)  # working hours, off hours, spread
OFF_HOURS_DUTY = 0.25  # share of off-hours tickets the person on duty answers right away
PRIORITIES = {
    EMERGENCY: {"urgent": 70, "high": 30},
    STANDARD: {"low": 5, "normal": 70, "high": 25},
    CONSULTATION: {"low": 45, "normal": 55},
}
# How operators differ: a multiplier on their answer and work times, by their order.
SPEEDS = (0.85, 1.0, 0.7, 1.3, 1.1, 0.9, 1.2)
# Intake by hour of the day (company time): weekdays, and quiet days.
WEEKDAY_HOURS = (
    0.6, 0.4, 0.3, 0.25, 0.25, 0.35, 0.8, 1.8, 4.0, 7.5, 9.5, 9.8,
    8.8, 8.5, 9.2, 9.0, 8.2, 7.0, 5.0, 3.4, 2.6, 2.0, 1.5, 1.0,
)  # fmt: skip
QUIET_HOURS = (
    0.6, 0.4, 0.3, 0.3, 0.3, 0.4, 0.6, 0.9, 1.3, 2.0, 2.6, 2.8,
    2.8, 2.7, 2.6, 2.5, 2.4, 2.2, 2.0, 1.8, 1.5, 1.2, 0.9, 0.7,
)  # fmt: skip
WEEKDAY_VOLUME = (1.15, 1.05, 1.0, 1.0, 0.9, 0.3, 0.24)  # Monday first
HOLIDAY_VOLUME = 0.2
NEW_YEAR_VOLUME = 0.12  # 1–2 January


@dataclass(frozen=True)
class Topic:
    """What clients write about in one category, and what support answers.

    Each case is (subject, the client's words, the answer that settles it).
    """

    cases: tuple[tuple[str, str, str], ...]
    questions: tuple[str, ...]  # what an operator asks to get on with it
    outage: tuple[str, ...] = ()  # subjects while an incident lasts
    types: tuple[float, float, float] = (0.04, 0.60, 0.36)  # emergency, standard, consultation
    weight: float = 5.0  # share of intake
    trend: float = 0.0  # change of the share per year
    fix: str = "Настройка выполнена"  # resolution code of a worked-on ticket


TOPICS: dict[str, Topic] = {
    "Восстановление пароля": Topic(
        cases=(
            (
                "Не приходит письмо для сброса пароля",
                "Сотрудник не может войти: письмо для сброса пароля не приходит уже больше часа, в спаме тоже нет.",
                "Письма задерживал ваш почтовый сервер. Добавьте, пожалуйста, адрес noreply@opora.ru в белый список — письмо уже переотправили.",
            ),
            (
                "Учётная запись заблокирована после неверного пароля",
                "После нескольких попыток ввода пароля учётную запись заблокировало. Работать не можем.",
                "Разблокировали учётную запись, войти можно прямо сейчас. Если такое повторится, блокировка снимается сама через 30 минут.",
            ),
            (
                "Ссылка для восстановления пароля не открывается",
                "Нажимаем «Забыли пароль», письмо приходит, но ссылка пишет, что устарела.",
                "Действует только последняя ссылка, и 24 часа. Отправили новую — откройте её из самого свежего письма.",
            ),
            (
                "Не приходит SMS-код для входа",
                "Не приходит SMS с кодом подтверждения при входе, номер телефона в профиле верный.",
                "Оператор связи задерживал SMS, переключили отправку на резервного провайдера. Коды приходят.",
            ),
            (
                "Сбросить пароль сотруднику",
                "Просим сбросить пароль нашему менеджеру: вернулась из отпуска и не помнит пароль.",
                "Сбросили пароль, ссылка для входа отправлена на почту сотрудника. Она действует 24 часа.",
            ),
            (
                "Не могу войти в личный кабинет",
                "Не получается войти в личный кабинет: пишет «Неверный логин или пароль», хотя пароль точно верный.",
                "В профиле был указан адрес почты с опечаткой. Поправили — вход работает.",
            ),
        ),
        questions=(
            "Подскажите, пожалуйста, логин сотрудника и адрес почты, на который должно прийти письмо.",
            "Уточните, пожалуйста, с какого устройства и браузера выполняется вход, и пришлите скриншот ошибки.",
        ),
        outage=("Не приходят SMS-коды для входа", "Никто из сотрудников не может войти"),
        types=(0.03, 0.62, 0.35),
        weight=12,
        trend=-0.3,
    ),
    "Права пользователей": Topic(
        cases=(
            (
                "Нужен доступ для нового сотрудника",
                "Просим выдать доступ к разделу «Финансы» новому бухгалтеру.",
                "Доступ выдан, приглашение отправлено сотруднику на почту.",
            ),
            (
                "Отключить доступ уволенному сотруднику",
                "У нас уволился сотрудник: нужно срочно отключить ему доступ и передать его клиентов коллеге.",
                "Доступ отключён, клиенты переданы указанному коллеге.",
            ),
            (
                "Сотрудник не видит раздел «Отчёты»",
                "Менеджер не видит раздел «Отчёты», хотя у коллеги с такой же ролью он есть.",
                "У сотрудника была ограничена роль на уровне отдела. Поправили — раздел «Отчёты» теперь виден.",
            ),
            (
                "Как настроить роль «Только просмотр»?",
                "Хотим сделать для стажёров роль, в которой можно только смотреть, без редактирования. Как это настроить?",
                "Роль создаётся в разделе «Настройки» → «Роли»: снимите отметку «Редактирование» и сохраните. Инструкция с картинками — в базе знаний.",
            ),
            (
                "Передать права администратора",
                "Администратор аккаунта уходит в декрет, нужно передать права другому сотруднику.",
                "Права администратора переданы, прежний администратор переведён в обычные пользователи.",
            ),
            (
                "Ограничить доступ к финансовым данным",
                "Нужно, чтобы менеджеры по продажам не видели закупочные цены и маржу.",
                "Для роли «Менеджер» скрыли закупочные цены и маржу. Проверьте, пожалуйста, под учётной записью менеджера.",
            ),
        ),
        questions=(
            "Подскажите, пожалуйста, ФИО и почту сотрудника и какие разделы ему нужны.",
            "Пришлите, пожалуйста, подтверждение от администратора аккаунта — без него мы не можем менять права.",
        ),
        types=(0.0, 0.5, 0.5),
        weight=9,
        trend=0.05,
    ),
    "1С": Topic(
        cases=(
            (
                "Обмен с 1С остановился",
                "Со вчерашнего вечера обмен с 1С не проходит, в журнале обмена ошибка авторизации.",
                "Токен обмена истёк после смены пароля пользователя интеграции. Перевыпустили токен — обмен восстановлен, заказы выгрузились.",
            ),
            (
                "Заказы не выгружаются в 1С",
                "Новые заказы перестали попадать в 1С, а старые выгружены нормально.",
                "Заказы с новым статусом «Самовывоз» не были сопоставлены в настройках обмена. Добавили сопоставление — заказы выгрузились.",
            ),
            (
                "Ошибка при синхронизации номенклатуры",
                "После обновления конфигурации при синхронизации номенклатуры выпадает ошибка «Неверный формат данных».",
                "Исправили сопоставление единиц измерения, синхронизация номенклатуры проходит без ошибок.",
            ),
            (
                "Дублируются контрагенты после обмена",
                "После каждого обмена в 1С появляются дубли контрагентов, приходится чистить вручную.",
                "Включили поиск контрагентов по ИНН — дубли больше не создаются, существующие объединили.",
            ),
            (
                "Как настроить обмен с 1С:Бухгалтерия 3.0?",
                "Переходим на 1С:Бухгалтерию 3.0. Подскажите, как настроить обмен, чтобы не потерять историю.",
                "Отправили пошаговую инструкцию по настройке обмена с 1С:Бухгалтерией 3.0, история сохранится.",
            ),
            (
                "Не подтягиваются остатки из 1С",
                "Остатки в каталоге не совпадают с 1С, последняя успешная синхронизация была три дня назад.",
                "Перезапустили полную синхронизацию остатков, данные совпадают с 1С.",
            ),
        ),
        questions=(
            "Пришлите, пожалуйста, версию конфигурации 1С и скриншот журнала обмена с ошибкой.",
            "Подскажите, пожалуйста, когда был последний успешный обмен и менялось ли что-то в настройках 1С?",
        ),
        outage=("Обмен с 1С не работает с утра", "Заказы не выгружаются в 1С ни у кого"),
        types=(0.05, 0.70, 0.25),
        weight=15,
        trend=0.35,
    ),
    "API": Topic(
        cases=(
            (
                "API возвращает 401",
                "При запросе к /api/v1/orders получаем 401, хотя токен только что создан.",
                "Токен создавался с правами только на чтение. Выпустите токен с правом «Заказы: запись» — запросы пройдут.",
            ),
            (
                "Ошибка 500 при создании заказа через API",
                "Метод создания заказа стал возвращать 500 на заказы с промокодом.",
                "Нашли ошибку в обработке промокодов, исправление выложено. Повторите, пожалуйста, запрос.",
            ),
            (
                "Какие лимиты запросов у API?",
                "Планируем синхронизировать каталог раз в минуту. Какие ограничения по числу запросов?",
                "Лимит — 10 запросов в секунду на токен. Для каталога удобнее пакетная загрузка, описание в документации.",
            ),
            (
                "Не приходят вебхуки",
                "Со вчерашнего дня на наш адрес не приходят вебхуки о новых заказах.",
                "Ваш сервер отвечал 301 вместо 200, поэтому доставка вебхуков остановилась. Укажите адрес с https — повторную отправку мы включили.",
            ),
            (
                "Как получить заказы за период через API?",
                "Подскажите, каким методом выгрузить все заказы за месяц с фильтром по статусу.",
                "Используйте GET /api/v1/orders с параметрами date_from, date_to и status; ответ постраничный.",
            ),
            (
                "Таймаут при массовой загрузке товаров",
                "При загрузке 5000 товаров одним запросом получаем таймаут через 30 секунд.",
                "Разбейте загрузку на пакеты по 500 товаров — так укладывается в таймаут.",
            ),
        ),
        questions=(
            "Пришлите, пожалуйста, пример запроса (без токена) и точное время ошибки — найдём его в логах.",
            "Уточните, пожалуйста, адрес, на который должны приходить вебхуки, и отвечает ли он кодом 200.",
        ),
        outage=("API отвечает 503", "Массовые ошибки 502 в API"),
        types=(0.05, 0.50, 0.45),
        weight=6,
        trend=0.45,
        fix="Ошибка исправлена",
    ),
    "Онлайн-касса": Topic(
        cases=(
            (
                "Касса не печатает чеки",
                "С утра касса не печатает чеки, на экране ошибка связи с принтером.",
                "Переподключили кассу к облаку и сбросили очередь печати — чеки печатаются.",
            ),
            (
                "Чеки не уходят в ОФД",
                "Чеки за вчерашний день висят в очереди и не уходят в ОФД.",
                "Восстановили соединение с ОФД, накопившиеся чеки отправлены.",
            ),
            (
                "Ошибка фискального накопителя",
                "Касса пишет «Ошибка ФН», продажи стоят!",
                "Фискальный накопитель заполнен, его нужно заменить. Отправили инструкцию и список сервисных центров.",
            ),
            (
                "Не проходит оплата картой",
                "Клиенты не могут оплатить заказ картой, платёж отклоняется с ошибкой.",
                "Платёжный шлюз отклонял карты из-за сбоя у банка-эквайера, сейчас оплаты проходят.",
            ),
            (
                "Как оформить чек коррекции?",
                "Вчера ошиблись в сумме чека. Как правильно оформить чек коррекции?",
                "Отправили инструкцию по чеку коррекции: его можно оформить прямо в разделе «Касса».",
            ),
            (
                "Касса не подключается после обновления",
                "После обновления приложения касса перестала подключаться к системе.",
                "Обновили драйвер кассы до последней версии, подключение восстановлено.",
            ),
        ),
        questions=(
            "Пришлите, пожалуйста, заводской номер кассы и фото экрана с ошибкой.",
            "Уточните, пожалуйста, модель кассы и версию прошивки — проверим совместимость.",
        ),
        outage=(
            "Не проходит оплата на сайте",
            "Касса не печатает чеки",
            "Массово не проходят оплаты картой",
        ),
        types=(0.12, 0.68, 0.20),
        weight=11,
        fix="Ошибка исправлена",
    ),
    "Счета и акты": Topic(
        cases=(
            (
                "Как выгрузить акты за квартал?",
                "Подскажите, где в личном кабинете выгрузить все акты за квартал одним архивом?",
                "Раздел «Документы» → фильтр по периоду → кнопка «Скачать архивом». Инструкция — в базе знаний.",
            ),
            (
                "Нужен счёт на оплату",
                "Выставьте, пожалуйста, счёт на оплату тарифа на следующий год.",
                "Счёт выставлен и отправлен на почту бухгалтерии.",
            ),
            (
                "Не пришёл закрывающий акт",
                "Закрывающий акт за прошлый месяц так и не пришёл в ЭДО.",
                "Переотправили акт через ЭДО, он уже должен быть во входящих.",
            ),
            (
                "Исправить реквизиты в счёте",
                "Мы сменили юридический адрес, нужно исправить реквизиты в выставленном счёте.",
                "Реквизиты обновлены, исправленный счёт отправлен на почту.",
            ),
            (
                "Нужен акт сверки за год",
                "Бухгалтерия просит акт сверки взаиморасчётов за прошлый год.",
                "Акт сверки подписан с нашей стороны и отправлен через ЭДО.",
            ),
            (
                "Ошибка в ИНН в счёте-фактуре",
                "В счёте-фактуре указан неверный ИНН, исправьте, пожалуйста.",
                "Выставили исправленный счёт-фактуру с верным ИНН.",
            ),
        ),
        questions=(
            "Подскажите, пожалуйста, ИНН и название юрлица, на которое нужен документ.",
            "Уточните, пожалуйста, через какого оператора ЭДО вы получаете документы?",
        ),
        types=(0.0, 0.40, 0.60),
        weight=12,
        trend=0.1,
    ),
    "Возвраты": Topic(
        cases=(
            (
                "Возврат за двойное списание",
                "Оплата за месяц списалась дважды, просим вернуть лишний платёж.",
                "Возврат оформлен, деньги поступят в течение 5 рабочих дней.",
            ),
            (
                "Вернуть оплату за неиспользованный период",
                "Мы отказываемся от сервиса, просим вернуть деньги за неиспользованные месяцы.",
                "Сделали перерасчёт и оформили возврат за неиспользованный период.",
            ),
            (
                "Когда придут деньги по возврату?",
                "Возврат оформили неделю назад, а деньги так и не пришли.",
                "Банк зачислил возврат вчера, проверьте, пожалуйста, выписку.",
            ),
            (
                "Оплатили по чужому счёту",
                "Бухгалтер по ошибке оплатил счёт другой организации. Как вернуть деньги?",
                "Оформили возврат ошибочного платежа на реквизиты плательщика.",
            ),
            (
                "Возврат при смене тарифа",
                "Перешли на тариф дешевле, просим вернуть разницу.",
                "Разницу зачли в счёт следующего платежа, как договорились.",
            ),
        ),
        questions=(
            "Пришлите, пожалуйста, платёжное поручение и реквизиты для возврата.",
            "Подскажите, пожалуйста, номер счёта, по которому прошла оплата.",
        ),
        types=(0.0, 0.75, 0.25),
        weight=5,
    ),
    "Ошибки в работе": Topic(
        cases=(
            (
                "Отчёт по продажам пустой",
                "В отчёте по продажам за неделю нет данных, хотя заказы были.",
                "Нашли и исправили ошибку в расчёте отчёта, данные за неделю на месте.",
            ),
            (
                "Медленно открывается каталог",
                "Каталог товаров открывается по 20–30 секунд, особенно утром.",
                "Оптимизировали загрузку каталога, теперь он открывается за пару секунд.",
            ),
            (
                "Ошибка 500 в личном кабинете",
                "При открытии раздела «Клиенты» появляется ошибка 500.",
                "Исправление выложено, раздел открывается без ошибок.",
            ),
            (
                "Не сохраняются изменения в карточке товара",
                "Меняем цену в карточке товара, нажимаем «Сохранить» — после обновления страницы снова старая цена.",
                "Ошибка была в проверке прав на изменение цен, исправили. Изменения сохраняются.",
            ),
            (
                "Не загружается список заказов",
                "Список заказов крутится и не загружается, у всех сотрудников одинаково.",
                "Перезапустили зависшую задачу индексации, список заказов загружается.",
            ),
            (
                "Пропали фильтры в отчёте",
                "После обновления из отчёта пропали сохранённые фильтры.",
                "Восстановили сохранённые фильтры из резервной копии.",
            ),
        ),
        questions=(
            "Пришлите, пожалуйста, скриншот ошибки и время, когда она возникла.",
            "Подскажите, воспроизводится ли ошибка в другом браузере или в режиме инкогнито?",
        ),
        outage=(
            "Сервис не открывается",
            "Ошибка 502 при входе в личный кабинет",
            "Всё очень медленно работает",
        ),
        types=(0.08, 0.72, 0.20),
        weight=14,
        trend=-0.1,
        fix="Ошибка исправлена",
    ),
}
# Top-level categories with their own children: tickets filed there read like a child's.
ROOT_TOPICS = {
    "Доступ и учётные записи": "Права пользователей",
    "Интеграции": "1С",
    "Оплата и документы": "Счета и акты",
}
GENERIC = Topic(
    cases=(
        (
            "Нужна консультация",
            "Подскажите, пожалуйста, как это сделать в системе — в базе знаний не нашли.",
            "Отправили инструкцию, по ней всё получится за пару минут.",
        ),
        (
            "Не работает функция",
            "Перестала работать функция, которой пользуемся каждый день.",
            "Нашли причину и исправили, функция снова работает.",
        ),
        (
            "Подскажите, как настроить",
            "Нужна помощь с настройкой, сами не разобрались.",
            "Разобрались: всё настроено, проверили вместе с вами.",
        ),
    ),
    questions=("Пришлите, пожалуйста, скриншот и опишите шаги, после которых возникает ошибка.",),
)
AGAIN_TITLE, AGAIN_WORDS = "Снова: ", "Снова та же проблема. "
GREETINGS = ("Добрый день!", "Здравствуйте!", "Добрый день.", "Здравствуйте.")
URGENT_LINES = ("Срочно, стоит работа отдела!", "Теряем заказы, помогите как можно быстрее!")
ACKS = (
    "Спасибо за обращение, уже разбираемся. Вернёмся с ответом в течение рабочего дня.",
    "Приняли в работу, проверяем. Напишем, как только будет результат.",
    "Передали специалисту, проверяем на нашей стороне. Обновим статус в течение пары часов.",
)
URGENT_ACKS = (
    "Видим проблему, подключили вторую линию. Обновим статус в течение 15 минут.",
    "Уже разбираемся, это наш приоритет. Следующее обновление — через полчаса.",
)
OUTAGE_ACKS = (
    "Знаем о сбое, инженеры уже работают над исправлением. Сообщим, как только всё заработает.",
    "Это общий сбой, чиним. Приносим извинения — напишем сразу после восстановления.",
)
OUTAGE_FIXED = (
    "Сбой устранён, сервис работает в штатном режиме. Приносим извинения за неудобства.",
    "Всё восстановлено. Причина — сбой у провайдера, подробности опубликуем на странице статуса.",
)
CLIENT_ANSWERS = (
    "Скриншот во вложении, ошибка появляется каждый раз.",
    "Да, всё верно, нужные данные прикладываю.",
    "Проверили — в другом браузере то же самое.",
    "Отправляю, что просили. Спасибо!",
)
PINGS = (
    "Есть новости по обращению?",
    "Подскажите, когда ждать решения? Вопрос горит.",
    "Добрый день! Напомню про наш вопрос.",
)
INTERIM = (
    "Ещё работаем над вопросом: инженеры проверяют логи. Как только будет результат — сразу напишем.",
    "Нашли вероятную причину, проверяем исправление. Вернёмся сегодня.",
)
REOPENS = (
    "К сожалению, проблема повторилась.",
    "Не помогло — ошибка снова появляется.",
    "Сегодня опять то же самое, посмотрите, пожалуйста.",
)
REOPEN_FIXES = (
    "Проверили ещё раз и нашли вторую причину — исправили. Теперь должно работать стабильно.",
    "Поправили настройки окончательно, понаблюдаем вместе пару дней.",
)
NO_REPLY = (
    "Не получили от вас ответа, поэтому отмечаем обращение решённым. "
    "Если вопрос остался — просто ответьте на это сообщение."
)
ESCALATION_NOTES = {
    Ticket.EscalationTarget.LEAD.value: (
        "Нужна помощь руководителя: клиент просит компенсацию.",
        "Клиент недоволен сроками, прошу подключиться.",
    ),
    Ticket.EscalationTarget.QUEUE.value: (
        "Передаю на вторую линию: нужна проверка логов на сервере.",
        "Нужна экспертиза второй линии, воспроизвести не удалось.",
    ),
    Ticket.EscalationTarget.DEVELOPMENT.value: (
        "Передано в разработку: ошибка воспроизводится, задача заведена в трекере.",
        "Похоже на ошибку в релизе, завёл задачу разработчикам.",
    ),
}
CSAT_SCORES_GOOD = ((5, 76), (4, 15), (3, 5), (2, 2), (1, 2))
CSAT_SCORES_BAD = ((5, 35), (4, 25), (3, 18), (2, 10), (1, 12))
CSAT_COMMENTS = {
    5: (
        "Спасибо, быстро помогли!",
        "Отличная поддержка, всё решили за пару минут.",
        "Всё понятно объяснили, спасибо.",
        "Спасибо, {agent}!",
    ),
    4: ("Помогли, спасибо.", "Хорошо, но хотелось бы побыстрее.", "В целом нормально."),
    3: ("Решили, но пришлось ждать почти сутки.", "Ответ шаблонный, разбирались сами."),
    2: ("Долго, и проблема возвращается.", "Ждали ответа два дня."),
    1: ("Так и не поняли, в чём была причина.", "Очень долго, работа стояла."),
}
CSAT_CHANNEL = {"email": "email", "portal": "portal", "telegram": "telegram"}
SPAM_SENDERS = (
    (
        "Продвижение сайтов",
        "seo@top-prodvizhenie.ru",
        "Выведем ваш сайт в ТОП-10 Яндекса за 30 дней",
    ),
    ("Бухгалтерские услуги", "offer@buh-uslugi.ru", "Бухгалтерское сопровождение со скидкой 50%"),
    ("Базы клиентов", "sales@bazy-b2b.ru", "Актуальные базы B2B-клиентов по вашему региону"),
)

# Client companies and people added to the demo's own, so the volume has believable senders.
COMPANY_FORMS = ("ООО", "АО", "ГК", "ООО", "ПАО")
COMPANY_ROOTS = (
    "Север", "Вектор", "Техно", "Агро", "Мега", "Альфа", "Дельта", "Гранит", "Волга", "Урал",
    "Сибирь", "Балтика", "Орион", "Сфера", "Прайм", "Азимут", "Меридиан", "Полюс", "Кедр",
    "Ладога", "Нева", "Байкал", "Алтай", "Зенит", "Квант", "Лидер", "Форвард", "Атлант",
    "Восток", "Фрегат",
)  # fmt: skip
COMPANY_ENDS = (
    "Трейд", "Сервис", "Маркет", "Логистик", "Групп", "Снаб", "Торг", "Лайн", "Софт", "Фуд",
    "Мед", "Про", "Инвест", "Ритейл", "Транс", "Пласт", "Строй", "Консалт", "Тех", "Дом",
)  # fmt: skip
CITIES = ("Москва", "Казань", "Екатеринбург", "Новосибирск", "Самара", "Пермь", "Тула")
MEN = (
    "Александр", "Дмитрий", "Максим", "Сергей", "Андрей", "Алексей", "Артём", "Илья", "Кирилл",
    "Михаил", "Никита", "Роман", "Евгений", "Владимир", "Павел", "Игорь", "Олег", "Денис",
)  # fmt: skip
WOMEN = (
    "Анна", "Мария", "Елена", "Ольга", "Наталья", "Екатерина", "Татьяна", "Ирина", "Светлана",
    "Юлия", "Анастасия", "Дарья", "Ксения", "Марина", "Виктория", "Алина",
)  # fmt: skip
SURNAMES = (
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
    "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
    "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
    "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьёв",
    "Сергеев", "Фролов", "Дмитриев", "Королёв", "Гусев", "Киселёв", "Ильин", "Максимов",
    "Поляков", "Сорокин", "Виноградов", "Ковалёв", "Белов", "Медведев", "Антонов", "Тарасов",
    "Жуков", "Баранов", "Филиппов", "Комаров", "Давыдов", "Беляев", "Богданов", "Осипов",
)  # fmt: skip
LATIN = (
    "a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p",
    "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "sch", "", "y", "", "e", "yu", "ya",
)  # fmt: skip
TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", LATIN, strict=True))


def translit(text: str) -> str:
    """Latin letters for e-mail addresses: «Фёдоров» → «fedorov»."""
    out = []
    for char in text.lower():
        latin = TRANSLIT.get(char, char if char.isascii() and char.isalnum() else "")
        out.append(latin)
    return "".join(out)


# --- The world the history happens in ---------------------------------------------------


@dataclass
class Agent:
    """An operator (or a lead) who answers tickets, and how fast."""

    id: int
    name: str
    first: str
    speed: float


@dataclass
class Queue:
    """A team with the people who take its tickets and its working hours."""

    team_id: int | None
    agents: list[Agent]
    cum: list[float]
    hours: WorkingTime
    calendar_id: int | None

    def pick(self, rng: random.Random) -> Agent | None:
        if not self.agents:
            return None
        return self.agents[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]


@dataclass
class Person:
    """A client's contact who writes to support."""

    contact_id: int
    client_id: int | None
    first: str
    plan: str


@dataclass
class Subject:
    """A category tickets are filed under and what they say."""

    category_id: int | None
    name: str
    topic: Topic
    weight: float
    types: tuple[float, float, float]


@dataclass
class Incident:
    """An outage: a burst of tickets about one subject, answered in bulk when it is fixed."""

    subject: Subject
    start: int
    end: int
    fixed: int
    share: float  # of the day's tickets


@dataclass
class Recent:
    """A ticket from the last days: what a repeat contact refers to."""

    ts: int
    person: Person
    subject: Subject
    code: str
    case: tuple[str, str, str]
    pk: int | None = None


@dataclass
class World:
    """Everything the history draws from, loaded once."""

    zone: ZoneInfo
    hours: WorkingTime  # the company's default calendar (intake follows it)
    queues: list[Queue]
    subjects: list[Subject]
    people: list[Person]
    people_cum: list[float]
    spammers: list[tuple[int, str]]
    types: dict[str, int]
    resolutions: dict[str, int]
    default_resolution: int | None
    policies: list[tuple[Policy, set[int], dict[str, Target]]]
    auto_close: int  # seconds
    repeat_window: int  # seconds


def _calendar_of_teams() -> dict[int, int]:
    through = cast(Any, Calendar.teams).through
    return dict(through.objects.values_list("team_id", "calendar_id"))


def _demo_ensure() -> None:
    """The demo company's staff, clients and categories, if the database has none."""
    if not User.objects.filter(
        role__in=[User.Role.OPERATOR, User.Role.LEAD], is_active=True
    ).exists():
        seed_accounts()
    if not ClientAccount.objects.exists():
        seed_clients()
    if not Category.objects.filter(is_active=True).exists():
        for root_name, children in DEMO_CATEGORIES.items():
            root = Category.objects.get_or_create(name=root_name, parent=None)[0]
            for child in children:
                Category.objects.get_or_create(name=child, parent=root)


def _queues(default_calendar: int | None) -> list[Queue]:
    """Teams whose operators or leads take tickets, in team order; speeds by person order."""
    staff = list(
        User.objects.filter(
            role__in=[User.Role.OPERATOR, User.Role.LEAD], is_active=True, team__isnull=False
        )
        .order_by("pk")
        .values_list("pk", "full_name", "role", "team_id")
    )
    calendars = _calendar_of_teams()
    queues: list[Queue] = []
    for team_id in Team.objects.order_by("pk").values_list("pk", flat=True):
        members = [row for row in staff if row[3] == team_id]
        if not members:
            continue
        agents, weights = [], []
        for pk, name, role, _team in members:
            speed = SPEEDS[[row[0] for row in staff].index(pk) % len(SPEEDS)]
            agents.append(Agent(pk, name, (name.split() or ["—"])[0], speed))
            # A lead answers now and then; operators carry the queue.
            weights.append(0.25 if role == User.Role.LEAD else 1.0)
        calendar_id = calendars.get(team_id, default_calendar)
        queues.append(
            Queue(
                team_id,
                agents,
                list(itertools.accumulate(weights)),
                working_time(calendar_id),
                calendar_id,
            )
        )
    if not queues:
        queues.append(Queue(None, [], [], working_time(default_calendar), default_calendar))
    return queues


def _subjects() -> list[Subject]:
    rows = list(
        Category.objects.filter(is_active=True)
        .order_by("pk")
        .values_list("pk", "name", "parent_id")
    )
    parents = {parent for _pk, _name, parent in rows if parent is not None}
    subjects = []
    for pk, name, _parent in rows:
        topic = TOPICS.get(name)
        weight = topic.weight if topic else 3.0
        if topic is None and name in ROOT_TOPICS:
            topic, weight = TOPICS[ROOT_TOPICS[name]], 0.6
        elif pk in parents:
            weight = 0.6  # operators seldom stop at a parent category
        topic = topic or GENERIC
        subjects.append(Subject(pk, name, topic, weight, topic.types))
    return subjects or [Subject(None, "", GENERIC, 1.0, GENERIC.types)]


# --- Client companies and their people --------------------------------------------------


def _company_names() -> Iterator[tuple[str, str]]:
    """An endless, fixed sequence of (company name, e-mail domain)."""
    pairs = [(r, e) for r in COMPANY_ROOTS for e in COMPANY_ENDS]
    random.Random(2024).shuffle(pairs)  # noqa: S311 -- fixed fake names, not security
    for round_ in itertools.count():
        form = COMPANY_FORMS[round_ % len(COMPANY_FORMS)]
        city = f" ({CITIES[(round_ // len(COMPANY_FORMS)) % len(CITIES)]})"
        for root, end in pairs:
            suffix = city if round_ >= len(COMPANY_FORMS) else ""
            domain = translit(root + end) + (str(round_) if round_ else "") + ".ru"
            yield f"{form} «{root}{end}»{suffix}", domain


def _people_ensure(accounts_wanted: int, since: dt.datetime) -> None:
    """Client accounts up to `accounts_wanted`, each with one to four contacts (idempotent)."""
    have = ClientAccount.objects.count()
    manager = User.objects.filter(role=User.Role.ACCOUNT_MANAGER).order_by("pk").first()
    if have < accounts_wanted:
        taken = set(ClientAccount.objects.values_list("name", flat=True))
        new: list[ClientAccount] = []
        names = _company_names()
        rank = have
        while have + len(new) < accounts_wanted:
            name, _domain = next(names)
            if name in taken:
                continue
            taken.add(name)
            plan = (
                ClientAccount.SupportPlan.PREMIUM
                if rank % 25 == 0
                else ClientAccount.SupportPlan.EXTENDED
                if rank % 6 == 0
                else ClientAccount.SupportPlan.STANDARD
            )
            new.append(
                ClientAccount(
                    name=name,
                    support_plan=plan,
                    is_key=rank % 20 == 0,
                    account_manager=manager if rank % 20 == 0 else None,
                    created_at=since - dt.timedelta(days=30 + rank % 300),
                )
            )
            rank += 1
        ClientAccount.objects.bulk_create(new, batch_size=1000)
    domains = dict(itertools.islice(_company_names(), 0, accounts_wanted * 2))
    through = cast(Any, Contact.accounts).through
    wanted = list(ClientAccount.objects.order_by("pk").values_list("pk", "name")[:accounts_wanted])
    linked = set(
        through.objects.filter(clientaccount_id__in=[pk for pk, _ in wanted]).values_list(
            "clientaccount_id", flat=True
        )
    )
    lonely = [(pk, name) for pk, name in wanted if pk not in linked]
    if not lonely:
        return
    emails = set(Contact.objects.values_list("email", flat=True))
    contacts: list[tuple[int, Contact]] = []
    for index, (account_id, name) in enumerate(lonely):
        rng = random.Random(account_id)  # noqa: S311 -- fixed fake names, not security
        domain = domains.get(name) or f"{translit(name)[:20] or 'client'}{account_id}.ru"
        # Bigger customers (earlier in the list) have more people writing in.
        for _ in range(1 + (index < 10) + (index < 30) + (index % 5 == 0)):
            female = rng.random() < 0.55
            first = rng.choice(WOMEN if female else MEN)
            last = rng.choice(SURNAMES) + ("а" if female else "")
            local = f"{translit(first)[0]}.{translit(last)}"
            email = f"{local}@{domain}"
            n = 1
            while email in emails:
                n += 1
                email = f"{local}{n}@{domain}"
            emails.add(email)
            phone = (
                f"+7 9{rng.randrange(10, 99)} {rng.randrange(100, 999)}-"
                f"{rng.randrange(10, 99)}-{rng.randrange(10, 99)}"
                if rng.random() < 0.6
                else ""
            )
            contacts.append(
                (
                    account_id,
                    Contact(
                        full_name=f"{first} {last}",
                        email=email,
                        phone=phone,
                        created_at=since - dt.timedelta(days=20 + account_id % 200),
                    ),
                )
            )
    made = Contact.objects.bulk_create([c for _a, c in contacts], batch_size=1000)
    if made and made[0].pk is None:  # backends without RETURNING
        by_email = dict(
            Contact.objects.filter(email__in=[c.email for c in made]).values_list("email", "pk")
        )
        for contact in made:
            contact.pk = by_email[contact.email]
    through.objects.bulk_create(
        [
            through(contact_id=contact.pk, clientaccount_id=account_id)
            for account_id, contact in contacts
        ],
        batch_size=1000,
    )


def _spammers() -> list[tuple[int, str]]:
    """Blocked senders: their messages become tickets already closed as spam."""
    out = []
    for name, email, subject in SPAM_SENDERS:
        contact = Contact.objects.filter(email=email).first()
        if contact is None:
            contact = Contact.objects.create(full_name=name, email=email, is_blocked=True)
        out.append((contact.pk, subject))
    return out


def _people(accounts_wanted: int) -> tuple[list[Person], list[float]]:
    """Contacts of the first `accounts_wanted` accounts; earlier accounts write more."""
    through = cast(Any, Contact.accounts).through
    accounts = list(
        ClientAccount.objects.order_by("pk").values_list("pk", "support_plan", "is_key")[
            :accounts_wanted
        ]
    )
    members: dict[int, list[int]] = {}
    for contact_id, account_id in (
        through.objects.filter(
            clientaccount_id__in=[a[0] for a in accounts], contact__is_blocked=False
        )
        .order_by("contact_id")
        .values_list("contact_id", "clientaccount_id")
    ):
        members.setdefault(account_id, []).append(contact_id)
    names = dict(
        Contact.objects.filter(pk__in=[pk for ids in members.values() for pk in ids]).values_list(
            "pk", "full_name"
        )
    )
    people: list[Person] = []
    weights: list[float] = []
    for rank, (account_id, plan, is_key) in enumerate(accounts):
        ids = members.get(account_id, [])
        # Zipf-like: a few big customers, a long tail of small ones.
        share = (2.0 if is_key else 1.0) / (rank + 8) ** 0.8
        for contact_id in ids:
            name = names.get(contact_id, "")
            people.append(Person(contact_id, account_id, (name.split() or [""])[0], plan))
            weights.append(share / len(ids))
    if not people:  # no client accounts with contacts at all
        for contact_id, name in Contact.objects.filter(is_blocked=False).values_list(
            "pk", "full_name"
        )[:100]:
            people.append(Person(contact_id, None, (name.split() or [""])[0], ""))
            weights.append(1.0)
    if not people:
        contact = Contact.objects.create(full_name="Клиент Демо", email="client@demo.opora")
        people.append(Person(contact.pk, None, "Клиент", ""))
        weights.append(1.0)
    return people, list(itertools.accumulate(weights))


def _world_load(tickets: int, since: dt.datetime) -> World:
    _demo_ensure()
    accounts_wanted = max(12, min(3000, tickets // 40))
    with _timestamps_as_given():
        _people_ensure(accounts_wanted, since)
    people, cum = _people(accounts_wanted)
    default_calendar = default_calendar_id_any()
    codes = dict(ResolutionCode.objects.order_by("position", "pk").values_list("name", "pk"))
    settings = TicketSettings.load()
    return World(
        zone=company_zone(),
        hours=working_time(default_calendar),
        queues=_queues(default_calendar),
        subjects=_subjects(),
        people=people,
        people_cum=cum,
        spammers=_spammers(),
        types=dict(TicketType.objects.values_list("code", "pk")),
        resolutions=codes,
        default_resolution=next(iter(codes.values()), None),
        policies=active_policies(),
        auto_close=settings.auto_close_days * DAY,
        repeat_window=settings.repeat_window_days * DAY,
    )


# --- When tickets arrive -------------------------------------------------------------


@dataclass
class DayPlan:
    date: dt.date
    count: int
    quiet: bool
    subject_cum: list[float]
    incident: Incident | None = None


def _day_weight(kind: DayKind, date: dt.date) -> tuple[float, bool]:
    """Relative intake of a day and whether it follows the quiet hourly profile."""
    if kind in (DayKind.HOLIDAY, DayKind.DAY_OFF):
        return (NEW_YEAR_VOLUME if (date.month, date.day) <= (1, 2) else HOLIDAY_VOLUME), True
    if kind == DayKind.WORKING_WEEKEND:
        return 0.85, False
    if kind == DayKind.WEEKEND:
        return WEEKDAY_VOLUME[date.weekday()], True
    volume = WEEKDAY_VOLUME[min(date.weekday(), 4)]
    return (volume * 0.92 if kind == DayKind.SHORTENED else volume), False


def _season(name: str, date: dt.date) -> float:
    """Seasonal swings of some subjects: quarter-end paperwork, December sales, January refunds."""
    if name == "Счета и акты":
        if date.month in (1, 4, 7, 10) and date.day <= 10:
            return 1.8
        if (date + dt.timedelta(days=3)).month != date.month:
            return 1.3
    if name == "Онлайн-касса" and date.month == 12:
        return 1.25
    if name == "Возвраты" and date.month == 1:
        return 1.3
    return 1.0


def _plan(
    world: World, rng: random.Random, *, tickets: int, first: dt.date, days: int
) -> list[DayPlan]:
    """How many tickets each day gets (exactly `tickets` in all) and which days had outages."""
    dates = [first + dt.timedelta(days=i) for i in range(days)]
    plans: list[DayPlan] = []
    weights: list[float] = []
    for index, date in enumerate(dates):
        kind, _note = world.hours.day(date)
        volume, quiet = _day_weight(kind, date)
        season = 1.0 + (0.1 if date.month == 12 else -0.1 if date.month in (7, 8) else 0.0)
        trend = 1.0 + GROWTH_PER_YEAR * index / 365
        weights.append(volume * season * trend * rng.lognormvariate(0.0, 0.12))
        years = index / 365
        subject_weights = [
            s.weight * max(0.15, 1.0 + s.topic.trend * years) * _season(s.name, date)
            for s in world.subjects
        ]
        plans.append(DayPlan(date, 0, quiet, list(itertools.accumulate(subject_weights))))
    # A couple of outages, on working days, never in the last two days.
    outage_subjects = [s for s in world.subjects if s.topic.outage] or world.subjects
    working = [i for i, p in enumerate(plans[:-2]) if not p.quiet]
    for index in sorted(rng.sample(working, min(len(working), round(days / 80)))):
        extra = rng.uniform(0.8, 1.6)
        weights[index] *= 1.0 + extra
        start = _at(world.zone, dates[index], rng.uniform(9.5, 15.0) * HOUR)
        length = round(rng.uniform(1.0, 3.5) * HOUR)
        plans[index].incident = Incident(
            subject=rng.choice(outage_subjects),
            start=start,
            end=start + length,
            fixed=start + length + round(rng.uniform(10, 40) * MINUTE),
            share=extra / (1.0 + extra),
        )
    # Exactly `tickets`: whole parts, then the largest remainders.
    total = sum(weights)
    exact = [tickets * w / total for w in weights]
    counts = [math.floor(x) for x in exact]
    by_remainder = sorted(range(days), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[: tickets - sum(counts)]:
        counts[i] += 1
    for plan, count in zip(plans, counts, strict=True):
        plan.count = count
    return plans


def _at(zone: ZoneInfo, date: dt.date, seconds: float) -> int:
    midnight = dt.datetime(date.year, date.month, date.day, tzinfo=zone).timestamp()
    return round(midnight + seconds)


def _arrivals(world: World, plan: DayPlan, rng: random.Random) -> list[tuple[int, Incident | None]]:
    """The day's arrival instants (sorted), each with its outage if it is about one."""
    profile = list(itertools.accumulate(QUIET_HOURS if plan.quiet else WEEKDAY_HOURS))
    out: list[tuple[int, Incident | None]] = []
    incident = plan.incident
    for _ in range(plan.count):
        if incident is not None and rng.random() < incident.share:
            # Most complaints come early in the outage.
            ts = incident.start + round((incident.end - incident.start) * rng.betavariate(1.2, 3))
            out.append((ts, incident))
            continue
        hour = bisect.bisect_right(profile, rng.random() * profile[-1])
        out.append((_at(world.zone, plan.date, (hour + rng.random()) * HOUR), None))
    out.sort(key=lambda item: item[0])
    return out


# --- One ticket's story --------------------------------------------------------------


@dataclass
class Story:
    """A generated ticket with its rows, before it has a primary key."""

    ticket: Ticket
    messages: list[Message]
    clocks: list[Clock]
    csat: CsatResponse | None
    entry: Recent | None
    repeat_of: Recent | None


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return rng.lognormvariate(math.log(median), sigma)


def _later(hours: WorkingTime, start: int, seconds: float) -> int:
    """`seconds` of working time after `start` (whole seconds)."""
    return max(start, round(hours.add(start, max(seconds, 1.0))))


def _when(ts: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.UTC)


@dataclass
class ClockMeasure:
    consumed: float
    consumed_calendar: float
    breached_at: float | None
    warned_at: float | None


def clock_measure(
    hours: WorkingTime,
    runs: Sequence[tuple[int, int]],
    *,
    budget: float,
    cap: float | None,
    warn_percent: int,
) -> ClockMeasure:
    """What a clock consumed over its finished runs and when it crossed its warning and budget.

    The crossing is where the running total first exceeds the budget (business
    time) or the cap (calendar time) — the moment the breach job would have
    stamped; the same sums decide it, so «breached» holds exactly when
    `consumed > budget` or `consumed_calendar > cap`.
    """
    used = used_calendar = 0.0
    breached = warned = None
    warn_cap = cap * warn_percent / 100 if cap is not None else None
    for start, end in runs:
        work = hours.business_between(start, end)
        span = float(end - start)
        if warned is None:
            warned = _crossing(
                hours, start, used, used_calendar, work, span, budget * warn_percent / 100, warn_cap
            )
        if breached is None:
            breached = _crossing(hours, start, used, used_calendar, work, span, budget, cap)
        used += work
        used_calendar += span
    return ClockMeasure(used, used_calendar, breached, warned)


def _crossing(
    hours: WorkingTime,
    start: int,
    used: float,
    used_calendar: float,
    work: float,
    span: float,
    budget: float,
    cap: float | None,
) -> float | None:
    """Within a run from `start`, the instant the totals first pass the budget or the cap."""
    moments = []
    if used + work > budget:
        moments.append(hours.add(start, max(budget - used, 0.0)))
    if cap is not None and used_calendar + span > cap:
        moments.append(start + max(cap - used_calendar, 0.0))
    return min(moments, default=None)


class Storyteller:
    """Draws one ticket after another, in time order, from one random generator."""

    def __init__(self, world: World, rng: random.Random, cutoff: int) -> None:
        self.world = world
        self.rng = rng
        self.cutoff = cutoff
        self.recent: list[Recent] = []
        self.recent_head = 0
        self.latest: dict[tuple[str, int, int | None], Recent] = {}
        self.policy_cache: dict[TicketTraits, tuple[Policy | None, dict[str, Target]]] = {}
        codes = list(world.types)
        shares = [TYPE_SHARES.get(code, 0.1) for code in codes]
        self.type_codes = codes or [STANDARD]
        self.type_shares = shares or [1.0]
        self.day_subjects: list[float] = [1.0]
        self.hours: dict[int | None, WorkingTime] = {q.calendar_id: q.hours for q in world.queues}

    # 1. Who writes about what.
    def _recent_prune(self, now: int) -> None:
        window = self.world.repeat_window
        while (
            self.recent_head < len(self.recent) and self.recent[self.recent_head].ts < now - window
        ):
            self.recent_head += 1
        if self.recent_head > 4096 and self.recent_head * 2 > len(self.recent):
            del self.recent[: self.recent_head]
            self.recent_head = 0

    def _type_of(self, subject: Subject, incident: Incident | None) -> str:
        rng = self.rng
        if incident is not None:
            wanted = EMERGENCY if rng.random() < 0.35 else STANDARD
        else:
            mix = dict(zip((EMERGENCY, STANDARD, CONSULTATION), subject.types, strict=True))
            weights = [
                mix.get(code, 0.0) if code in mix else share
                for code, share in zip(self.type_codes, self.type_shares, strict=True)
            ]
            if sum(weights) <= 0:
                weights = self.type_shares
            wanted = rng.choices(self.type_codes, weights)[0]
        return wanted if wanted in self.world.types else self.type_codes[0]

    def _policy(self, traits: TicketTraits) -> tuple[Policy | None, dict[str, Target]]:
        if traits not in self.policy_cache:
            self.policy_cache[traits] = policy_for(traits, self.world.policies)
        return self.policy_cache[traits]

    def story(self, created: int, incident: Incident | None, number: int) -> Story:
        w, rng = self.world, self.rng
        if w.spammers and incident is None and rng.random() < SPAM_SHARE:
            return self._spam(created, number)
        self._recent_prune(created)
        repeat_of: Recent | None = None
        live = len(self.recent) - self.recent_head
        if incident is None and live and rng.random() < REPEAT_SHARE:
            earlier = self.recent[self.recent_head + rng.randrange(live)]
            person, subject, code = earlier.person, earlier.subject, earlier.code
            # Linked to the latest matching earlier ticket (docs/metrics.md §7).
            candidates = [
                self.latest.get(("p", person.contact_id, subject.category_id)),
                self.latest.get(("c", person.client_id or -1, subject.category_id)),
            ]
            repeat_of = max(
                (c for c in candidates if c is not None and c.ts >= created - w.repeat_window),
                key=lambda c: c.ts,
                default=earlier,
            )
            # The same trouble again, or another one in the same area.
            if rng.random() < 0.5:
                subject_line, words, answer = repeat_of.case
                case = (subject_line, AGAIN_WORDS + words, answer)
                title = AGAIN_TITLE + subject_line
            else:
                case = rng.choice(subject.topic.cases)
                title = case[0]
        else:
            if incident is not None:
                subject = incident.subject
            else:
                plan_cum = self.day_subjects
                subject = w.subjects[bisect.bisect_right(plan_cum, rng.random() * plan_cum[-1])]
            person = w.people[bisect.bisect_right(w.people_cum, rng.random() * w.people_cum[-1])]
            code = self._type_of(subject, incident)
            case = rng.choice(subject.topic.cases)
            title = case[0]
            if incident is not None:
                title = rng.choice(subject.topic.outage or (case[0],))
                case = (title, f"{title}. У всех сотрудников.", rng.choice(OUTAGE_FIXED))
        return self._ticket(
            created, incident, number, person, subject, code, title, case, repeat_of
        )

    def _spam(self, created: int, number: int) -> Story:
        contact_id, subject = self.rng.choice(self.world.spammers)
        queue = self.world.queues[0]
        ticket = Ticket(
            number=number,
            subject=subject,
            requester_id=contact_id,
            channel=Ticket.Channel.EMAIL,
            type_id=self.world.types.get(CONSULTATION) or next(iter(self.world.types.values())),
            priority=Ticket.Priority.NORMAL,
            team_id=queue.team_id,
            status=CLOSED,
            is_spam=True,
            created_at=_when(created),
            updated_at=_when(created),
            closed_at=_when(created),
        )
        body = f"{subject}. Звоните: +7 800 000-00-00. Отписаться — ответьте «стоп»."
        message = Message(
            kind=Message.Kind.CLIENT,
            author_contact_id=contact_id,
            body=body,
            created_at=_when(created),
        )
        return Story(ticket, [message], [], None, None, None)

    # 2. What happens to it.
    def _first_answer(self, code: str, created: int, office: WorkingTime, speed: float) -> int:
        """When the first public reply goes out: emergencies on the 24×7 clock (the person
        on duty at night), the rest after working time, now and then at once off hours."""
        rng = self.rng
        if code == EMERGENCY:
            on, off, sigma = EMERGENCY_RESPONSE
            median = on if office.is_working(created) else off
            return created + max(30, round(_lognormal(rng, median * speed, sigma)))
        median, sigma = FIRST_RESPONSE.get(code, FIRST_RESPONSE[STANDARD])
        if not office.is_working(created) and rng.random() < OFF_HOURS_DUTY:
            return created + round(_lognormal(rng, 40 * MINUTE, 0.8))
        return _later(office, created, _lognormal(rng, median * speed, sigma))

    def _ticket(
        self,
        created: int,
        incident: Incident | None,
        number: int,
        person: Person,
        subject: Subject,
        code: str,
        title: str,
        case: tuple[str, str, str],
        repeat_of: Recent | None,
    ) -> Story:
        w, rng = self.world, self.rng
        topic = subject.topic
        urgent = code == EMERGENCY or incident is not None
        channel = _pick(rng, URGENT_CHANNEL_WEIGHTS if urgent else CHANNEL_WEIGHTS)
        priority = _pick(rng, PRIORITIES.get(code, PRIORITIES[STANDARD]))
        first, second = w.queues[0], w.queues[min(1, len(w.queues) - 1)]
        to_second = code == EMERGENCY or (priority == "high" and rng.random() < 0.5)
        queue = second if to_second else first
        agent = queue.pick(rng)
        load = 1.5 if incident is not None else 1.0
        speed = (agent.speed if agent else 1.0) * load
        office = queue.hours
        # Emergencies are worked on until fixed, night or not; the rest in working hours.
        hours = ROUND_THE_CLOCK if code == EMERGENCY else office

        # (instant, status) moves and the messages, in time order; cut at the cutoff below.
        moves: list[tuple[int, str]] = [(created, NEW)]
        messages: list[tuple[int, str, Agent | None, str]] = []
        greet = rng.choice(GREETINGS)
        detail = case[1]
        urgent_line = f" {rng.choice(URGENT_LINES)}" if urgent else ""
        signature = f"\n\n{person.first}" if person.first and channel == "email" else ""
        messages.append((created, "client", None, f"{greet}\n\n{detail}{urgent_line}{signature}"))

        answered = self._first_answer(code, created, office, speed)

        one_touch, asks, _works = PATTERNS.get(code, PATTERNS[STANDARD])
        roll = rng.random()
        pattern = "one" if roll < one_touch else "ask" if roll < one_touch + asks else "work"
        escalation = ""
        if incident is None and rng.random() < ESCALATION_SHARE.get(code, 0.05):
            targets = ["lead", "development"] + (
                ["queue"] if queue is first and len(w.queues) > 1 else []
            )
            escalation = rng.choices(targets, [25, 30, 45][: len(targets)])[0]
            if pattern == "one":
                pattern = "work"
        if incident is not None:
            pattern = "outage"
        median_work, sigma_work = WORK.get(code, WORK[STANDARD])
        work = _lognormal(rng, median_work * (agent.speed if agent else 1.0), sigma_work)
        work *= {"lead": 1.3, "queue": 1.6, "development": 2.5}.get(escalation, 1.0)

        def reply(at: int, who: Agent | None, body: str) -> None:
            messages.append((at, "reply", who, body))  # greeting and signature come last

        solution = case[2]
        resolution_name = "Консультация дана" if code == CONSULTATION else topic.fix
        if repeat_of is not None and rng.random() < 0.2:
            resolution_name = "Дубликат"
        resolved: int
        if pattern == "one":
            reply(answered, agent, solution)
            moves.append((answered, RESOLVED))
            resolved = answered
        elif pattern == "outage":
            assert incident is not None  # noqa: S101 -- the outage pattern has one
            reply(answered, agent, rng.choice(OUTAGE_ACKS))
            moves.append((answered, OPEN))
            resolved = max(answered + 60, incident.fixed + round(rng.uniform(0, 60) * MINUTE))
            reply(resolved, agent, solution)
            moves.append((resolved, RESOLVED))
            resolution_name = "Ошибка исправлена"
        elif pattern == "ask":
            reply(answered, agent, rng.choice(topic.questions))
            moves.append((answered, PENDING))
            if rng.random() < 0.08:  # the client never came back
                resolved = _later(hours, answered, 3 * 9 * HOUR)
                reply(resolved, agent, NO_REPLY)
                moves.append((resolved, RESOLVED))
                resolution_name = "Клиент не ответил"
            else:
                back = _later(hours, answered, _lognormal(rng, 2 * HOUR, 1.0))
                messages.append((back, "client", None, rng.choice(CLIENT_ANSWERS)))
                moves.append((back, OPEN))
                next_reply = _later(hours, back, _lognormal(rng, 40 * MINUTE * speed, 0.8))
                if rng.random() < 0.55 and not escalation:
                    resolved = next_reply
                else:
                    reply(next_reply, agent, rng.choice(INTERIM))
                    resolved = _later(hours, next_reply, work * 0.6)
                reply(resolved, agent, solution)
                moves.append((resolved, RESOLVED))
        else:
            reply(answered, agent, rng.choice(URGENT_ACKS if urgent else ACKS))
            moves.append((answered, OPEN))
            resolved = _later(hours, answered, work)
            if work > 6 * HOUR and rng.random() < 0.35:
                ping = answered + round((resolved - answered) * rng.uniform(0.3, 0.7))
                messages.append((ping, "client", None, rng.choice(PINGS)))
                interim = _later(hours, ping, _lognormal(rng, 30 * MINUTE, 0.7))
                if interim < resolved:
                    reply(interim, agent, rng.choice(INTERIM))
            reply(resolved, agent, solution)
            moves.append((resolved, RESOLVED))

        # Escalation: a note soon after the first answer; to the second line, a new owner.
        escalated_at: int | None = None
        owner, owner_queue = agent, queue
        if escalation:
            escalated_at = min(resolved, _later(hours, answered, _lognormal(rng, 40 * MINUTE, 0.8)))
            note = rng.choice(ESCALATION_NOTES[escalation])
            messages.append((escalated_at, "note", agent, note))
            if escalation == "queue":
                owner_queue = second
                owner = second.pick(rng) or agent
                messages[:] = [
                    (at, kind, owner if kind == "reply" and at > escalated_at else who, body)
                    for at, kind, who, body in messages
                ]
            if escalation == "development":
                resolution_name = "Передано в разработку"

        # Reopen: the client writes back before the ticket closes.
        if incident is None and rng.random() < REOPEN_SHARE:
            back = resolved + round(_lognormal(rng, 16 * HOUR, 0.9))
            if back < resolved + w.auto_close - 10 * MINUTE:
                messages.append((back, "client", None, rng.choice(REOPENS)))
                moves.append((back, OPEN))
                again = _later(hours, back, _lognormal(rng, 45 * MINUTE * speed, 0.8))
                final = again if rng.random() < 0.5 else _later(hours, again, work * 0.5)
                if final > again:
                    reply(again, owner, rng.choice(INTERIM))
                reply(final, owner, rng.choice(REOPEN_FIXES))
                moves.append((final, RESOLVED))
                resolved = final
        closed = resolved + w.auto_close + rng.randrange(30 * MINUTE)
        moves.append((closed, CLOSED))

        moved = escalated_at is not None and escalated_at <= self.cutoff
        return self._assemble(
            created=created,
            number=number,
            title=title,
            case=case,
            person=person,
            subject=subject,
            code=code,
            channel=channel,
            priority=priority,
            queue=owner_queue if moved else queue,
            owner=owner if moved else agent,
            moves=moves,
            messages=messages,
            escalation=escalation if moved else "",
            resolution_name=resolution_name,
            repeat_of=repeat_of,
            answered=answered,
            intake=queue,
        )

    # 3. The rows as they stand at the cutoff.
    def _assemble(
        self,
        *,
        created: int,
        number: int,
        title: str,
        case: tuple[str, str, str],
        person: Person,
        subject: Subject,
        code: str,
        channel: str,
        priority: str,
        queue: Queue,
        owner: Agent | None,
        moves: list[tuple[int, str]],
        messages: list[tuple[int, str, Agent | None, str]],
        escalation: str,
        resolution_name: str,
        repeat_of: Recent | None,
        answered: int,
        intake: Queue,
    ) -> Story:
        w, rng, cutoff = self.world, self.rng, self.cutoff
        past = [(at, status) for at, status in sorted(moves, key=lambda m: m[0]) if at <= cutoff]
        status = past[-1][1]
        runs: list[tuple[int, int]] = []
        run_start: int | None = None
        met_at: int | None = None
        reopened = 0
        previous = ""
        for at, move in past:
            if move in (NEW, OPEN):
                if run_start is None:
                    run_start = at
                if previous == RESOLVED:
                    reopened += 1
                    met_at = None
            elif move in (PENDING, RESOLVED):
                if run_start is not None:
                    runs.append((run_start, at))
                    run_start = None
                if move == RESOLVED:
                    met_at = at
            previous = move
        resolved_at = met_at if status in (RESOLVED, CLOSED) else None
        closed_at = past[-1][0] if status == CLOSED else None
        kept = sorted((m for m in messages if m[0] <= cutoff), key=lambda m: m[0])
        responded = answered if answered <= cutoff else None
        category_id = subject.category_id
        if status == NEW and repeat_of is None and rng.random() < 0.4:
            category_id = None  # not triaged yet
        assignee = owner
        if status == NEW and rng.random() < 0.4:
            assignee = None  # waiting for someone to take it
        type_id = w.types.get(code)
        if type_id is None:
            type_id = next(iter(w.types.values()))

        # SLA clocks from the same story.
        policy, targets = self._policy(TicketTraits(type_id, priority, channel, person.plan))
        clocks: list[Clock] = []
        if policy is not None:
            calendar_id = policy.calendar_id or intake.calendar_id
            for kind in (Target.Kind.FIRST_RESPONSE, Target.Kind.RESOLUTION):
                target = targets.get(kind)
                if target is None:
                    continue
                if kind == Target.Kind.FIRST_RESPONSE:
                    clock_runs = [(created, responded)] if responded is not None else []
                    running = None if responded is not None else created
                    met = responded
                    paused = False
                else:
                    clock_runs, running, met = runs, run_start, met_at
                    paused = status == PENDING
                clocks.append(
                    self._clock(
                        kind, policy, target, calendar_id, created, clock_runs, running, met, paused
                    )
                )
        breached = any(c.breached_at is not None for c in clocks)
        if breached and policy is not None and policy.breach_raise_priority:
            priority = {"low": "normal", "normal": "high", "high": "urgent"}.get(priority, priority)
        live_clocks = [c for c in clocks if c.state == Clock.State.RUNNING]

        resolution_id = None
        if status in (RESOLVED, CLOSED):
            resolution_id = w.resolutions.get(resolution_name, w.default_resolution)
        last_event = max([past[-1][0], *(m[0] for m in kept)])
        ticket = Ticket(
            number=number,
            subject=title[:250],
            requester_id=person.contact_id,
            client_id=person.client_id,
            channel=channel,
            type_id=type_id,
            priority=priority,
            category_id=category_id,
            team_id=queue.team_id,
            assignee_id=assignee.id if assignee else None,
            status=status,
            is_escalated=bool(escalation),
            escalation_target=escalation,
            resolution_id=resolution_id,
            is_repeat=repeat_of is not None,
            reopened_count=reopened,
            created_at=_when(created),
            updated_at=_when(last_event),
            first_responded_at=_when(responded) if responded is not None else None,
            resolved_at=_when(resolved_at) if resolved_at is not None else None,
            closed_at=_when(closed_at) if closed_at is not None else None,
            sla_due_at=min((c.due_at for c in live_clocks if c.due_at), default=None),
            sla_warn_at=min((c.warn_at for c in live_clocks if c.warn_at), default=None),
            sla_paused=not live_clocks and any(c.state == Clock.State.PAUSED for c in clocks),
            sla_breached=breached,
        )
        hello = f"Здравствуйте, {person.first}!\n\n" if person.first else ""
        rows = []
        for at, what, who, text in kept:
            if what == "reply":
                sign = f"\n\n{who.name}\nСлужба поддержки" if who and channel == "email" else ""
                text = f"{hello}{text}{sign}"
            rows.append(
                Message(
                    kind=what,
                    author_id=who.id if who and what != "client" else None,
                    author_contact_id=person.contact_id if what == "client" else None,
                    body=text,
                    created_at=_when(at),
                )
            )
        csat = None
        if resolved_at is not None and rng.random() < CSAT_SHARE:
            answered_at = resolved_at + round(_lognormal(rng, 2 * HOUR, 1.2))
            if answered_at <= cutoff:
                csat = self._csat(
                    person,
                    channel,
                    owner,
                    answered_at,
                    breached or bool(reopened) or escalation == "development",
                )
        # Remembered as first written, so a repeat of a repeat does not say «again» twice.
        origin = (case[0], case[1].removeprefix(AGAIN_WORDS), case[2])
        entry = Recent(created, person, subject, code, origin)
        self.latest[("p", person.contact_id, subject.category_id)] = entry
        if person.client_id is not None:
            self.latest[("c", person.client_id, subject.category_id)] = entry
        self.recent.append(entry)
        return Story(ticket, rows, clocks, csat, entry, repeat_of)

    def _clock(
        self,
        kind: str,
        policy: Policy,
        target: Target,
        calendar_id: int | None,
        created: int,
        runs: list[tuple[int, int]],
        running: int | None,
        met: int | None,
        paused: bool,
    ) -> Clock:
        business = target.clock == Target.Clock.BUSINESS
        hours = ROUND_THE_CLOCK
        if business:
            if calendar_id not in self.hours:
                self.hours[calendar_id] = working_time(calendar_id)
            hours = self.hours[calendar_id]
        cap = target.cap_days * float(DAY) if target.cap_days else None
        measure = clock_measure(
            hours, runs, budget=target.minutes * 60.0, cap=cap, warn_percent=policy.warn_percent
        )
        clock = Clock(
            kind=kind,
            policy_id=policy.pk,
            minutes=target.minutes,
            clock=target.clock,
            calendar_id=calendar_id if business else None,
            cap_days=target.cap_days,
            warn_percent=policy.warn_percent,
            started_at=_when(created),
            consumed=measure.consumed,
            consumed_calendar=measure.consumed_calendar,
            breached_at=None if measure.breached_at is None else _when(round(measure.breached_at)),
            warned_at=None if measure.warned_at is None else _when(round(measure.warned_at)),
        )
        if running is not None:
            clock.state = Clock.State.RUNNING
            clock.run_started_at = _when(running)
            clock.due_at, clock.warn_at = clock_schedule(clock, hours)
            # The breach and warning jobs ran all along: what fell due is already stamped.
            if clock.breached_at is None and clock.due_at.timestamp() <= self.cutoff:
                clock.breached_at = clock.due_at
            if clock.warned_at is None and clock.warn_at.timestamp() <= self.cutoff:
                clock.warned_at = clock.warn_at
        elif paused:
            clock.state = Clock.State.PAUSED
        else:
            clock.state = Clock.State.MET
            clock.met_at = _when(met) if met is not None else None
        return clock

    def _csat(
        self, person: Person, channel: str, owner: Agent | None, at: int, bad: bool
    ) -> CsatResponse:
        rng = self.rng
        table = CSAT_SCORES_BAD if bad else CSAT_SCORES_GOOD
        score = rng.choices([s for s, _ in table], [p for _, p in table])[0]
        comment = ""
        if rng.random() < 0.4:
            comment = rng.choice(CSAT_COMMENTS[score]).format(
                agent=owner.first if owner else "коллеги"
            )
        return CsatResponse(
            contact_id=person.contact_id,
            score=score,
            comment=comment,
            channel=CSAT_CHANNEL.get(channel, "email"),
            created_at=_when(at),
        )


# --- Writing ---------------------------------------------------------------------------


@contextmanager
def _timestamps_as_given() -> Iterator[None]:
    """Let bulk_create keep the past instants we set.

    bulk_create calls every field's pre_save(add=True), and auto_now /
    auto_now_add stamp «now» over the value. Switched off for these fields
    only while the history is written (one command in its own process), and
    restored even on error.
    """
    stamped: list[models.DateTimeField[Any, Any]] = []
    for model, name in (
        (Ticket, "created_at"),
        (Ticket, "updated_at"),
        (Message, "created_at"),
        (TicketLink, "created_at"),
        (CsatResponse, "created_at"),
        (Contact, "created_at"),
        (ClientAccount, "created_at"),
    ):
        stamped.append(cast(models.DateTimeField[Any, Any], model._meta.get_field(name)))
    saved = [(f, f.auto_now, f.auto_now_add) for f in stamped]
    try:
        for f in stamped:
            f.auto_now = f.auto_now_add = False
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


@transaction.atomic
def _write(stories: list[Story]) -> None:
    """One batch: tickets, then their messages, clocks, CSAT answers, links and stale marks."""
    tickets = [s.ticket for s in stories]
    made = Ticket.objects.bulk_create(tickets, batch_size=1000)
    if made and made[0].pk is None:  # backends without RETURNING
        pks = dict(
            Ticket.objects.filter(number__in=[t.number for t in tickets]).values_list(
                "number", "pk"
            )
        )
        for ticket in tickets:
            ticket.pk = pks[ticket.number]
    messages: list[Message] = []
    clocks: list[Clock] = []
    answers: list[CsatResponse] = []
    links: list[TicketLink] = []
    for story in stories:
        pk = story.ticket.pk
        if story.entry is not None:
            story.entry.pk = pk
        for message in story.messages:
            message.ticket_id = pk
            messages.append(message)
        for clock in story.clocks:
            clock.ticket_id = pk
            clocks.append(clock)
        if story.csat is not None:
            story.csat.ticket_id = pk
            answers.append(story.csat)
        if story.repeat_of is not None and story.repeat_of.pk is not None:
            links.append(
                TicketLink(
                    source_id=pk,
                    target_id=story.repeat_of.pk,
                    kind=TicketLink.Kind.REPEAT,
                    created_at=story.ticket.created_at,
                )
            )
    Message.objects.bulk_create(messages, batch_size=2000)
    Clock.objects.bulk_create(clocks, batch_size=2000)
    CsatResponse.objects.bulk_create(answers, batch_size=2000)
    TicketLink.objects.bulk_create(links, batch_size=2000)
    tickets_stale(t.pk for t in tickets)


def history_generate(
    *,
    tickets: int,
    days: int,
    seed: int = 7,
    end: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write `tickets` past tickets over the `days` local days ending with `end` (yesterday).

    Their state is as it stood at the end of `end`: older tickets are closed,
    the last days' still new, open, waiting or resolved. Deterministic for
    (seed, end, the database's staff, clients, categories and policies).
    Returns the number of tickets written. Demo and benchmark data only.
    """
    if tickets <= 0:
        return 0
    if days <= 0:
        raise ValueError("days must be positive")
    zone = company_zone()
    end = end or company_today() - dt.timedelta(days=1)
    first_day = end - dt.timedelta(days=days - 1)
    since = dt.datetime(first_day.year, first_day.month, first_day.day, tzinfo=zone)
    cutoff = _at(zone, end + dt.timedelta(days=1), 0)
    rng = random.Random(seed)  # noqa: S311 -- reproducible fake data, not security
    world = _world_load(tickets, since)
    plans = _plan(world, rng, tickets=tickets, first=first_day, days=days)
    teller = Storyteller(world, rng, cutoff)
    number = sequence_next("ticket", start=TICKET_NUMBER_START, count=tickets)
    with _timestamps_as_given():
        batch: list[Story] = []
        made = 0
        for plan in plans:
            teller.day_subjects = plan.subject_cum
            for created, incident in _arrivals(world, plan, rng):
                batch.append(teller.story(created, incident, number + made + len(batch)))
                if len(batch) >= BATCH:
                    _write(batch)
                    made += len(batch)
                    batch = []
                    if progress:
                        progress(made)
        if batch:
            _write(batch)
            made += len(batch)
            if progress:
                progress(made)
    return made
