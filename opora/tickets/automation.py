"""Macros (canned replies with variables and actions) and rules (triggers).

Macro text uses `{{ variable }}` placeholders from a fixed list, substituted
as plain text: no template language reaches user-authored content, so a
macro cannot call methods or read anything beyond the list.

A rule is data: conditions [{"field", "op", "value"}] and actions
[{"action", "value"}]. `rule_validate` turns what a person typed (a queue's
name, a user's email) into stored ids and rejects anything unknown, so a
stored rule always runs.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opora.accounts.models import Team, User
from opora.clients.models import ClientAccount
from opora.core.audit import audit_record, diff, snapshot
from opora.tickets.models import Category, Macro, Message, Rule, RuleRun, Ticket, TicketType

# --- Macros ------------------------------------------------------------------

MACRO_VARIABLES: dict[str, Any] = {
    "ticket.number": gettext_lazy("ticket number, e.g. OP-10234"),
    "ticket.subject": gettext_lazy("ticket subject"),
    "ticket.status": gettext_lazy("ticket status"),
    "contact.first_name": gettext_lazy("client contact's first name"),
    "contact.name": gettext_lazy("client contact's full name"),
    "client.name": gettext_lazy("client company"),
    "agent.first_name": gettext_lazy("your first name"),
    "agent.name": gettext_lazy("your full name"),
}
VARIABLE_RE = re.compile(r"{{\s*([a-z_]+\.[a-z_]+)\s*}}")
MACRO_FIELDS = (
    "name",
    "body",
    "is_shared",
    "set_status",
    "set_priority",
    "add_tags",
    "assign_to_self",
    "internal",
    "script",
)


def macro_render(*, text: str, ticket: Ticket, agent: User) -> str:
    contact = ticket.requester
    values = {
        "ticket.number": ticket.reference,
        "ticket.subject": ticket.subject,
        "ticket.status": str(ticket.get_status_display()),
        "contact.first_name": contact.first_name if contact else "",
        "contact.name": contact.full_name if contact else "",
        "client.name": ticket.client.name if ticket.client else "",
        "agent.first_name": agent.full_name.split()[0] if agent.full_name.split() else "",
        "agent.name": agent.full_name,
    }
    return VARIABLE_RE.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def macro_text(macro: Macro) -> str:
    """The macro's text: its knowledge-base script's published text when it has one."""
    if macro.script_id is not None:
        from opora.knowledge.selectors import script_text

        assert macro.script is not None  # noqa: S101 -- script_id is set
        published = script_text(macro.script)
        if published is not None:
            return published
    return macro.body


def macro_clean(fields: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    unknown = sorted(
        {m for m in VARIABLE_RE.findall(fields.get("body", "")) if m not in MACRO_VARIABLES}
    )
    if unknown:
        errors["body"] = _("Unknown variables: %(names)s.") % {"names": ", ".join(unknown)}
    if fields.get("set_status") and fields["set_status"] not in Ticket.Status.values:
        errors["set_status"] = _("Unknown status.")
    if fields.get("set_priority") and fields["set_priority"] not in Ticket.Priority.values:
        errors["set_priority"] = _("Unknown priority.")
    has_action = any(
        fields.get(name) for name in ("set_status", "set_priority", "add_tags", "assign_to_self")
    )
    if not fields.get("body", "").strip() and not has_action and not fields.get("script"):
        errors["body"] = _("A macro needs a text or at least one action.")
    if errors:
        raise ValidationError(errors)
    return fields


def macros_for(user: User) -> QuerySet[Macro]:
    """The macros `user` may use: their own and the shared ones."""
    return Macro.objects.filter(Q(owner=user) | Q(is_shared=True)).select_related("owner")


def macro_can_edit(user: User, macro: Macro) -> bool:
    from opora.core.access import Perm, has_perm

    return macro.owner_id == user.pk or (macro.is_shared and has_perm(user, Perm.MANAGE_AUTOMATION))


@transaction.atomic
def macro_create(*, owner: User, **fields: Any) -> Macro:
    from opora.core.access import Perm, has_perm

    unknown = set(fields) - set(MACRO_FIELDS)
    if unknown:
        raise TypeError(f"macro_create cannot set {sorted(unknown)}")
    if fields.get("is_shared") and not has_perm(owner, Perm.MANAGE_AUTOMATION):
        raise ValidationError(
            {"is_shared": _("Only team leads and heads of support share macros.")}
        )
    macro = Macro(owner=owner, **macro_clean(fields))
    macro.full_clean()
    macro.save()
    audit_record(actor=owner, action="macro.create", target=macro)
    return macro


@transaction.atomic
def macro_update(*, macro: Macro, actor: User, **fields: Any) -> Macro:
    from opora.core.access import Perm, has_perm

    unknown = set(fields) - set(MACRO_FIELDS)
    if unknown:
        raise TypeError(f"macro_update cannot set {sorted(unknown)}")
    macro = Macro.objects.select_for_update().get(pk=macro.pk)
    if not macro_can_edit(actor, macro):
        raise PermissionDenied
    sharing = fields.get("is_shared") and not macro.is_shared
    if sharing and not has_perm(actor, Perm.MANAGE_AUTOMATION):
        raise ValidationError(
            {"is_shared": _("Only team leads and heads of support share macros.")}
        )
    macro_clean(fields)
    before = snapshot(macro, MACRO_FIELDS)
    for name, value in fields.items():
        setattr(macro, name, value)
    macro.full_clean()
    macro.save()
    audit_record(
        actor=actor,
        action="macro.update",
        target=macro,
        changes=diff(before, snapshot(macro, MACRO_FIELDS)),
    )
    return macro


@transaction.atomic
def macro_delete(*, macro: Macro, actor: User) -> None:
    if not macro_can_edit(actor, macro):
        raise PermissionDenied
    audit_record(actor=actor, action="macro.delete", target=macro)
    macro.delete()


@transaction.atomic
def macro_apply(
    *, macro: Macro, ticket: Ticket, agent: User, body: str | None = None
) -> Message | None:
    """Post the macro's text (as edited by the agent, if given) and apply its actions."""
    from opora.tickets import services

    text = (
        macro_render(text=macro_text(macro), ticket=ticket, agent=agent) if body is None else body
    )
    message = None
    if text.strip():
        message = services.ticket_reply(
            ticket=ticket,
            author=agent,
            body=text,
            internal=macro.internal,
            status=macro.set_status or None,
        )
    changes: dict[str, Any] = {}
    if macro.set_priority:
        changes["priority"] = macro.set_priority
    if macro.assign_to_self:
        changes["assignee"] = agent
    if macro.set_status and message is None:
        changes["status"] = macro.set_status
    if changes:
        services.ticket_update(ticket=ticket, actor=agent, **changes)
    if macro.tag_list:
        services.ticket_add_tags(ticket=ticket, names=macro.tag_list, actor=agent)
    services.event_record(ticket, agent, "macro", "", macro.name)
    Macro.objects.filter(pk=macro.pk).update(usage_count=F("usage_count") + 1)
    return message


