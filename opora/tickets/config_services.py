"""Changes to how tickets are handled: closing criteria, custom fields, resolution
codes, queue assignment modes and operators' capacity and skills.

Macros and rules are changed through `automation.py`, blocked senders through
`services.py`. Every function here runs in one transaction and writes the
general audit trail (configuration is not part of any ticket's history).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from opora.accounts.models import Team, User
from opora.core.audit import audit_record, audited_update, diff, snapshot
from opora.tickets.models import (
    Category,
    CustomField,
    OperatorProfile,
    QueueSettings,
    ResolutionCode,
    Tag,
    Ticket,
    TicketSettings,
)

TICKET_SETTINGS_FIELDS = (
    "require_category_to_resolve",
    "require_resolution_to_resolve",
    "auto_close_days",
    "repeat_window_days",
)
CUSTOM_FIELD_FIELDS = ("label", "kind", "options", "required_to_resolve", "position", "is_active")
RESOLUTION_CODE_FIELDS = ("name", "name_en", "position", "is_active")
# Only these roles take tickets from a queue (see assignment.candidates_for).
ASSIGNABLE_ROLES = (User.Role.OPERATOR, User.Role.LEAD)


def _no_active_resolution_codes_error() -> ValidationError:
    return ValidationError(
        _("Tickets could not be resolved: a resolution code is required and none would be active.")
    )


# --- Closing criteria, auto-close, repeat contacts -----------------------------


@transaction.atomic
def ticket_settings_update(*, actor: User, **fields: Any) -> TicketSettings:
    """Change the company's ticket settings (the single TicketSettings row)."""
    TicketSettings.load()  # the row exists from here on, so it can be locked
    settings = TicketSettings.objects.select_for_update().get(pk=1)
    if (
        fields.get("require_resolution_to_resolve")
        and not ResolutionCode.objects.filter(is_active=True).exists()
    ):
        raise ValidationError(
            {"require_resolution_to_resolve": _no_active_resolution_codes_error()}
        )
    return audited_update(
        instance=settings,
        fields=fields,
        allowed=TICKET_SETTINGS_FIELDS,
        audited=TICKET_SETTINGS_FIELDS,
        actor=actor,
        action="ticket_settings.update",
    )


# --- Custom fields -------------------------------------------------------------


def _category_names(categories: Iterable[Category]) -> list[str]:
    return sorted(str(category) for category in categories)


def _custom_field_check(custom: CustomField) -> None:
    """Rules beyond the model's own validation; call before saving."""
    custom.options = "\n".join(custom.option_list)
    if custom.kind == CustomField.Kind.CHOICE and not custom.option_list:
        raise ValidationError({"options": _("A choice field needs at least one option.")})


@transaction.atomic
def custom_field_create(
    *,
    actor: User,
    code: str,
    label: str,
    kind: str,
    options: str = "",
    categories: Iterable[Category] = (),
    required_to_resolve: bool = False,
    position: int = 0,
    is_active: bool = True,
) -> CustomField:
    """Add a ticket field shown on `categories` (on every ticket when there are none).

    The code is the key of the values stored on tickets, so it is fixed from here on.
    """
    custom = CustomField(
        code=code.strip().lower(),
        label=label.strip(),
        kind=kind,
        options=options,
        required_to_resolve=required_to_resolve,
        position=position,
        is_active=is_active,
    )
    _custom_field_check(custom)
    custom.full_clean()
    custom.save()
    categories = list(categories)
    custom.categories.set(categories)
    after = {
        **snapshot(custom, ("code", *CUSTOM_FIELD_FIELDS)),
        "categories": _category_names(categories),
    }
    audit_record(actor=actor, action="custom_field.create", target=custom, changes=diff({}, after))
    return custom


@transaction.atomic
def custom_field_update(
    *,
    custom: CustomField,
    actor: User,
    categories: Iterable[Category] | None = None,
    **fields: Any,
) -> CustomField:
    """Change a custom field; its code never changes (tickets store values by it).

    Its kind cannot change once tickets hold values for it: those values were
    checked against the old kind (a text would not become a number).
    """
    unknown = set(fields) - set(CUSTOM_FIELD_FIELDS)
    if unknown:
        raise TypeError(f"custom_field_update cannot change {sorted(unknown)}")
    custom = CustomField.objects.select_for_update().get(pk=custom.pk)
    before = {
        **snapshot(custom, CUSTOM_FIELD_FIELDS),
        "categories": _category_names(custom.categories.select_related("parent")),
    }
    if (
        fields.get("kind", custom.kind) != custom.kind
        and Ticket.objects.filter(custom_fields__has_key=custom.code).exists()
    ):
        raise ValidationError(
            {"kind": _("Tickets already hold values of this field, so its kind cannot change.")}
        )
    for name, value in fields.items():
        setattr(custom, name, value)
    _custom_field_check(custom)
    custom.full_clean()
    custom.save()
    if categories is not None:
        categories = list(categories)
        custom.categories.set(categories)
    after = {
        **snapshot(custom, CUSTOM_FIELD_FIELDS),
        "categories": _category_names(custom.categories.select_related("parent")),
    }
    changes = diff(before, after)
    if changes:
        audit_record(actor=actor, action="custom_field.update", target=custom, changes=changes)
    return custom


