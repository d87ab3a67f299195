"""Certification screens.

Managers (MANAGE_CERTIFICATION): tests, the editor, assigning, results, the status
matrix and an operator's history. Everyone with VIEW_QUALITY: «My certification»,
taking a test, results. An operator reaches only their own assignments and attempts
(anyone else's is a 404), and the answer sheet never carries which options are correct.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from opora.accounts.models import Team, User
from opora.core.access import Perm, has_perm, require_perm
from opora.core.forms import apply_validation_error
from opora.core.http import AuthedRequest
from opora.quality.certification import selectors, services
from opora.quality.certification.forms import (
    AssignForm,
    QuestionRow,
    TestSettingsForm,
    answers_from_post,
    rows_apply,
    rows_from_post,
    rows_from_test,
    rows_to_drafts,
)
from opora.quality.certification.scoring import MULTIPLE, PaperQuestion
from opora.quality.models import Assignment, Attempt, CertificationTest

TABS: list[tuple[str | Promise, str, Perm]] = [
    (gettext_lazy("My certification"), "quality:certification-mine", Perm.VIEW_QUALITY),
    (gettext_lazy("Tests"), "quality:certification-tests", Perm.MANAGE_CERTIFICATION),
    (
        gettext_lazy("Certification status"),
        "quality:certification-matrix",
        Perm.MANAGE_CERTIFICATION,
    ),
]
STATE_BADGES = {"passed": "ok", "failed": "bad", "overdue": "bad", "assigned": "info"}


def _tabs(request: AuthedRequest, current: str) -> list[dict[str, Any]]:
    return [
        {"label": label, "url": reverse(name), "current": name == current}
        for label, name, perm in TABS
        if has_perm(request.user, perm)
    ]


def _state(assignment: Assignment) -> dict[str, Any]:
    state = assignment.state()
    return {"code": state, "label": Assignment.Status(state).label, "badge": STATE_BADGES[state]}


# --- Tests (managers) ---------------------------------------------------------------------


@require_perm(Perm.MANAGE_CERTIFICATION)
def test_list(request: AuthedRequest) -> HttpResponse:
    ctx = {
        "tabs": _tabs(request, "quality:certification-tests"),
        "tests": list(selectors.tests_list()),
    }
    return render(request, "quality/certification/test_list.html", ctx)


def _int_list(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()]


def _save(
    request: AuthedRequest,
    test: CertificationTest | None,
    form: TestSettingsForm,
    rows: list[QuestionRow],
    article_ids: list[int],
) -> tuple[CertificationTest | None, list[str]]:
    """The saved test, or None and what is wrong (the shape first, then the rules)."""
    drafts, errors = rows_to_drafts(rows)
    if not form.is_valid() or errors:
        return None, errors
    draft = services.TestDraft(
        **form.cleaned_data, article_ids=tuple(article_ids), questions=tuple(drafts)
    )
    try:
        if test is None:
            return services.test_create(actor=request.user, draft=draft, request=request), []
        return services.test_update(actor=request.user, test=test, draft=draft, request=request), []
    except ValidationError as error:
        return None, list(error.messages)


def _editor(request: AuthedRequest, test: CertificationTest | None) -> HttpResponse:
    """The editor posts itself: «save» saves, any other action adds or removes a row."""
    errors: list[str] = []
    if request.method == "POST":
        form = TestSettingsForm(request.POST)
        rows = rows_from_post(request.POST)
        article_ids = _int_list(request.POST.getlist("articles"))
        action = request.POST.get("action", "save")
        if action == "save":
            saved, errors = _save(request, test, form, rows, article_ids)
            if saved is not None:
                messages.success(request, _("The test is saved."))
                return redirect("quality:certification-test-results", saved.pk)
        else:
            rows = rows_apply(rows, action)
    else:
        form = TestSettingsForm(
            initial={f: getattr(test, f) for f in services.TEST_FIELDS} if test else None
        )
        rows = rows_from_test(test) if test else [QuestionRow()]
        article_ids = list(test.articles.values_list("pk", flat=True)) if test else []
    query = request.POST.get("article_query", "").strip() if request.method == "POST" else ""
    material = sorted(selectors.article_links(article_ids).values(), key=lambda a: a.title)
    chosen = {a.id for a in material}
    found = (
        [
            a
            for a in selectors.published_articles_search(query, user=request.user)
            if a.id not in chosen
        ]
        if query
        else []
    )
    ctx = {
        "tabs": _tabs(request, "quality:certification-tests"),
        "test": test,
        "form": form,
        "rows": rows,
        "errors": errors,
        "material": material,
        "found": found,
        "article_query": query,
        "kinds": [("single", _("Single choice")), (MULTIPLE, _("Multiple choice"))],
    }
    return render(request, "quality/certification/test_form.html", ctx)


@require_perm(Perm.MANAGE_CERTIFICATION)
def test_create(request: AuthedRequest) -> HttpResponse:
    return _editor(request, None)


@require_perm(Perm.MANAGE_CERTIFICATION)
def test_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    return _editor(request, get_object_or_404(CertificationTest, pk=pk))


@require_perm(Perm.MANAGE_CERTIFICATION)
def test_assign(request: AuthedRequest, pk: int) -> HttpResponse:
    test = get_object_or_404(CertificationTest, pk=pk)
    form = AssignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.test_assign(
                actor=request.user,
                test=test,
                deadline=form.cleaned_data["deadline"],
                operator_ids=[u.pk for u in form.cleaned_data["operators"]],
                team_ids=[t.pk for t in form.cleaned_data["teams"]],
                request=request,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            count = len(result.created)
            messages.success(
                request,
                ngettext("Assigned to %(n)s person.", "Assigned to %(n)s people.", count)
                % {"n": count},
            )
            if result.skipped:
                messages.info(
                    request,
                    _("Already assigned and not finished: %(names)s.")
                    % {"names": ", ".join(str(u) for u in result.skipped)},
                )
            return redirect("quality:certification-test-results", test.pk)
    ctx = {"tabs": _tabs(request, "quality:certification-tests"), "test": test, "form": form}
    return render(request, "quality/certification/test_assign.html", ctx)


@require_perm(Perm.MANAGE_CERTIFICATION)
def test_results(request: AuthedRequest, pk: int) -> HttpResponse:
    test = get_object_or_404(CertificationTest, pk=pk)
    rows = _history_rows(selectors.test_results(test))
    counts = {code: sum(1 for r in rows if r["state"]["code"] == code) for code in STATE_BADGES}
    ctx = {
        "tabs": _tabs(request, "quality:certification-tests"),
        "test": test,
        "rows": rows,
        "counts": counts,
        "question_count": test.questions.count(),
        "material": selectors.test_material([test.pk]).get(test.pk, []),
    }
    return render(request, "quality/certification/test_results.html", ctx)


# --- Status (managers) ----------------------------------------------------------------------


@require_perm(Perm.MANAGE_CERTIFICATION)
def status_matrix(request: AuthedRequest) -> HttpResponse:
    team_param = request.GET.get("team", "")
    if team_param == "all":
        team_id = None
    elif team_param.isdigit():
        team_id = get_object_or_404(Team, pk=int(team_param)).pk
    else:
        team_id = selectors.lead_default_team(request.user)
    people = selectors.certified_people(team_id=team_id)
    tests = list(CertificationTest.objects.filter(is_active=True).order_by("title", "pk"))
    status = selectors.certification_status(operator_ids=[p.pk for p in people])
    rows = []
    for person in people:
        by_test = {s.test_id: s for s in status[person.pk]}
        cells = []
        for test in tests:
            state = by_test.get(test.pk)
            cells.append(
                {
                    "state": state,
                    "label": Assignment.Status(state.status).label if state else "",
                    "badge": STATE_BADGES[state.status] if state else "",
                }
            )
        rows.append({"person": person, "cells": cells})
    ctx = {
        "tabs": _tabs(request, "quality:certification-matrix"),
        "tests": tests,
        "rows": rows,
        "teams": list(Team.objects.order_by("name")),
        "team_id": team_id,
    }
    return render(request, "quality/certification/matrix.html", ctx)


@require_perm(Perm.MANAGE_CERTIFICATION)
def operator_history(request: AuthedRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    ctx = {
        "tabs": _tabs(request, "quality:certification-matrix"),
        "person": person,
        "rows": _history_rows(selectors.operator_history(person.pk)),
    }
    return render(request, "quality/certification/operator.html", ctx)


def _history_rows(assignments: list[Assignment]) -> list[dict[str, Any]]:
    return [
        {"assignment": a, "state": _state(a), "attempts": list(a.attempts.all())}
        for a in assignments
    ]


# --- The operator's side --------------------------------------------------------------------


@require_perm(Perm.VIEW_QUALITY)
def mine(request: AuthedRequest) -> HttpResponse:
    rows = _history_rows(selectors.operator_history(request.user.pk))
    current = [r for r in rows if r["state"]["code"] in Assignment.OPEN]
    material = selectors.test_material({r["assignment"].test_id for r in current})
    for row in current:
        row["material"] = material.get(row["assignment"].test_id, [])
    ctx = {
        "tabs": _tabs(request, "quality:certification-mine"),
        "current": current,
        "past": [r for r in rows if r["state"]["code"] not in Assignment.OPEN],
    }
    return render(request, "quality/certification/mine.html", ctx)


@require_perm(Perm.VIEW_QUALITY)
def assignment_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    assignment = selectors.own_assignment(request.user, pk)
    attempts = list(assignment.attempts.order_by("number"))
    in_progress = next((a for a in attempts if a.finished_at is None), None)
    state = _state(assignment)
    can_start = (
        in_progress is None
        and state["code"] in Assignment.OPEN
        and assignment.test.is_active
        and len(attempts) < assignment.test.attempts_allowed
    )
    ctx = {
        "tabs": _tabs(request, "quality:certification-mine"),
        "assignment": assignment,
        "test": assignment.test,
        "state": state,
        "attempts": attempts,
        "in_progress": in_progress,
        "can_start": can_start,
        "attempts_left": max(assignment.test.attempts_allowed - len(attempts), 0),
        "material": selectors.test_material([assignment.test_id]).get(assignment.test_id, []),
    }
    return render(request, "quality/certification/assignment.html", ctx)


@require_POST
@require_perm(Perm.VIEW_QUALITY)
def attempt_start(request: AuthedRequest, pk: int) -> HttpResponse:
    assignment = selectors.own_assignment(request.user, pk)
    try:
        attempt = services.attempt_start(actor=request.user, assignment=assignment)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("quality:certification-assignment", assignment.pk)
    return redirect("quality:certification-take", attempt.pk)


def _own_open_attempt(user: User, pk: int) -> Attempt:
    return get_object_or_404(
        Attempt.objects.select_related("assignment__test"), pk=pk, assignment__operator=user
    )


@require_perm(Perm.VIEW_QUALITY)
def attempt_take(request: AuthedRequest, pk: int) -> HttpResponse:
    attempt = _own_open_attempt(request.user, pk)
    if attempt.finished_at is not None:
        if request.method == "POST":
            messages.error(request, _("This attempt has already been submitted."))
        return redirect("quality:certification-attempt", attempt.pk)
    paper = services.attempt_paper(attempt)
    error = ""
    chosen: dict[int, list[int]] = {}
    if request.method == "POST":
        answers = answers_from_post(request.POST, [q.id for q in paper])
        if answers is None:
            error = _("An answer does not belong to its question.")
        else:
            chosen = answers
            try:
                services.attempt_submit(actor=request.user, attempt=attempt, answers=answers)
            except ValidationError as problem:
                error = " ".join(problem.messages)
            else:
                return redirect("quality:certification-attempt", attempt.pk)
    remaining = (
        max(int((attempt.due_at - timezone.now()).total_seconds()), 0) if attempt.due_at else None
    )
    ctx = {
        "attempt": attempt,
        "test": attempt.assignment.test,
        "questions": [_sheet(q, chosen.get(q.id, [])) for q in paper],
        "remaining": remaining,
        "error": error,
    }
    return render(request, "quality/certification/take.html", ctx, status=400 if error else 200)


def _sheet(question: PaperQuestion, chosen: list[int]) -> dict[str, Any]:
    # Built field by field so that `is_correct` can never reach the operator's browser.
    return {
        "id": question.id,
        "text": question.text,
        "multiple": question.kind == MULTIPLE,
        "points": question.points,
        "choices": [
            {"id": c.id, "text": c.text, "checked": c.id in chosen} for c in question.choices
        ],
    }


@require_perm(Perm.VIEW_QUALITY)
def attempt_result(request: AuthedRequest, pk: int) -> HttpResponse:
    attempt = selectors.visible_attempt(request.user, pk)
    if attempt.finished_at is None:
        if attempt.assignment.operator_id == request.user.pk:
            return redirect("quality:certification-take", attempt.pk)
        raise Http404
    is_manager = has_perm(request.user, Perm.MANAGE_CERTIFICATION)
    paper = services.attempt_paper(attempt)
    results = {int(r["question_id"]): r for r in attempt.answers}
    articles = selectors.article_links(q.article_id for q in paper if q.article_id)
    questions = []
    for question in paper:
        result = results.get(question.id, {"chosen": [], "correct": False, "earned": 0})
        chosen = set(result["chosen"])
        questions.append(
            {
                "text": question.text,
                "correct": result["correct"],
                "earned": result["earned"],
                "points": question.points,
                "choices": [
                    {
                        "text": c.text,
                        "chosen": c.id in chosen,
                        # The key is for managers: an operator may still have an attempt left.
                        "is_correct": c.is_correct if is_manager else None,
                    }
                    for c in question.choices
                ],
                "article": articles.get(question.article_id) if question.article_id else None,
            }
        )
    own = attempt.assignment.operator_id == request.user.pk
    ctx = {
        "tabs": _tabs(
            request, "quality:certification-mine" if own else "quality:certification-tests"
        ),
        "attempt": attempt,
        "assignment": attempt.assignment,
        "test": attempt.assignment.test,
        "questions": questions,
        "own": own,
    }
    return render(request, "quality/certification/result.html", ctx)
