"""Forms for the ticket settings screens: they check the shape of input only.

What the input may be (known variables, a rule's values, who may share a
macro) is decided by the services in `automation.py` and `config_services.py`.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from opora.accounts.models import Team, User
from opora.clients.models import ClientAccount
from opora.core.forms import apply_validation_error
from opora.knowledge.models import Article
from opora.knowledge.selectors import article_title, scripts_list
from opora.tickets.automation import MACRO_VARIABLES, OPERATORS, RULE_ACTIONS, RULE_FIELDS
from opora.tickets.models import (
    Category,
    CustomField,
    QueueSettings,
    Rule,
    Ticket,
    TicketType,
)

# A new rule offers this many condition rows and action rows; blank rows are ignored.
CONDITION_ROWS = 5
ACTION_ROWS = 4


# A text input (styled like the others); the form field still checks it is a number.
NUMBER = forms.TextInput(attrs={"inputmode": "numeric"})


def active_categories() -> Any:
    """Active categories with each subcategory right after its parent."""
    return (
        Category.objects.filter(is_active=True)
        .select_related("parent__parent")
        .order_by(Coalesce("parent__name", "name"), F("parent").asc(nulls_first=True), "name")
    )


# --- Macros --------------------------------------------------------------------


class MacroForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    body = forms.CharField(
        label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 8})
    )
    script = forms.ModelChoiceField(
        label=_("Text from a knowledge-base script"),
        required=False,
        queryset=Article.objects.none(),
        help_text=_(
            "When chosen, the script's published text is inserted instead of the text above."
        ),
    )
    is_shared = forms.BooleanField(label=_("Shared with everyone"), required=False)
    set_status = forms.ChoiceField(
        label=_("Set status"),
        required=False,
        choices=[("", _("— keep —")), *Ticket.Status.choices],
    )
    set_priority = forms.ChoiceField(
        label=_("Set priority"),
        required=False,
        choices=[("", _("— keep —")), *Ticket.Priority.choices],
    )
    add_tags = forms.CharField(
        label=_("Add tags"), required=False, max_length=200, help_text=_("Comma-separated.")
    )
    assign_to_self = forms.BooleanField(
        label=_("Assign the ticket to whoever applies the macro"), required=False
    )
    internal = forms.BooleanField(label=_("Post the text as an internal note"), required=False)

    def __init__(self, *args: Any, can_share: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can_share:
            del self.fields["is_shared"]
        script = cast(forms.ModelChoiceField, self.fields["script"])  # type: ignore[type-arg]
        script.queryset = scripts_list()
        script.label_from_instance = lambda article: f"{article} {article_title(article, 'ru')}"  # type: ignore[assignment,method-assign]
        self.fields["body"].help_text = format_html(
            '{}<dl class="props">{}</dl>',
            _("These variables are replaced when the macro is used:"),
            format_html_join(
                "",
                "<dt><code>{{{{ {} }}}}</code></dt><dd>{}</dd>",
                ((name, label) for name, label in MACRO_VARIABLES.items()),
            ),
        )


# --- Rules ---------------------------------------------------------------------


def _label_widgets(form: forms.Form) -> None:
    # Rule rows sit in a table under column headings; screen readers get the label.
    for field in form.fields.values():
        field.widget.attrs["aria-label"] = field.label


class RuleRowForm(forms.Form):
    """One condition or action row of the rule form."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _label_widgets(self)

    def is_blank(self) -> bool:
        raise NotImplementedError


class ConditionForm(RuleRowForm):
    field = forms.ChoiceField(
        label=_("Field"),
        required=False,
        choices=[("", "—"), *((key, spec.label) for key, spec in RULE_FIELDS.items())],
    )
    op = forms.ChoiceField(label=_("Comparison"), required=False, choices=list(OPERATORS.items()))
    value = forms.CharField(label=_("Value"), required=False, max_length=200)

    def is_blank(self) -> bool:
        return not self.cleaned_data.get("field") and not self.cleaned_data.get("value", "").strip()


class ActionForm(RuleRowForm):
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", "—"), *((key, spec.label) for key, spec in RULE_ACTIONS.items())],
    )
    value = forms.CharField(label=_("Value"), required=False, max_length=1000)

    def is_blank(self) -> bool:
        return (
            not self.cleaned_data.get("action") and not self.cleaned_data.get("value", "").strip()
        )


