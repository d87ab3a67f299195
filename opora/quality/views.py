"""The quality home: what this person has to do in QA, surveys and certification."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from opora.analytics.facts import company_today
from opora.analytics.goals import goals_current
from opora.core.access import Perm, has_perm, require_perm
from opora.core.http import AuthedRequest
from opora.quality.certification.selectors import certification_status
from opora.quality.reviews.selectors import iqs_total, open_disputes
from opora.quality.surveys.selectors import follow_up_list, nps_summary


@dataclass(frozen=True)
class Tile:
    title: str | Promise
    url: str
    value: str = ""
    hint: str | Promise = ""
    alert: bool = False


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _mine(request: AuthedRequest, since: dt.date, today: dt.date) -> list[Tile]:
    """An operator's own quality: their score, their open disputes, their tests."""
    user = request.user
    mine = iqs_total(start=since, end=today, operator_id=user.pk)
    states = certification_status(operator_ids=[user.pk]).get(user.pk, [])
    to_take = [s for s in states if s.status in ("assigned", "overdue", "failed")]
    return [
        Tile(
            _("My quality score, 30 days"),
            reverse("quality:review-mine"),
            _percent(mine.score),
            _("%(count)s reviews") % {"count": mine.reviews},
        ),
        Tile(
            _("My certification"),
            reverse("quality:certification-mine"),
            str(len(to_take)),
            _("tests to take"),
            alert=any(s.status == "overdue" for s in states),
        ),
    ]


def _team(request: AuthedRequest, since: dt.date, today: dt.date) -> list[Tile]:
    """A reviewer's view: the department's score against its goal, what waits for them."""
    team = iqs_total(start=since, end=today)
    goals = goals_current()
    goal = goals.value("iqs")
    disputes = open_disputes().count()
    follow_ups = follow_up_list(user=request.user).count()
    nps = nps_summary(start=today - dt.timedelta(days=89), end=today)
    return [
        Tile(
            _("Department quality score, 30 days"),
            reverse("quality:review-list"),
            _percent(team.score),
            _("goal %(goal)s%%, %(count)s reviews")
            % {"goal": f"{goal:.0f}", "count": team.reviews},
            alert=team.score is not None and team.score < goal,
        ),
        Tile(_("To review"), reverse("quality:review-sample"), hint=_("a sample per operator")),
        Tile(
            _("Open disputes"),
            f"{reverse('quality:review-list')}?disputed=1",
            str(disputes),
            alert=disputes > 0,
        ),
        Tile(
            _("Calibration"),
            reverse("quality:calibration-list"),
            hint=_("one ticket, several reviewers"),
        ),
        Tile(
            _("My follow-ups of low scores"),
            reverse("quality:followup-list"),
            str(follow_ups),
            alert=follow_ups > 0,
        ),
        Tile(
            _("NPS, 90 days"),
            reverse("quality:nps-results"),
            "—" if nps.score is None else f"{nps.score:.0f}",
            _("goal %(goal)s, %(count)s answers")
            % {"goal": f"{goals.nps}", "count": nps.responses},
            alert=nps.score is not None and nps.score < goals.nps,
        ),
    ]


def _setup(request: AuthedRequest) -> list[Tile]:
    tiles = []
    if has_perm(request.user, Perm.MANAGE_QUALITY):
        tiles += [
            Tile(_("Scorecards"), reverse("quality:scorecard-list")),
            Tile(_("NPS surveys"), reverse("quality:survey-list")),
        ]
    if has_perm(request.user, Perm.MANAGE_CERTIFICATION):
        tiles += [
            Tile(_("Certification tests"), reverse("quality:certification-tests")),
            Tile(_("Certification status"), reverse("quality:certification-matrix")),
        ]
    return tiles


@require_perm(Perm.VIEW_QUALITY)
def home(request: AuthedRequest) -> HttpResponse:
    today = company_today()
    since = today - dt.timedelta(days=29)
    reviewer = has_perm(request.user, Perm.REVIEW_QUALITY)
    ctx = {
        "groups": [
            (_("Mine"), _mine(request, since, today)),
            (_("Quality control"), _team(request, since, today) if reviewer else []),
            (_("Setup"), _setup(request)),
        ],
    }
    return render(request, "quality/home.html", ctx)