# --- Rules: the vocabulary ---------------------------------------------------


@dataclass(frozen=True)
class RuleField:
    label: Any
    ops: tuple[str, ...]
    # Turns what a person typed into the stored value; raises ValidationError.
    parse: Callable[[str], str]
    # The ticket's current value(s) to compare with.
    read: Callable[[Ticket, str], Any]


def _choice(choices: Any) -> Callable[[str], str]:
    def parse(text: str) -> str:
        text = text.strip()
        for value, label in choices:
            if text.lower() in (value, str(label).lower()):
                return str(value)
        raise ValidationError(
            _("Choose one of: %(options)s.")
            % {"options": ", ".join(str(label) for _value, label in choices)}
        )

    return parse


def _by_name(model: Any, lookups: tuple[str, ...], *, message: Any) -> Callable[[str], str]:
    def parse(text: str) -> str:
        text = text.strip()
        # Compared in Python: SQLite's iexact folds only Latin letters, and
        # these tables (types, categories, queues, clients) are small.
        wanted = text.casefold()
        rows = list(model.objects.all())
        for lookup in lookups:
            found = [row for row in rows if str(getattr(row, lookup)).casefold() == wanted]
            if len(found) == 1:
                return str(found[0].pk)
        # Stored ids (a rule saved before a rename) are accepted after names.
        if text.isdigit() and any(row.pk == int(text) for row in rows):
            return text
        raise ValidationError(str(message) % {"value": text})

    return parse


def _text(text: str) -> str:
    if not text.strip():
        raise ValidationError(_("Enter some text."))
    return text.strip().lower()


def _yes_no(text: str) -> str:
    value = text.strip().lower()
    if value in ("yes", "да", "true", "1"):
        return "yes"
    if value in ("no", "нет", "false", "0"):
        return "no"
    raise ValidationError(_("Enter «yes» or «no»."))


