"""Screens that configure ticket handling: macros, rules, assignment, ticket settings.

Each view checks the capability, validates the form's shape, makes one
service call and redirects; the services decide what is allowed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from opora.accounts.models import Team, User
from opora.core.access import Perm, has_perm, require_perm
from opora.core.forms import apply_validation_error
from opora.core.http import AuthedRequest, redirect_after
from opora.tickets import automation, config_services, services
from opora.tickets.assignment import DEFAULT_CAPACITY
from opora.tickets.models import (
    BlockedSender,
    Category,
    CustomField,
    Macro,
    OperatorProfile,
    QueueSettings,
    ResolutionCode,
    Rule,
    Ticket,
    TicketSettings,
)
from opora.tickets.settings_forms import (
    BlockedSenderForm,
    CustomFieldForm,
    MacroForm,
    OperatorProfileForm,
    QueueSettingsForm,
    ResolutionCodeEditForm,
    ResolutionCodeForm,
    RuleEditor,
    TicketSettingsForm,
)

# The settings screens link to each other; each person sees the ones they may open.
TABS: list[tuple[str | Promise, str, Perm]] = [
    (gettext_lazy("Macros"), "tickets:macro-list", Perm.WORK_TICKETS),
    (gettext_lazy("Rules"), "tickets:rule-list", Perm.MANAGE_AUTOMATION),
    (gettext_lazy("Assignment"), "tickets:assignment", Perm.MANAGE_AUTOMATION),
    (gettext_lazy("Blocked senders"), "tickets:blocked-list", Perm.MANAGE_AUTOMATION),
    (gettext_lazy("Ticket settings"), "tickets:settings", Perm.MANAGE_TICKET_SETTINGS),
]


def _tabs(request: AuthedRequest, current: str) -> list[dict[str, Any]]:
    tabs = [
        {"label": label, "url": reverse(name), "current": name == current}
        for label, name, perm in TABS
        if has_perm(request.user, perm)
    ]
    return tabs if len(tabs) > 1 else []


# --- Macros --------------------------------------------------------------------


def _editable_macro(request: AuthedRequest, pk: int) -> Macro:
    """A macro the user may see (else 404) and change (else 403)."""
    macro = get_object_or_404(automation.macros_for(request.user), pk=pk)
    if not automation.macro_can_edit(request.user, macro):
        raise PermissionDenied
    return macro


@require_perm(Perm.WORK_TICKETS)
def macro_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    statuses, priorities = dict(Ticket.Status.choices), dict(Ticket.Priority.choices)
    ctx = {
        "rows": [
            {
                "macro": macro,
                "can_edit": automation.macro_can_edit(user, macro),
                "status": statuses.get(macro.set_status, macro.set_status),
                "priority": priorities.get(macro.set_priority, macro.set_priority),
            }
            for macro in automation.macros_for(user)
        ],
        "tabs": _tabs(request, "tickets:macro-list"),
    }
    return render(request, "tickets/settings/macro_list.html", ctx)


@require_perm(Perm.WORK_TICKETS)
def macro_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    macro = _editable_macro(request, pk) if pk else None
    initial = {name: getattr(macro, name) for name in automation.MACRO_FIELDS} if macro else {}
    form = MacroForm(
        request.POST or None,
        initial=initial,
        can_share=has_perm(request.user, Perm.MANAGE_AUTOMATION),
    )
    if request.method == "POST" and form.is_valid():
        try:
            if macro is None:
                automation.macro_create(owner=request.user, **form.cleaned_data)
            else:
                automation.macro_update(macro=macro, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("The macro is saved."))
            return redirect("tickets:macro-list")
    return render(request, "tickets/settings/macro_form.html", {"form": form, "macro": macro})


@require_POST
@require_perm(Perm.WORK_TICKETS)
def macro_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    macro = _editable_macro(request, pk)
    automation.macro_delete(macro=macro, actor=request.user)
    messages.success(request, _("The macro «%(name)s» is deleted.") % {"name": macro.name})
    return redirect_after(request, "tickets:macro-list")


# --- Rules ---------------------------------------------------------------------

RULE_VALUE_MODELS = automation.RULE_VALUE_MODELS
RULE_VALUE_CHOICES: dict[str, Any] = {
    "channel": Ticket.Channel.choices,
    "priority": Ticket.Priority.choices,
    "set_priority": Ticket.Priority.choices,
    "status": Ticket.Status.choices,
    "escalate": Ticket.EscalationTarget.choices,
}
RULE_VALUE_WORDS = {
    "yes": gettext_lazy("yes"),
    "no": gettext_lazy("no"),
    "auto": gettext_lazy("automatically"),
}


def _rule_rows(rules: Sequence[Rule]) -> list[dict[str, Any]]:
    """Each rule with its conditions and actions in words.

    Like `automation.value_label`, but one query per kind of object for the
    whole list rather than one per value.
    """
    wanted: dict[Any, set[int]] = defaultdict(set)
    for rule in rules:
        for kind, value in [(c["field"], c["value"]) for c in rule.conditions] + [
            (a["action"], a["value"]) for a in rule.actions
        ]:
            if kind in RULE_VALUE_MODELS and str(value).isdigit():
                wanted[RULE_VALUE_MODELS[kind]].add(int(value))
    names: dict[tuple[Any, str], str] = {}
    for model, ids in wanted.items():
        rows = model.objects.filter(pk__in=ids)
        if model is Category:
            rows = rows.select_related("parent__parent")
        names.update({(model, str(row.pk)): str(row) for row in rows})

    def label(kind: str, value: str) -> str:
        if kind in RULE_VALUE_CHOICES:
            return str(dict(RULE_VALUE_CHOICES[kind]).get(value, value))
        if kind in RULE_VALUE_MODELS and value.isdigit():
            return names.get((RULE_VALUE_MODELS[kind], value), value)
        return str(RULE_VALUE_WORDS.get(value, value))

    def spec_label(table: dict[str, Any], key: str) -> str:
        return str(table[key].label) if key in table else key

    return [
        {
            "rule": rule,
            "conditions": [
                {
                    "field": spec_label(automation.RULE_FIELDS, c["field"]),
                    "op": str(automation.OPERATORS.get(c["op"], c["op"])),
                    "value": label(c["field"], c["value"]),
                }
                for c in rule.conditions
            ],
            "actions": [
                {
                    "action": spec_label(automation.RULE_ACTIONS, a["action"]),
                    "value": label(a["action"], a["value"]),
                }
                for a in rule.actions
            ],
        }
        for rule in rules
    ]


def _rule_list_context(request: AuthedRequest) -> dict[str, Any]:
    rules = list(Rule.objects.annotate(run_count=Count("runs")).order_by("position", "id"))
    return {"rows": _rule_rows(rules), "tabs": _tabs(request, "tickets:rule-list")}


@require_perm(Perm.MANAGE_AUTOMATION)
def rule_list(request: AuthedRequest) -> HttpResponse:
    return render(request, "tickets/settings/rule_list.html", _rule_list_context(request))


@require_perm(Perm.MANAGE_AUTOMATION)
def rule_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    rule = get_object_or_404(Rule, pk=pk) if pk else None
    editor = RuleEditor(request.POST or None, rule=rule)
    if request.method == "POST" and editor.is_valid():
        conditions, actions = editor.rows()
        try:
            if rule is None:
                automation.rule_create(
                    actor=request.user,
                    conditions=conditions,
                    actions=actions,
                    **editor.form.cleaned_data,
                )
            else:
                automation.rule_update(
                    rule=rule,
                    actor=request.user,
                    conditions=conditions,
                    actions=actions,
                    **editor.form.cleaned_data,
                )
        except ValidationError as error:
            editor.apply_error(error)
        else:
            messages.success(request, _("The rule is saved."))
            return redirect("tickets:rule-list")
    ctx = {"editor": editor, "rule": rule}
    return render(request, "tickets/settings/rule_form.html", ctx)


@require_POST
@require_perm(Perm.MANAGE_AUTOMATION)
def rule_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(Rule, pk=pk)
    automation.rule_delete(rule=rule, actor=request.user)
    messages.success(request, _("The rule «%(name)s» is deleted.") % {"name": rule.name})
    return redirect_after(request, "tickets:rule-list")


@require_POST
@require_perm(Perm.MANAGE_AUTOMATION)
def rule_move(request: AuthedRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(Rule, pk=pk)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        return HttpResponseBadRequest(_("Move the rule up or down."))
    automation.rule_move(rule=rule, actor=request.user, up=direction == "up")
    if request.htmx:
        ctx = _rule_list_context(request)
        return render(request, "tickets/settings/rule_list.html#rules", ctx)
    return redirect("tickets:rule-list")


# --- Assignment ----------------------------------------------------------------


def _queue_row(team: Team, form: QueueSettingsForm | None = None) -> dict[str, Any]:
    queue = getattr(team, "queue_settings", None)
    mode = queue.assignment if queue is not None else QueueSettings.Mode.OFF
    if form is None:
        form = QueueSettingsForm(initial={"team": team.pk, "assignment": mode})
    form.auto_id = f"id_queue{team.pk}_%s"
    return {"team": team, "form": form}


@require_perm(Perm.MANAGE_AUTOMATION)
def assignment(request: AuthedRequest) -> HttpResponse:
    posted = QueueSettingsForm(request.POST) if request.method == "POST" else None
    if posted is not None and posted.is_valid():
        team = posted.cleaned_data["team"]
        config_services.queue_settings_update(
            team=team, actor=request.user, assignment=posted.cleaned_data["assignment"]
        )
        if not request.htmx:
            messages.success(request, _("Assignment in «%(queue)s» is saved.") % {"queue": team})
            return redirect("tickets:assignment")
        team = Team.objects.select_related("queue_settings").get(pk=team.pk)
        ctx = {"row": _queue_row(team), "saved": True}
        return render(request, "tickets/settings/assignment.html#queue-form", ctx)
    if posted is not None and "team" in posted.errors:
        messages.error(request, " ".join(str(error) for error in posted.errors["team"]))
    elif posted is not None and request.htmx:
        ctx = {"row": _queue_row(posted.cleaned_data["team"], posted)}
        return render(request, "tickets/settings/assignment.html#queue-form", ctx)
    posted_team = posted.data.get("team") if posted is not None else None
    ctx = {
        "queues": [
            _queue_row(team, posted if str(team.pk) == posted_team else None)
            for team in Team.objects.select_related("queue_settings")
        ],
        "operators": User.objects.filter(is_active=True, role__in=config_services.ASSIGNABLE_ROLES)
        .select_related("team", "operator_profile")
        .prefetch_related(
            "operator_profile__skill_tags",
            Prefetch(
                "operator_profile__skill_categories",
                queryset=Category.objects.select_related("parent__parent"),
            ),
        )
        .order_by("team__name", "full_name"),
        "default_capacity": DEFAULT_CAPACITY,
        "tabs": _tabs(request, "tickets:assignment"),
    }
    return render(request, "tickets/settings/assignment.html", ctx)


@require_perm(Perm.MANAGE_AUTOMATION)
def operator_edit(request: AuthedRequest, user_id: int) -> HttpResponse:
    person = get_object_or_404(
        User.objects.select_related("team"),
        pk=user_id,
        is_active=True,
        role__in=config_services.ASSIGNABLE_ROLES,
    )
    profile = OperatorProfile.objects.filter(user=person).first()
    initial: dict[str, Any] = {"capacity": DEFAULT_CAPACITY}
    if profile is not None:
        initial = {
            "capacity": profile.capacity,
            "skill_tags": ", ".join(tag.name for tag in profile.skill_tags.all()),
            "skill_categories": list(profile.skill_categories.all()),
        }
    form = OperatorProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            config_services.operator_profile_update(
                user=person, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Changes to %(name)s are saved.") % {"name": person})
            return redirect("tickets:assignment")
    return render(request, "tickets/settings/operator_form.html", {"form": form, "person": person})


# --- Ticket settings: closing criteria, custom fields, resolution codes ---------------


def _settings_context(
    request: AuthedRequest,
    *,
    form: TicketSettingsForm | None = None,
    resolution_form: ResolutionCodeForm | None = None,
) -> dict[str, Any]:
    if form is None:
        current = TicketSettings.load()
        form = TicketSettingsForm(
            initial={
                name: getattr(current, name) for name in config_services.TICKET_SETTINGS_FIELDS
            }
        )
    return {
        "form": form,
        "resolution_form": resolution_form or ResolutionCodeForm(),
        "custom_fields": CustomField.objects.prefetch_related(
            Prefetch("categories", queryset=Category.objects.select_related("parent__parent"))
        ),
        "resolution_codes": ResolutionCode.objects.all(),
        "tabs": _tabs(request, "tickets:settings"),
    }


@require_perm(Perm.MANAGE_TICKET_SETTINGS)
def ticket_settings(request: AuthedRequest) -> HttpResponse:
    form = None
    if request.method == "POST":
        form = TicketSettingsForm(request.POST)
        if form.is_valid():
            try:
                config_services.ticket_settings_update(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("The ticket settings are saved."))
                return redirect("tickets:settings")
    return render(request, "tickets/settings/settings.html", _settings_context(request, form=form))


@require_perm(Perm.MANAGE_TICKET_SETTINGS)
def field_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    custom = get_object_or_404(CustomField, pk=pk) if pk else None
    initial: dict[str, Any] = {}
    if custom is not None:
        initial = {name: getattr(custom, name) for name in config_services.CUSTOM_FIELD_FIELDS}
        initial["categories"] = list(custom.categories.all())
    form = CustomFieldForm(request.POST or None, initial=initial, editing=custom is not None)
    if request.method == "POST" and form.is_valid():
        try:
            if custom is None:
                config_services.custom_field_create(actor=request.user, **form.cleaned_data)
            else:
                config_services.custom_field_update(
                    custom=custom, actor=request.user, **form.cleaned_data
                )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("The custom field is saved."))
            return redirect("tickets:settings")
    return render(request, "tickets/settings/field_form.html", {"form": form, "custom": custom})


@require_POST
@require_perm(Perm.MANAGE_TICKET_SETTINGS)
def resolution_create(request: AuthedRequest) -> HttpResponse:
    form = ResolutionCodeForm(request.POST)
    if form.is_valid():
        try:
            code = config_services.resolution_code_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(
                request, _("The resolution code «%(name)s» is added.") % {"name": code}
            )
            return redirect(reverse("tickets:settings") + "#resolution-codes")
    ctx = _settings_context(request, resolution_form=form)
    return render(request, "tickets/settings/settings.html", ctx)


@require_perm(Perm.MANAGE_TICKET_SETTINGS)
def resolution_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    code = get_object_or_404(ResolutionCode, pk=pk)
    initial = {name: getattr(code, name) for name in config_services.RESOLUTION_CODE_FIELDS}
    form = ResolutionCodeEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            config_services.resolution_code_update(
                code=code, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("The resolution code is saved."))
            return redirect(reverse("tickets:settings") + "#resolution-codes")
    return render(request, "tickets/settings/resolution_form.html", {"form": form, "code": code})


# --- Blocked senders -----------------------------------------------------------


def _blocked_context(
    request: AuthedRequest, form: BlockedSenderForm | None = None
) -> dict[str, Any]:
    return {
        "form": form or BlockedSenderForm(),
        "blocked": BlockedSender.objects.select_related("created_by"),
        "tabs": _tabs(request, "tickets:blocked-list"),
    }


@require_perm(Perm.MANAGE_AUTOMATION)
def blocked_list(request: AuthedRequest) -> HttpResponse:
    return render(request, "tickets/settings/blocked_list.html", _blocked_context(request))


@require_POST
@require_perm(Perm.MANAGE_AUTOMATION)
def blocked_create(request: AuthedRequest) -> HttpResponse:
    form = BlockedSenderForm(request.POST)
    if form.is_valid():
        try:
            blocked = services.sender_block(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(
                request,
                _("Messages from %(pattern)s are now marked as spam.") % {"pattern": blocked},
            )
            return redirect("tickets:blocked-list")
    return render(request, "tickets/settings/blocked_list.html", _blocked_context(request, form))


@require_POST
@require_perm(Perm.MANAGE_AUTOMATION)
def blocked_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    blocked = get_object_or_404(BlockedSender, pk=pk)
    services.sender_unblock(blocked=blocked, actor=request.user)
    messages.success(request, _("%(pattern)s is no longer blocked.") % {"pattern": blocked})
    return redirect_after(request, "tickets:blocked-list")
