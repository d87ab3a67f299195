"""Certification forms: the shape of the editor's, the assignment's and the answer sheet's input.

The test editor posts its questions as numbered fields (`q-0-text`, `q-0-c-1-text`,
`q-0-c-1-correct`, …) so rows can be added and removed by re-rendering the page
without JavaScript; the rules (enough options, a correct one, …) are the service's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opora.accounts.models import Team, User
from opora.quality.certification import scoring
from opora.quality.certification.services import CERTIFIED_ROLES, ChoiceDraft, QuestionDraft
from opora.quality.models import CertificationTest, Question

QUESTION_FIELD = re.compile(r"^q-(\d+)-text$")
CHOICE_FIELD = re.compile(r"^q-(\d+)-c-(\d+)-text$")
MAX_QUESTIONS = 100
MAX_CHOICES = 12


class TestSettingsForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    pass_mark = forms.IntegerField(label=gettext_lazy("Pass mark, %"), initial=80)
    time_limit_minutes = forms.IntegerField(
        label=gettext_lazy("Time limit, minutes"),
        required=False,
        help_text=gettext_lazy("Leave empty for no limit."),
    )
    attempts_allowed = forms.IntegerField(label=gettext_lazy("Attempts allowed"), initial=2)
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)


@dataclass
class ChoiceRow:
    text: str = ""
    correct: bool = False


@dataclass
class QuestionRow:
    text: str = ""
    kind: str = scoring.SINGLE
    points: str = "1"
    article_id: int | None = None
    choices: list[ChoiceRow] = field(default_factory=lambda: [ChoiceRow(), ChoiceRow()])


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def rows_from_post(data: QueryDict) -> list[QuestionRow]:
    question_indices = sorted(
        {int(m.group(1)) for key in data if (m := QUESTION_FIELD.match(key))}
    )[:MAX_QUESTIONS]
    rows = []
    for i in question_indices:
        choice_indices = sorted(
            {
                int(m.group(2))
                for key in data
                if (m := CHOICE_FIELD.match(key)) and int(m.group(1)) == i
            }
        )[:MAX_CHOICES]
        rows.append(
            QuestionRow(
                text=data.get(f"q-{i}-text", ""),
                kind=data.get(f"q-{i}-kind", scoring.SINGLE),
                points=data.get(f"q-{i}-points", "1"),
                article_id=_int_or_none(data.get(f"q-{i}-article")),
                choices=[
                    ChoiceRow(
                        text=data.get(f"q-{i}-c-{j}-text", ""),
                        correct=bool(data.get(f"q-{i}-c-{j}-correct")),
                    )
                    for j in choice_indices
                ],
            )
        )
    return rows


def rows_from_test(test: CertificationTest) -> list[QuestionRow]:
    questions = Question.objects.filter(test=test).prefetch_related("choices")
    return [
        QuestionRow(
            text=q.text,
            kind=q.kind,
            points=str(q.points),
            article_id=q.article_id,
            choices=[ChoiceRow(text=c.text, correct=c.is_correct) for c in q.choices.all()],
        )
        for q in questions.order_by("position", "pk")
    ]


def rows_apply(rows: list[QuestionRow], action: str) -> list[QuestionRow]:
    """Add or remove a question or an option (`add_question`, `remove_choice:2:1`, …)."""
    name, *args = action.split(":")
    numbers = [n for n in (_int_or_none(a) for a in args) if n is not None]
    if name == "add_question" and len(rows) < MAX_QUESTIONS:
        rows.append(QuestionRow())
    elif name == "remove_question" and numbers and numbers[0] < len(rows):
        del rows[numbers[0]]
    elif name == "add_choice" and numbers and numbers[0] < len(rows):
        if len(rows[numbers[0]].choices) < MAX_CHOICES:
            rows[numbers[0]].choices.append(ChoiceRow())
    elif name == "remove_choice" and len(numbers) == 2 and numbers[0] < len(rows):
        choices = rows[numbers[0]].choices
        if numbers[1] < len(choices):
            del choices[numbers[1]]
    return rows


def rows_to_drafts(rows: list[QuestionRow]) -> tuple[list[QuestionDraft], list[str]]:
    """The questions to save, with shape errors; blank rows (no text at all) are dropped."""
    drafts: list[QuestionDraft] = []
    errors: list[str] = []
    for row in rows:
        choices = [c for c in row.choices if c.text.strip() or c.correct]
        if not row.text.strip() and not choices:
            continue
        points = _int_or_none(row.points.strip())
        if points is None:
            errors.append(
                _("Question %(n)s: points must be a whole number.") % {"n": len(drafts) + 1}
            )
            points = 0
        drafts.append(
            QuestionDraft(
                text=row.text,
                kind=row.kind,
                points=points,
                article_id=row.article_id,
                choices=tuple(ChoiceDraft(text=c.text, is_correct=c.correct) for c in choices),
            )
        )
    return drafts, errors


class PeopleField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj} · {obj.team}" if obj.team else str(obj)


class AssignForm(forms.Form):
    operators = PeopleField(
        label=gettext_lazy("Operators"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    teams = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Whole teams"),
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    deadline = forms.DateField(
        label=gettext_lazy("Deadline"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        operators = self.fields["operators"]
        teams = self.fields["teams"]
        assert isinstance(operators, forms.ModelMultipleChoiceField)  # noqa: S101 -- declared above
        assert isinstance(teams, forms.ModelMultipleChoiceField)  # noqa: S101 -- declared above
        operators.queryset = User.objects.filter(
            is_active=True, role__in=CERTIFIED_ROLES
        ).select_related("team")
        teams.queryset = Team.objects.all()


def answers_from_post(data: QueryDict, question_ids: list[int]) -> dict[int, list[int]] | None:
    """{question id: chosen option ids} from the answer sheet; None when a value is not a number.

    Only the paper's questions are read: fields for anything else are ignored here
    and options are checked against their question by the service.
    """
    answers: dict[int, list[int]] = {}
    for question_id in question_ids:
        values = data.getlist(f"q-{question_id}")
        chosen = [_int_or_none(v) for v in values]
        if any(c is None for c in chosen):
            return None
        answers[question_id] = [c for c in chosen if c is not None]
    return answers
