"""Changes to client accounts and contacts."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from opora.clients.models import ClientAccount, Contact


@transaction.atomic
def contact_find_or_create(
    *, email: str, full_name: str = "", client: ClientAccount | None = None
) -> Contact:
    """The contact with this email (case-insensitive), created if new; joined to `client`.

    Channels and staff forms both arrive here, so one person is one contact.
    """
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise ValidationError({"email": _("Enter a valid email address.")}) from error
    contact = Contact.objects.filter(email__iexact=email).order_by("pk").first()
    if contact is None:
        contact = Contact.objects.create(email=email, full_name=full_name.strip() or email)
    if client is not None:
        contact.accounts.add(client)
    return contact