class RuleRowFormSet(forms.BaseFormSet[RuleRowForm]):
    """Condition or action rows; `errors_beside` holds messages about the rows as a whole."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.errors_beside: list[str] = []


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    event = forms.ChoiceField(label=_("When"), choices=Rule.Event.choices)
    match_all = forms.BooleanField(
        label=_("All conditions must hold"),
        required=False,
        help_text=_("Otherwise any one of them is enough."),
    )
    is_active = forms.BooleanField(label=_("Enabled"), required=False)
    stop_processing = forms.BooleanField(
        label=_("Stop after this rule"),
        required=False,
        help_text=_("When this rule fires, the rules after it do not run on the ticket."),
    )


def _choice_label(choices: Any, value: str) -> str:
    return str(dict(choices).get(value, value))


def rule_value_text(kind: str, value: str) -> str:
    """A stored rule value as a person types it, so that saving the form again
    turns it back into the same value (a user's email, a queue's name…)."""
    models: dict[str, Any] = {
        "type": TicketType,
        "set_type": TicketType,
        "category": Category,
        "set_category": Category,
        "team": Team,
        "set_team": Team,
        "client": ClientAccount,
    }
    choices: dict[str, Any] = {
        "channel": Ticket.Channel.choices,
        "priority": Ticket.Priority.choices,
        "set_priority": Ticket.Priority.choices,
        "status": Ticket.Status.choices,
        "escalate": Ticket.EscalationTarget.choices,
    }
    if kind in ("assign", "notify"):
        if not value.isdigit():
            return value  # «auto»
        user = User.objects.filter(pk=int(value)).first()
        return user.email if user is not None else value
    if kind in choices:
        return _choice_label(choices[kind], value)
    model = models.get(kind)
    if model is None or not value.isdigit():
        return value
    found = model.objects.filter(pk=int(value)).first()
    if found is None:
        return value
    # The name reads best, but only if it names this one row (category names
    # repeat under different parents); otherwise the id, which parses too.
    name = getattr(found, "name", str(found))
    spec = RULE_FIELDS.get(kind.removeprefix("set_"))
    try:
        return name if spec is not None and spec.parse(name) == value else value
    except ValidationError:
        return value


class RuleEditor:
    """The rule form with its condition and action rows, validated and shown together."""

    def __init__(self, data: Any = None, *, rule: Rule | None = None) -> None:
        conditions = [
            {**row, "value": rule_value_text(row["field"], row["value"])}
            for row in (rule.conditions if rule else [])
        ]
        actions = [
            {**row, "value": rule_value_text(row["action"], row["value"])}
            for row in (rule.actions if rule else [])
        ]
        conditions_set = forms.formset_factory(
            ConditionForm,
            formset=RuleRowFormSet,
            extra=max(1, CONDITION_ROWS - len(conditions)),
        )
        actions_set = forms.formset_factory(
            ActionForm, formset=RuleRowFormSet, extra=max(1, ACTION_ROWS - len(actions))
        )
        initial = (
            {
                "name": rule.name,
                "event": rule.event,
                "match_all": rule.match_all,
                "is_active": rule.is_active,
                "stop_processing": rule.stop_processing,
            }
            if rule
            else {"event": Rule.Event.CREATED, "match_all": True, "is_active": True}
        )
        self.form = RuleForm(data, initial=initial)
        # Rows are pre-filled only for showing: a submitted row that still equals
        # its initial value would otherwise count as unchanged, hence empty.
        self.conditions = cast(
            RuleRowFormSet,
            conditions_set(data, prefix="conditions", initial=None if data else conditions),
        )
        self.actions = cast(
            RuleRowFormSet, actions_set(data, prefix="actions", initial=None if data else actions)
        )
        # Which formset row each submitted (non-blank) row came from.
        self._condition_rows: list[int] = []
        self._action_rows: list[int] = []

    def is_valid(self) -> bool:
        valid = [self.form.is_valid(), self.conditions.is_valid(), self.actions.is_valid()]
        return all(valid)

    def rows(self) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
        """The filled-in rows, as the rule services take them. Call after is_valid."""
        conditions, actions = [], []
        self._condition_rows, self._action_rows = [], []
        for index, form in enumerate(self.conditions.forms):
            if not form.is_blank():
                self._condition_rows.append(index)
                conditions.append({key: form.cleaned_data[key] for key in ("field", "op", "value")})
        for index, form in enumerate(self.actions.forms):
            if not form.is_blank():
                self._action_rows.append(index)
                actions.append({key: form.cleaned_data[key] for key in ("action", "value")})
        return conditions, actions

    def apply_error(self, error: ValidationError) -> None:
        """Put each of the service's messages beside the row (or field) it is about."""
        if not hasattr(error, "error_dict"):
            self.form.add_error(None, error)
            return
        rest: dict[str, Any] = {}
        for key, errors in error.error_dict.items():
            kind, _dash, number = key.partition("-")
            rows = {"conditions": self._condition_rows, "actions": self._action_rows}.get(kind)
            formset = self.conditions if kind == "conditions" else self.actions
            if rows is not None and number.isdigit() and int(number) < len(rows):
                for item in errors:
                    formset.forms[rows[int(number)]].add_error(None, item)
            elif key == "actions":
                self.actions.errors_beside.extend(m for item in errors for m in item.messages)
            else:
                rest[key] = errors
        if rest:
            apply_validation_error(self.form, ValidationError(rest))


