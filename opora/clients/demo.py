"""The demo company's clients and their contacts (idempotent)."""

from __future__ import annotations

from django.db import transaction

from opora.accounts.models import User
from opora.clients.models import ClientAccount, Contact

CLIENTS = [
    ("ООО «Северный ветер»", "7701234567", True),
    ("АО «ТехноСфера»", "7809876543", False),
    ("ИП Кузьмина Т. А.", "502712345678", False),
    ("ООО «Вкусная доставка»", "7714567890", True),
    ("ГК «Уральские заводы»", "6658123456", False),
]

# full name, email, phone, client index
CONTACTS = [
    ("Павел Николаев", "p.nikolaev@sev-veter.ru", "+7 916 123-45-67", 0),
    ("Ирина Белова", "belova@sev-veter.ru", "+7 916 765-43-21", 0),
    ("Андрей Фёдоров", "fedorov@technosphere.ru", "+7 921 555-12-34", 1),
    ("Татьяна Кузьмина", "t.kuzmina@mail.ru", "+7 903 111-22-33", 2),
    ("Роман Гусев", "gusev@vkusdostavka.ru", "+7 925 444-55-66", 3),
    ("Светлана Романова", "romanova@vkusdostavka.ru", "", 3),
    ("Олег Захаров", "zakharov@uralzavod.ru", "+7 343 222-33-44", 4),
]


@transaction.atomic
def seed_clients() -> list[Contact]:
    manager = User.objects.filter(role=User.Role.ACCOUNT_MANAGER).first()
    curator = User.objects.filter(role=User.Role.LEAD).first()
    accounts = []
    for name, inn, is_key in CLIENTS:
        account, _ = ClientAccount.objects.get_or_create(
            name=name,
            defaults={
                "inn": inn,
                "is_key": is_key,
                "account_manager": manager,
                "backup_curator": curator,
            },
        )
        accounts.append(account)
    contacts = []
    for full_name, email, phone, index in CONTACTS:
        contact, created = Contact.objects.get_or_create(
            email=email, defaults={"full_name": full_name, "phone": phone}
        )
        if created:
            contact.accounts.add(accounts[index])
        contacts.append(contact)
    return contacts