def is_business_hours(at: dt.datetime, ticket: Ticket | None = None) -> bool:
    """Whether `at` is working time on the ticket's queue calendar (else the default one).

    The production calendar decides: holidays, moved and shortened days count.
    """
    from opora.sla import services as sla

    calendar_id = (
        sla.default_calendar_id(ticket) if ticket is not None else sla.default_calendar_id_any()
    )
    return sla.working_time(calendar_id).is_working(at.timestamp())


EQUALITY = ("is", "is_not")
TEXT = ("contains", "not_contains")

RULE_FIELDS: dict[str, RuleField] = {
    "subject": RuleField(gettext_lazy("Subject"), TEXT, _text, lambda t, body: t.subject.lower()),
    "text": RuleField(
        gettext_lazy("Subject or text"),
        TEXT,
        _text,
        lambda t, body: f"{t.subject}\n{body}".lower(),
    ),
    "channel": RuleField(
        gettext_lazy("Channel"), EQUALITY, _choice(Ticket.Channel.choices), lambda t, b: t.channel
    ),
    "type": RuleField(
        gettext_lazy("Type"),
        EQUALITY,
        _by_name(
            TicketType, ("code", "name", "name_en"), message=gettext_lazy("No type «%(value)s».")
        ),
        lambda t, b: str(t.type_id),
    ),
    "priority": RuleField(
        gettext_lazy("Priority"),
        EQUALITY,
        _choice(Ticket.Priority.choices),
        lambda t, b: t.priority,
    ),
    "status": RuleField(
        gettext_lazy("Status"), EQUALITY, _choice(Ticket.Status.choices), lambda t, b: t.status
    ),
    "category": RuleField(
        gettext_lazy("Category (with subcategories)"),
        EQUALITY,
        _by_name(Category, ("name",), message=gettext_lazy("No category «%(value)s».")),
        lambda t, b: {str(pk) for pk in t.category.lineage_ids()} if t.category else set(),
    ),
    "team": RuleField(
        gettext_lazy("Queue"),
        EQUALITY,
        _by_name(Team, ("name",), message=gettext_lazy("No queue «%(value)s».")),
        lambda t, b: str(t.team_id or ""),
    ),
    "client": RuleField(
        gettext_lazy("Client"),
        EQUALITY,
        _by_name(ClientAccount, ("name", "inn"), message=gettext_lazy("No client «%(value)s».")),
        lambda t, b: str(t.client_id or ""),
    ),
    "key_client": RuleField(
        gettext_lazy("Key client (yes/no)"),
        EQUALITY,
        _yes_no,
        lambda t, b: "yes" if t.client is not None and t.client.is_key else "no",
    ),
    "tag": RuleField(
        gettext_lazy("Tag"),
        EQUALITY,
        _text,
        lambda t, b: set(t.tags.values_list("name", flat=True)),
    ),
    "business_hours": RuleField(
        gettext_lazy("Within business hours (yes/no)"),
        EQUALITY,
        _yes_no,
        lambda t, b: "yes" if is_business_hours(timezone.now(), t) else "no",
    ),
}

OPERATORS = {
    "is": gettext_lazy("is"),
    "is_not": gettext_lazy("is not"),
    "contains": gettext_lazy("contains"),
    "not_contains": gettext_lazy("does not contain"),
}


@dataclass(frozen=True)
class RuleAction:
    label: Any
    parse: Callable[[str], str]


def _user(text: str) -> str:
    text = text.strip()
    if text.lower() in ("auto", "авто"):
        return "auto"
    user = User.objects.filter(email__iexact=text, is_active=True).first()
    if user is None:
        raise ValidationError(_("No active user with the email «%(value)s».") % {"value": text})
    return str(user.pk)


RULE_ACTIONS: dict[str, RuleAction] = {
    "set_type": RuleAction(gettext_lazy("Set type"), RULE_FIELDS["type"].parse),
    "set_priority": RuleAction(gettext_lazy("Set priority"), RULE_FIELDS["priority"].parse),
    "set_category": RuleAction(gettext_lazy("Set category"), RULE_FIELDS["category"].parse),
    "set_team": RuleAction(gettext_lazy("Move to queue"), RULE_FIELDS["team"].parse),
    "add_tag": RuleAction(gettext_lazy("Add tag"), _text),
    "assign": RuleAction(gettext_lazy("Assign (user's email, or «auto»)"), _user),
    "notify": RuleAction(gettext_lazy("Notify by email (user's email)"), _user),
    "add_note": RuleAction(
        gettext_lazy("Add internal note"), lambda text: text.strip() or _text(text)
    ),
    "escalate": RuleAction(
        gettext_lazy("Escalate (to lead or development)"),
        _choice([(v, label) for v, label in Ticket.EscalationTarget.choices if v != "queue"]),
    ),
}