# --- Assignment ----------------------------------------------------------------


class QueueSettingsForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.all(), widget=forms.HiddenInput)
    assignment = forms.ChoiceField(label=_("Auto-assignment"), choices=QueueSettings.Mode.choices)


class OperatorProfileForm(forms.Form):
    capacity = forms.IntegerField(
        label=_("Open tickets cap"),
        min_value=0,
        max_value=500,
        widget=NUMBER,
        help_text=_(
            "Weighted by ticket type: an emergency counts more than a consultation. "
            "0 means no tickets are assigned automatically."
        ),
    )
    skill_tags = forms.CharField(
        label=_("Skills: tags"),
        required=False,
        max_length=1000,
        help_text=_("Comma-separated names of existing tags."),
    )
    skill_categories = forms.ModelMultipleChoiceField(
        label=_("Skills: categories"),
        queryset=active_categories(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("A category covers its subcategories."),
    )

    def clean_skill_tags(self) -> list[str]:
        return [name.strip() for name in self.cleaned_data["skill_tags"].split(",") if name.strip()]


# --- Ticket settings -----------------------------------------------------------


class TicketSettingsForm(forms.Form):
    require_category_to_resolve = forms.BooleanField(
        label=_("A category is required to resolve a ticket"), required=False
    )
    require_resolution_to_resolve = forms.BooleanField(
        label=_("A resolution code is required to resolve a ticket"), required=False
    )
    auto_close_days = forms.IntegerField(
        label=_("Close resolved tickets after, days"),
        min_value=1,
        max_value=365,
        widget=NUMBER,
        help_text=_("A resolved ticket the client has not answered is closed after this."),
    )
    repeat_window_days = forms.IntegerField(
        label=_("Repeat contact window, days"),
        min_value=1,
        max_value=365,
        widget=NUMBER,
        help_text=_(
            "A new ticket from the same contact or client with the same category "
            "within this many days is a repeat contact."
        ),
    )


class CustomFieldForm(forms.Form):
    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        help_text=_("Latin letters, digits, - and _; it cannot change later."),
    )
    label = forms.CharField(label=_("Label"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=CustomField.Kind.choices)
    options = forms.CharField(
        label=_("Options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For a choice field: one option per line."),
    )
    categories = forms.ModelMultipleChoiceField(
        label=_("Categories"),
        queryset=active_categories(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Leave empty to show the field on every ticket."),
    )
    required_to_resolve = forms.BooleanField(label=_("Required to resolve"), required=False)
    position = forms.IntegerField(
        label=_("Position"), min_value=0, max_value=32767, initial=0, widget=NUMBER
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            # The code keys the values stored on tickets; it is shown, not sent.
            del self.fields["code"]


class ResolutionCodeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    name_en = forms.CharField(label=_("Name in English"), max_length=100, required=False)


class ResolutionCodeEditForm(ResolutionCodeForm):
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=32767, widget=NUMBER)
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        help_text=_("An inactive code stays on tickets that have it but is no longer offered."),
    )


class BlockedSenderForm(forms.Form):
    pattern = forms.CharField(
        label=_("Address or domain"),
        max_length=254,
        help_text=_("user@example.com, or @example.com for a whole domain."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
