"""Forms of the surveys: they check the shape of input; the services hold the rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opora.analytics.facts import company_today
from opora.clients.models import ClientAccount
from opora.quality.models import FollowUp, NpsSurvey
from opora.quality.surveys.services import COMMENT_MAX

# A browser's date field takes ISO dates only, whatever the page's language.
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Anything to add? (optional)"),
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class FollowUpCloseForm(forms.Form):
    resolution = forms.CharField(
        label=_("What was done"),
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class FollowUpFilterForm(forms.Form):
    who = forms.ChoiceField(
        label=_("Whose"),
        required=False,
        choices=[("mine", _("Mine")), ("all", _("Everyone's"))],
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[*FollowUp.Status.choices, ("all", _("All"))],
    )


class NpsSurveyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    question_ru = forms.CharField(
        label=_("Question (Russian)"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    question_en = forms.CharField(
        label=_("Question (English)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    audience = forms.ChoiceField(label=_("Audience"), choices=NpsSurvey.Audience.choices)
    accounts = forms.ModelMultipleChoiceField(
        label=_("Client accounts"),
        queryset=ClientAccount.objects.filter(is_active=True).order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    every_months = forms.IntegerField(
        label=_("Every N months"), initial=3, help_text=_("3 — quarterly.")
    )
    cooldown_days = forms.IntegerField(
        label=_("Do not ask a contact again within (days)"), initial=60, min_value=0, max_value=365
    )
    next_run_on = forms.DateField(
        label=_("Next run"),
        required=False,
        widget=DATE,
        help_text=_("Empty: as soon as the survey is saved active."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    @classmethod
    def initial_for(cls, survey: NpsSurvey) -> dict[str, Any]:
        from opora.analytics.facts import company_day

        return {
            "name": survey.name,
            "question_ru": survey.question_ru,
            "question_en": survey.question_en,
            "audience": survey.audience,
            "accounts": list(survey.accounts.all()),
            "every_months": survey.every_months,
            "cooldown_days": survey.cooldown_days,
            "next_run_on": company_day(survey.next_run_at) if survey.next_run_at else None,
            "is_active": survey.is_active,
        }


class PeriodForm(forms.Form):
    """The results' period: the last twelve months by default, both days included."""

    start = forms.DateField(label=_("From"), required=False, widget=DATE)
    end = forms.DateField(label=_("To"), required=False, widget=DATE)

    def period(self) -> tuple[dt.date, dt.date]:
        today = company_today()
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("end") or today
        start = data.get("start") or (end.replace(day=1) - dt.timedelta(days=335)).replace(day=1)
        if start > end:
            start, end = end, start
        return start, end