# --- Resolution codes ----------------------------------------------------------


@transaction.atomic
def resolution_code_create(
    *, actor: User, name: str, name_en: str = "", position: int | None = None
) -> ResolutionCode:
    """Add a resolution code, last in the list unless a position is given."""
    if position is None:
        last = ResolutionCode.objects.order_by("-position").values_list("position", flat=True)
        position = (last.first() or 0) + 10
    code = ResolutionCode(name=name.strip(), name_en=name_en.strip(), position=position)
    code.full_clean()
    code.save()
    audit_record(
        actor=actor,
        action="resolution_code.create",
        target=code,
        changes=diff({}, snapshot(code, RESOLUTION_CODE_FIELDS)),
    )
    return code


@transaction.atomic
def resolution_code_update(*, code: ResolutionCode, actor: User, **fields: Any) -> ResolutionCode:
    """Rename, reorder or (de)activate a resolution code.

    Tickets keep a deactivated code; it is only no longer offered. The last
    active code cannot go while the settings require one to resolve a ticket.
    """
    code = ResolutionCode.objects.select_for_update().get(pk=code.pk)
    if (
        "is_active" in fields
        and not fields["is_active"]
        and code.is_active
        and TicketSettings.load().require_resolution_to_resolve
        and not ResolutionCode.objects.filter(is_active=True).exclude(pk=code.pk).exists()
    ):
        raise ValidationError({"is_active": _no_active_resolution_codes_error()})
    for name in ("name", "name_en"):
        if name in fields:
            fields[name] = fields[name].strip()
    return audited_update(
        instance=code,
        fields=fields,
        allowed=RESOLUTION_CODE_FIELDS,
        audited=RESOLUTION_CODE_FIELDS,
        actor=actor,
        action="resolution_code.update",
    )


# --- Assignment ----------------------------------------------------------------


@transaction.atomic
def queue_settings_update(*, team: Team, actor: User, assignment: str) -> QueueSettings:
    """Set how new tickets in `team`'s queue find an assignee."""
    queue, _created = QueueSettings.objects.select_for_update().get_or_create(team=team)
    return audited_update(
        instance=queue,
        fields={"assignment": assignment},
        allowed=("assignment",),
        audited=("assignment",),
        actor=actor,
        action="queue_settings.update",
    )


@transaction.atomic
def operator_profile_update(
    *,
    user: User,
    actor: User,
    capacity: int,
    skill_tags: Sequence[str],
    skill_categories: Iterable[Category],
) -> OperatorProfile:
    """Set an operator's cap on open tickets and the skills routing matches them by.

    Skill tags must exist (a misspelt skill would silently match no ticket).
    """
    if user.role not in ASSIGNABLE_ROLES:
        raise ValidationError(_("Only operators and team leads take tickets from a queue."))
    names = sorted({name.strip().lower() for name in skill_tags if name.strip()})
    tags = list(Tag.objects.filter(name__in=names))
    unknown = sorted(set(names) - {tag.name for tag in tags})
    if unknown:
        raise ValidationError(
            {"skill_tags": _("No such tags: %(names)s.") % {"names": ", ".join(unknown)}}
        )
    profile, _created = OperatorProfile.objects.select_for_update().get_or_create(user=user)
    before = {
        "capacity": profile.capacity,
        "skill_tags": sorted(tag.name for tag in profile.skill_tags.all()),
        "skill_categories": _category_names(profile.skill_categories.select_related("parent")),
    }
    profile.capacity = capacity
    profile.full_clean()
    profile.save()
    skill_categories = list(skill_categories)
    profile.skill_tags.set(tags)
    profile.skill_categories.set(skill_categories)
    after = {
        "capacity": profile.capacity,
        "skill_tags": names,
        "skill_categories": _category_names(skill_categories),
    }
    changes = diff(before, after)
    if changes:
        audit_record(actor=actor, action="operator_profile.update", target=profile, changes=changes)
    return profile