def rule_validate(
    *, conditions: list[dict[str, str]], actions: list[dict[str, str]]
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Check a rule's rows and convert typed values to stored ones.

    Errors are keyed `conditions-N` / `actions-N` (the row's index) so a form
    can put each message beside its row.
    """
    errors: dict[str, Any] = {}
    clean_conditions, clean_actions = [], []
    for index, row in enumerate(conditions):
        spec = RULE_FIELDS.get(row.get("field", ""))
        if spec is None:
            errors[f"conditions-{index}"] = _("Unknown field.")
            continue
        if row.get("op") not in spec.ops:
            errors[f"conditions-{index}"] = _("This comparison does not apply to the field.")
            continue
        try:
            value = spec.parse(row.get("value", ""))
        except ValidationError as error:
            errors[f"conditions-{index}"] = error.messages[0]
            continue
        clean_conditions.append({"field": row["field"], "op": row["op"], "value": value})
    for index, row in enumerate(actions):
        action = RULE_ACTIONS.get(row.get("action", ""))
        if action is None:
            errors[f"actions-{index}"] = _("Unknown action.")
            continue
        try:
            value = action.parse(row.get("value", ""))
        except ValidationError as error:
            errors[f"actions-{index}"] = error.messages[0]
            continue
        clean_actions.append({"action": row["action"], "value": value})
    if not clean_actions and not errors:
        errors["actions"] = _("A rule needs at least one action.")
    if errors:
        raise ValidationError(errors)
    return clean_conditions, clean_actions


# Rule values that are ids, by the field or action they belong to.
RULE_VALUE_MODELS: dict[str, Any] = {
    "type": TicketType,
    "set_type": TicketType,
    "category": Category,
    "set_category": Category,
    "team": Team,
    "set_team": Team,
    "client": ClientAccount,
    "assign": User,
    "notify": User,
}


def value_label(kind: str, value: str) -> str:
    """A stored id as a person reads it (a rule's log line); lists batch this themselves."""
    model = RULE_VALUE_MODELS.get(kind)
    if model is None or not value.isdigit():
        return value
    found = model.objects.filter(pk=int(value)).first()
    return str(found) if found is not None else value


def condition_holds(ticket: Ticket, body: str, condition: dict[str, str]) -> bool:
    spec = RULE_FIELDS[condition["field"]]
    current = spec.read(ticket, body)
    value, op = condition["value"], condition["op"]
    if op in ("contains", "not_contains"):
        found = value in current
        return found if op == "contains" else not found
    matches = value in current if isinstance(current, set) else current == value
    return matches if op == "is" else not matches


def rule_matches(rule: Rule, ticket: Ticket, body: str) -> bool:
    if not rule.conditions:
        return True
    results = (condition_holds(ticket, body, c) for c in rule.conditions)
    return all(results) if rule.match_all else any(results)


# --- Rules: running ----------------------------------------------------------


def _act(ticket: Ticket, action: dict[str, str]) -> str:
    """Apply one action to a locked ticket; return what was done, for the log."""
    from opora.tickets import assignment, services, tasks

    kind, value = action["action"], action["value"]
    label = f"{RULE_ACTIONS[kind].label}: {value_label(kind, value)}"
    fields = {"set_type": "type", "set_category": "category", "set_team": "team"}
    if kind in fields:
        model: Any = {"type": TicketType, "category": Category, "team": Team}[fields[kind]]
        target = model.objects.filter(pk=int(value)).first()
        if target is None:
            return f"{label} — {_('no longer exists, skipped')}"
        services.ticket_apply_changes(ticket=ticket, actor=None, changes={fields[kind]: target})
    elif kind == "set_priority":
        services.ticket_apply_changes(ticket=ticket, actor=None, changes={"priority": value})
    elif kind == "add_tag":
        services.ticket_add_tags(ticket=ticket, names=[value], actor=None)
    elif kind == "assign":
        if value == "auto":
            previous = ticket.assignee
            ticket.assignee = None
            if assignment.ticket_auto_assign(ticket=ticket) is None:
                ticket.assignee = previous
                return f"{label} — {_('nobody in the queue can take it, skipped')}"
        else:
            user = User.objects.filter(pk=int(value), is_active=True).first()
            if user is None:
                return f"{label} — {_('no longer active, skipped')}"
            services.ticket_apply_changes(ticket=ticket, actor=None, changes={"assignee": user})
    elif kind == "notify":
        user = User.objects.filter(pk=int(value), is_active=True).first()
        if user is None:
            return f"{label} — {_('no longer active, skipped')}"
        tasks.enqueue_staff_notification(user=user, ticket=ticket, kind="rule", text="")
    elif kind == "add_note":
        Message.objects.create(ticket=ticket, kind=Message.Kind.NOTE, body=value)
    elif kind == "escalate":
        services.ticket_apply_changes(ticket=ticket, actor=None, changes={"is_escalated": True})
        Ticket.objects.filter(pk=ticket.pk).update(escalation_target=value)
        ticket.escalation_target = value
    return label


def rules_run(
    *, ticket: Ticket, event: str, body: str | None = None, actor: User | None = None
) -> list[RuleRun]:
    """Run the enabled rules for `event` on `ticket` in order; log each that fires.

    Call inside the transaction that changed the ticket. Changes made by
    rules do not trigger rules again (one pass), so rules cannot loop.
    """
    from opora.tickets import services

    rules = Rule.objects.filter(is_active=True, event__in=[event, Rule.Event.ANY])
    runs = []
    if body is None:
        first = ticket.messages.order_by("id").first()
        body = first.body if first else ""
    for rule in rules:
        if not rule_matches(rule, ticket, body):
            continue
        done = [_act(ticket, action) for action in rule.actions]
        runs.append(
            RuleRun.objects.create(
                rule=rule, rule_name=rule.name, ticket=ticket, event=event, summary="\n".join(done)
            )
        )
        services.event_record(ticket, None, "rule", "", rule.name)
        if rule.stop_processing:
            break
    return runs


RULE_FIELDS_AUDITED = (
    "name",
    "position",
    "is_active",
    "event",
    "match_all",
    "conditions",
    "actions",
    "stop_processing",
)


def _rule_fields_check(fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(RULE_FIELDS_AUDITED)
    if unknown:
        raise TypeError(f"rules cannot set {sorted(unknown)}")


@transaction.atomic
def rule_create(
    *, actor: User, conditions: list[dict[str, str]], actions: list[dict[str, str]], **fields: Any
) -> Rule:
    _rule_fields_check(fields)
    conditions, actions = rule_validate(conditions=conditions, actions=actions)
    if "position" not in fields:
        last = Rule.objects.order_by("-position").values_list("position", flat=True).first()
        fields["position"] = (last or 0) + 10
    rule = Rule.objects.create(conditions=conditions, actions=actions, **fields)
    audit_record(actor=actor, action="rule.create", target=rule)
    return rule


@transaction.atomic
def rule_update(
    *,
    rule: Rule,
    actor: User,
    conditions: list[dict[str, str]],
    actions: list[dict[str, str]],
    **fields: Any,
) -> Rule:
    _rule_fields_check(fields)
    conditions, actions = rule_validate(conditions=conditions, actions=actions)
    rule = Rule.objects.select_for_update().get(pk=rule.pk)
    before = snapshot(rule, RULE_FIELDS_AUDITED)
    for name, value in {**fields, "conditions": conditions, "actions": actions}.items():
        setattr(rule, name, value)
    rule.save()
    audit_record(
        actor=actor,
        action="rule.update",
        target=rule,
        changes=diff(before, snapshot(rule, RULE_FIELDS_AUDITED)),
    )
    return rule


@transaction.atomic
def rule_delete(*, rule: Rule, actor: User) -> None:
    audit_record(actor=actor, action="rule.delete", target=rule)
    rule.delete()


@transaction.atomic
def rule_move(*, rule: Rule, actor: User, up: bool) -> None:
    """Swap the rule with its neighbour in the order."""
    rules = list(Rule.objects.select_for_update().order_by("position", "id"))
    index = next(i for i, r in enumerate(rules) if r.pk == rule.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(rules):
        return
    old_position = rules[index].position
    rules[index], rules[other] = rules[other], rules[index]
    new_position = old_position
    for position, item in enumerate(rules, start=1):
        if item.pk == rule.pk:
            new_position = position * 10
        if item.position != position * 10:
            Rule.objects.filter(pk=item.pk).update(position=position * 10)
    audit_record(
        actor=actor,
        action="rule.move",
        target=rule,
        changes={"position": [old_position, new_position]},
    )
