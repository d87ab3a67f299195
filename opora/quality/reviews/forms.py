"""The shape of QA input: filters, the review form's answers, the scorecard editor's rows."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from opora.accounts.models import Team, User
from opora.core.access import GRANTS, Perm
from opora.quality.models import Criterion, Review, Scorecard
from opora.quality.reviews.selectors import SampleKind
from opora.quality.reviews.services import AnswerInput, CategorySpec, CriterionSpec
from opora.tickets.models import Ticket

NA = "na"
ANSWER_KEY = re.compile(r"^c(\d+)$")


def staff_reviewers() -> forms.ModelChoiceField:  # type: ignore[type-arg]
    return forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True, role__in=GRANTS[Perm.REVIEW_QUALITY]),
        required=False,
        label=gettext_lazy("Reviewer"),
        empty_label=gettext_lazy("All reviewers"),
    )


def operators_field(label: Any = None) -> forms.ModelChoiceField:  # type: ignore[type-arg]
    return forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).exclude(role=User.Role.VIEWER),
        required=False,
        label=label or gettext_lazy("Operator"),
        empty_label=gettext_lazy("All operators"),
    )


def teams_field() -> forms.ModelChoiceField:  # type: ignore[type-arg]
    return forms.ModelChoiceField(
        queryset=Team.objects.all(),
        required=False,
        label=gettext_lazy("Team"),
        empty_label=gettext_lazy("All teams"),
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        # The browser's date input reads and writes ISO dates, whatever the language.
        super().__init__(attrs, format="%Y-%m-%d")


class ReviewFilterForm(forms.Form):
    operator = operators_field()
    team = teams_field()
    reviewer = staff_reviewers()
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput)
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=DateInput)
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Any status")), *Review.Status.choices],
    )
    disputed = forms.BooleanField(label=gettext_lazy("Under dispute"), required=False)


class SampleForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("Resolved from"), widget=DateInput)
    end = forms.DateField(label=pgettext_lazy("period end", "to"), widget=DateInput)
    team = teams_field()
    operator = operators_field()
    kind = forms.ChoiceField(
        label=gettext_lazy("Which tickets"),
        choices=[
            (SampleKind.RANDOM, gettext_lazy("Random")),
            (SampleKind.LOW_CSAT, gettext_lazy("Low CSAT (3 or less)")),
            (SampleKind.SLA_BREACHED, gettext_lazy("SLA breached")),
            (SampleKind.ESCALATED, gettext_lazy("Escalated")),
        ],
        initial=SampleKind.RANDOM,
    )
    per_operator = forms.IntegerField(
        label=gettext_lazy("Per operator"), min_value=1, max_value=20, initial=3
    )
    scorecard = forms.ModelChoiceField(
        queryset=Scorecard.objects.filter(is_active=True),
        label=gettext_lazy("Scorecard"),
        empty_label=None,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if isinstance(start, dt.date) and isinstance(end, dt.date) and start > end:
            self.add_error("end", _("The period ends before it starts."))
        return data


class StartForm(forms.Form):
    scorecard = forms.ModelChoiceField(
        queryset=Scorecard.objects.filter(is_active=True),
        label=gettext_lazy("Scorecard"),
        empty_label=None,
    )


class CommentForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Comment"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


class DisputeForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("What do you disagree with?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
    )


class ResolveForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[
            ("uphold", gettext_lazy("Uphold: reopen the review for re-scoring")),
            ("reject", gettext_lazy("Reject: the review stands")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=4000,
    )


class CalibrationForm(forms.Form):
    ticket = forms.IntegerField(label=gettext_lazy("Ticket number"), min_value=1)
    scorecard = forms.ModelChoiceField(
        queryset=Scorecard.objects.filter(is_active=True),
        label=gettext_lazy("Scorecard"),
        empty_label=None,
    )
    title = forms.CharField(label=gettext_lazy("Title"), required=False, max_length=200)
    reviewers = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(is_active=True, role__in=GRANTS[Perm.REVIEW_QUALITY]),
        label=gettext_lazy("Reviewers"),
        widget=forms.CheckboxSelectMultiple,
    )

    def clean_ticket(self) -> Ticket:
        number = self.cleaned_data["ticket"]
        ticket = Ticket.objects.select_related("assignee").filter(number=number).first()
        if ticket is None:
            raise forms.ValidationError(_("There is no ticket with this number."))
        return ticket


# ---------------------------------------------------------------- review answers


def answers_from_post(data: QueryDict) -> tuple[dict[int, AnswerInput], list[str]]:
    """The answers in the review form's POST: `c<criterion id>` = 0/1/scale value/«na».

    Every `c<id>` key is read, also ids that are not on the scorecard, so the
    service can refuse them with a clear message instead of silently dropping them.
    """
    answers: dict[int, AnswerInput] = {}
    errors: list[str] = []
    keys = {int(m.group(1)) for key in data if (m := ANSWER_KEY.match(key.split("-")[0]))}
    for criterion_id in sorted(keys):
        raw = data.get(f"c{criterion_id}", "").strip()
        comment = data.get(f"c{criterion_id}-comment", "")
        if raw == NA:
            answers[criterion_id] = AnswerInput(is_na=True, comment=comment)
        elif raw == "":
            answers[criterion_id] = AnswerInput(comment=comment)
        elif raw.isdigit() and len(raw) < 4:
            answers[criterion_id] = AnswerInput(value=int(raw), comment=comment)
        else:
            errors.append(_("«%(value)s» is not a valid answer.") % {"value": raw[:20]})
    return answers, errors


@dataclass
class AnswerRow:
    """A criterion on the form with what has been answered so far."""

    criterion: Criterion
    value: int | None
    is_na: bool
    comment: str

    @property
    def choices(self) -> list[tuple[str, str]]:
        if self.criterion.kind == Criterion.Kind.YES_NO:
            return [("1", _("Yes")), ("0", _("No"))]
        return [(str(v), str(v)) for v in range(1, self.criterion.scale_max + 1)]

    @property
    def selected(self) -> str:
        if self.is_na:
            return NA
        return "" if self.value is None else str(self.value)


@dataclass
class CategoryRows:
    name: str
    rows: list[AnswerRow] = field(default_factory=list)


def answer_rows(criteria: list[Criterion], answers: dict[int, AnswerInput]) -> list[CategoryRows]:
    groups: list[CategoryRows] = []
    for criterion in criteria:
        if not groups or groups[-1].name != criterion.category.name:
            groups.append(CategoryRows(criterion.category.name))
        answer = answers.get(criterion.pk, AnswerInput())
        groups[-1].rows.append(AnswerRow(criterion, answer.value, answer.is_na, answer.comment))
    return groups


# ---------------------------------------------------------------- scorecard editor


@dataclass
class CriterionRow:
    """One criterion row of the editor as typed (strings), with its parse errors."""

    id: str = ""
    text: str = ""
    help: str = ""
    kind: str = Criterion.Kind.YES_NO
    scale_max: str = "5"
    weight: str = "1"
    is_critical: bool = False
    allows_na: bool = False


@dataclass
class CategoryRow:
    id: str = ""
    name: str = ""
    criteria: list[CriterionRow] = field(default_factory=list)


@dataclass
class EditorState:
    name: str = ""
    description: str = ""
    is_active: bool = True
    categories: list[CategoryRow] = field(default_factory=list)

    @classmethod
    def of(cls, scorecard: Scorecard) -> EditorState:
        state = cls(scorecard.name, scorecard.description, scorecard.is_active)
        for category in scorecard.categories.prefetch_related("criteria"):
            row = CategoryRow(str(category.pk), category.name)
            for c in category.criteria.all():
                row.criteria.append(
                    CriterionRow(
                        str(c.pk),
                        c.text,
                        c.help,
                        c.kind,
                        str(c.scale_max),
                        str(c.weight),
                        c.is_critical,
                        c.allows_na,
                    )
                )
            state.categories.append(row)
        return state

    @classmethod
    def blank(cls) -> EditorState:
        return cls(categories=[CategoryRow(criteria=[CriterionRow()])])

    @classmethod
    def from_post(cls, data: QueryDict) -> EditorState:
        """Rows are posted as cat-<i>-… and crit-<i>-<j>-…, counted by `cats` and cat-<i>-count."""
        state = cls(
            data.get("name", ""), data.get("description", ""), data.get("is_active") == "on"
        )
        for i in range(_count(data.get("cats"))):
            category = CategoryRow(data.get(f"cat-{i}-id", ""), data.get(f"cat-{i}-name", ""))
            for j in range(_count(data.get(f"cat-{i}-count"))):
                p = f"crit-{i}-{j}-"
                category.criteria.append(
                    CriterionRow(
                        data.get(p + "id", ""),
                        data.get(p + "text", ""),
                        data.get(p + "help", ""),
                        data.get(p + "kind", Criterion.Kind.YES_NO),
                        data.get(p + "scale_max", "5"),
                        data.get(p + "weight", "1"),
                        data.get(p + "is_critical") == "on",
                        data.get(p + "allows_na") == "on",
                    )
                )
            state.categories.append(category)
        return state

    def apply(self, action: str) -> None:
        """An editing step without saving: add-cat, add-<i>, del-cat-<i>, del-<i>-<j>,
        up-cat-<i>, down-cat-<i>, up-<i>-<j>, down-<i>-<j>."""
        parts = action.split("-")
        numbers = [int(p) for p in parts if p.isdigit()]
        cats = self.categories
        if action == "add-cat":
            cats.append(CategoryRow(criteria=[CriterionRow()]))
        elif parts[0] == "add" and len(numbers) == 1 and numbers[0] < len(cats):
            cats[numbers[0]].criteria.append(CriterionRow())
        elif "cat" in parts and len(numbers) == 1 and numbers[0] < len(cats):
            _edit_list(cats, parts[0], numbers[0])
        elif len(numbers) == 2 and numbers[0] < len(cats):
            items = cats[numbers[0]].criteria
            if numbers[1] < len(items):
                _edit_list(items, parts[0], numbers[1])

    def specs(self) -> tuple[list[CategorySpec], list[str]]:
        """The rows as service input; numbers that are not numbers are shape errors."""
        errors: list[str] = []
        categories = []
        for c_index, category in enumerate(self.categories, start=1):
            criteria = []
            for k_index, row in enumerate(category.criteria, start=1):
                weight = _int(row.weight)
                scale_max = _int(row.scale_max)
                if weight is None or scale_max is None:
                    errors.append(
                        _(
                            "Category %(c)d, criterion %(n)d: the weight and scale are whole numbers."
                        )
                        % {"c": c_index, "n": k_index}
                    )
                    continue
                criteria.append(
                    CriterionSpec(
                        text=row.text,
                        kind=row.kind,
                        weight=weight,
                        help=row.help,
                        scale_max=scale_max,
                        is_critical=row.is_critical,
                        allows_na=row.allows_na,
                        id=_int(row.id),
                    )
                )
            categories.append(CategorySpec(category.name, criteria, _int(category.id)))
        return categories, errors


def _count(raw: str | None) -> int:
    value = _int(raw or "")
    return min(value, 100) if value and value > 0 else 0


def _int(raw: str) -> int | None:
    raw = raw.strip()
    if raw.lstrip("-").isdigit() and len(raw) < 6:
        return int(raw)
    return None


def _edit_list(items: list[Any], verb: str, index: int) -> None:
    if verb == "del":
        items.pop(index)
    elif verb == "up" and index > 0:
        items[index - 1], items[index] = items[index], items[index - 1]
    elif verb == "down" and index < len(items) - 1:
        items[index + 1], items[index] = items[index], items[index + 1]
