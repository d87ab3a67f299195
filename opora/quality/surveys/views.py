"""Survey pages: the public one-click answer pages, follow-ups, NPS surveys and results.

The answer pages (/quality/csat/<token>/<score>/, /quality/nps/<token>/<score>/)
are public: the token is the client's key. Mail systems open links to scan
them, so a GET only shows the chosen score; a small static script posts the
form on load (the button is there without JavaScript), and only the POST
records. Django's CSRF cookie is set by the GET for anonymous visitors too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods, require_POST

from opora.accounts.models import User
from opora.analytics.facts import company_zone
from opora.core.access import Perm, has_perm, require_perm
from opora.core.http import AuthedRequest
from opora.core.pagination import keyset_page
from opora.quality.models import CsatResponse, FollowUp, NpsSurvey
from opora.quality.surveys import selectors, services
from opora.quality.surveys.forms import (
    CommentForm,
    FollowUpCloseForm,
    FollowUpFilterForm,
    NpsSurveyForm,
    PeriodForm,
)
from opora.quality.surveys.services import AlreadyAnswered, SurveyLinkInvalid

# --- Public answer pages ------------------------------------------------------------

CSAT_WORDS = {
    1: gettext_lazy("Bad"),
    2: gettext_lazy("Poor"),
    3: gettext_lazy("Fair"),
    4: gettext_lazy("Good"),
    5: gettext_lazy("Excellent"),
}


@dataclass
class Link:
    """What an answer page needs to know about its token."""

    kind: str
    token: str
    language: str
    question: str
    answer: Any  # the CsatResponse or NpsResponse, once given


@dataclass(frozen=True)
class Survey:
    kind: str
    scores: range
    find: Callable[[str], Link]
    record: Callable[[str, int], object]
    comment: Callable[[str, str], object]
    url: Callable[..., str]
    already: Any  # a lazy text


def _csat_find(token: str) -> Link:
    request = services.csat_request_get(token)
    language = request.contact.language if request.contact else "ru"
    with translation.override(language):
        question = _("How do you rate the answer to your request %(reference)s?") % {
            "reference": request.ticket.reference
        }
    answer = CsatResponse.objects.filter(ticket_id=request.ticket_id).first()
    return Link("csat", token, language, question, answer)


def _nps_find(token: str) -> Link:
    invitation = services.nps_invitation_get(token)
    language = invitation.contact.language
    answer = getattr(invitation, "response", None) if invitation.answered_at else None
    return Link("nps", token, language, invitation.survey.question(language), answer)


CSAT = Survey(
    kind="csat",
    scores=services.CSAT_SCORES,
    find=_csat_find,
    record=lambda token, score: services.csat_answer(
        token=token, score=score, channel=CsatResponse.Channel.EMAIL
    ),
    comment=lambda token, text: services.csat_comment_add(token=token, comment=text),
    url=services.csat_url,
    already=gettext_lazy("You have already rated this request."),
)
NPS = Survey(
    kind="nps",
    scores=services.NPS_SCORES,
    find=_nps_find,
    record=lambda token, score: services.nps_answer(token=token, score=score),
    comment=lambda token, text: services.nps_comment_add(token=token, comment=text),
    url=services.nps_url,
    already=gettext_lazy("You have already answered this survey."),
)


def _missing(request: HttpRequest) -> HttpResponse:
    return render(request, "quality/surveys/link_invalid.html", {}, status=404)


def _choices(survey: Survey, link: Link, chosen: int | None) -> list[dict[str, Any]]:
    return [
        {
            "score": n,
            "word": CSAT_WORDS.get(n, "") if survey.kind == "csat" else "",
            "url": survey.url(link.token, n),
            "chosen": n == chosen,
        }
        for n in survey.scores
    ]


def _answer(request: HttpRequest, survey: Survey, token: str, score: int) -> HttpResponse:
    try:
        link = survey.find(token)
    except SurveyLinkInvalid:
        return _missing(request)
    with translation.override(link.language):
        if score not in survey.scores:
            return _missing(request)
        ctx: dict[str, Any] = {"survey": survey, "link": link, "score": score, "error": ""}
        if link.answer is None and request.method == "POST":
            try:
                survey.record(token, score)
            except AlreadyAnswered:
                link = survey.find(token)
            except ValidationError as error:
                ctx["error"] = error.messages[0]
            else:
                return redirect(survey.url(token))
        if link.answer is not None:
            ctx.update(link=link, already=survey.already)
            return render(request, "quality/surveys/answered.html", ctx)
        ctx["choices"] = _choices(survey, link, score)
        status = 400 if ctx["error"] else 200
        return render(request, "quality/surveys/answer.html", ctx, status=status)


def _comment(request: HttpRequest, survey: Survey, token: str) -> HttpResponse:
    try:
        link = survey.find(token)
    except SurveyLinkInvalid:
        return _missing(request)
    with translation.override(link.language):
        if link.answer is None:
            # No score yet (the client opened the bare link): offer them all.
            ctx = {"survey": survey, "link": link, "choices": _choices(survey, link, None)}
            return render(request, "quality/surveys/answer.html", ctx)
        form = CommentForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid() and not link.answer.comment:
            try:
                survey.comment(token, form.cleaned_data["comment"])
            except ValidationError as error:
                form.add_error(None, error)
            except AlreadyAnswered:
                pass
            else:
                return redirect(survey.url(token))
        ctx = {"survey": survey, "link": link, "form": form}
        status = 400 if form.errors else 200
        return render(request, "quality/surveys/thanks.html", ctx, status=status)


@ensure_csrf_cookie
@require_http_methods(["GET", "POST"])
def csat_answer(request: HttpRequest, token: str, score: int) -> HttpResponse:
    return _answer(request, CSAT, token, score)


@ensure_csrf_cookie
@require_http_methods(["GET", "POST"])
def csat_comment(request: HttpRequest, token: str) -> HttpResponse:
    return _comment(request, CSAT, token)


@ensure_csrf_cookie
@require_http_methods(["GET", "POST"])
def nps_answer(request: HttpRequest, token: str, score: int) -> HttpResponse:
    return _answer(request, NPS, token, score)


@ensure_csrf_cookie
@require_http_methods(["GET", "POST"])
def nps_comment(request: HttpRequest, token: str) -> HttpResponse:
    return _comment(request, NPS, token)


# --- Follow-ups ----------------------------------------------------------------------


def _tabs(user: User) -> dict[str, bool]:
    return {
        "can_review": has_perm(user, Perm.REVIEW_QUALITY),
        "can_manage": has_perm(user, Perm.MANAGE_QUALITY),
    }


@require_perm(Perm.REVIEW_QUALITY)
def followup_list(request: AuthedRequest) -> HttpResponse:
    filters = FollowUpFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    everyone = data.get("who") == "all"
    status = data.get("status") or FollowUp.Status.OPEN
    rows = selectors.follow_up_list(user=request.user, everyone=everyone, status=status)
    page = keyset_page(rows, before=request.GET.get("before"), size=50)
    ctx = {
        "filters": filters,
        "page": page,
        "everyone": everyone,
        "status": status,
        "close_form": FollowUpCloseForm(),
        "now": timezone.now(),
        **_tabs(request.user),
    }
    return render(request, "quality/surveys/followup_list.html", ctx)


@require_POST
@require_perm(Perm.REVIEW_QUALITY)
def followup_close(request: AuthedRequest, pk: int) -> HttpResponse:
    follow_up = get_object_or_404(FollowUp, pk=pk)
    form = FollowUpCloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, str(form.errors["resolution"][0]))
        return redirect("quality:followup-list")
    try:
        services.follow_up_close(
            follow_up=follow_up, actor=request.user, resolution=form.cleaned_data["resolution"]
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("The follow-up is closed."))
    # The list comes back with the filters it was closed from (they ride on the form's URL).
    query = request.GET.urlencode()
    return redirect(reverse("quality:followup-list") + (f"?{query}" if query else ""))


# --- NPS surveys ---------------------------------------------------------------------


@require_perm(Perm.MANAGE_QUALITY)
def survey_list(request: AuthedRequest) -> HttpResponse:
    ctx = {"surveys": list(selectors.nps_survey_list()), **_tabs(request.user)}
    return render(request, "quality/surveys/survey_list.html", ctx)


def _next_run_at(day: dt.date | None) -> dt.datetime | None:
    # Surveys go out at ten in the morning of the company's day, not at midnight.
    return dt.datetime.combine(day, dt.time(10), tzinfo=company_zone()) if day else None


def _survey_form(request: AuthedRequest, survey: NpsSurvey | None) -> HttpResponse:
    initial = NpsSurveyForm.initial_for(survey) if survey else None
    form = NpsSurveyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        accounts = fields.pop("accounts")
        fields["next_run_at"] = _next_run_at(fields.pop("next_run_on"))
        try:
            saved = services.nps_survey_save(
                actor=request.user, survey=survey, accounts=accounts, **fields
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The survey is saved."))
            return redirect("quality:survey-edit", pk=saved.pk)
    ctx = {"form": form, "survey": survey}
    return render(
        request, "quality/surveys/survey_form.html", ctx, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
@require_perm(Perm.MANAGE_QUALITY)
def survey_create(request: AuthedRequest) -> HttpResponse:
    return _survey_form(request, None)


@require_http_methods(["GET", "POST"])
@require_perm(Perm.MANAGE_QUALITY)
def survey_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    return _survey_form(request, get_object_or_404(NpsSurvey, pk=pk))


@require_POST
@require_perm(Perm.MANAGE_QUALITY)
def survey_send(request: AuthedRequest, pk: int) -> HttpResponse:
    survey = get_object_or_404(NpsSurvey, pk=pk)
    invited = services.nps_survey_send_now(survey=survey, actor=request.user)
    messages.success(request, _("Invitations sent: %(count)s.") % {"count": len(invited)})
    return redirect("quality:survey-edit", pk=survey.pk)


# --- NPS results ---------------------------------------------------------------------

SORTS: dict[str, Callable[[tuple[int, str, selectors.NpsValue]], Any]] = {
    "name": lambda row: row[1].lower(),
    "nps": lambda row: -(row[2].score if row[2].score is not None else -101),
    "responses": lambda row: -row[2].responses,
}


def may_see_results(user: User) -> bool:
    return has_perm(user, Perm.REVIEW_QUALITY) or (
        has_perm(user, Perm.VIEW_QUALITY) and user.role == User.Role.ACCOUNT_MANAGER
    )


@require_perm(Perm.VIEW_QUALITY)
def nps_results(request: AuthedRequest) -> HttpResponse:
    if not may_see_results(request.user):
        raise PermissionDenied
    period = PeriodForm(request.GET or None)
    start, end = period.period()
    sort = request.GET.get("sort", "name")
    accounts = selectors.nps_by_account(start=start, end=end)
    accounts.sort(key=SORTS.get(sort, SORTS["name"]))
    trend = selectors.nps_trend(start=start, end=end, grain="month")
    ctx = {
        "period": period,
        "start": start,
        "end": end,
        "sort": sort,
        "summary": selectors.nps_summary(start=start, end=end),
        "accounts": accounts,
        "trend": trend,
        "chart": {
            "kind": "bar",
            "title": _("NPS by month"),
            "labels": [day.strftime("%m.%Y") for day, _value in trend],
            "series": [{"name": _("NPS"), "data": [value.score for _day, value in trend]}],
            "empty": _("No answers in the period"),
            "height": 240,
        },
        "answers": selectors.nps_answer_list(start=start, end=end, limit=100),
        **_tabs(request.user),
    }
    return render(request, "quality/surveys/results.html", ctx)
