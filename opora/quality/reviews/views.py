"""QA screens: reviews (list, form beside the conversation, thread, disputes), the sample to
review, scorecards, calibration sessions and «My quality»."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opora.analytics.facts import company_today
from opora.core.access import Perm, has_perm, require_perm
from opora.core.forms import apply_validation_error
from opora.core.http import AuthedRequest, redirect_after
from opora.core.pagination import keyset_page
from opora.quality.models import CalibrationSession, Dispute, Review, Scorecard
from opora.quality.reviews import selectors, services
from opora.quality.reviews.forms import (
    CalibrationForm,
    CommentForm,
    DisputeForm,
    EditorState,
    ResolveForm,
    ReviewFilterForm,
    SampleForm,
    StartForm,
    answer_rows,
    answers_from_post,
)
from opora.tickets.models import Attachment, Message, Ticket


def _messages_of(ticket: Ticket) -> list[Message]:
    """The conversation with what the ticket page shows under each message."""
    return list(
        ticket.messages.select_related(
            "author", "author_contact", "inbound_email"
        ).prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("id")), "deliveries"
        )
    )


TABS = [
    ("review-mine", Perm.VIEW_QUALITY),
    ("review-list", Perm.VIEW_QUALITY),
    ("review-sample", Perm.REVIEW_QUALITY),
    ("calibration-list", Perm.REVIEW_QUALITY),
    ("scorecard-list", Perm.MANAGE_QUALITY),
]


def _tabs(request: AuthedRequest, current: str) -> list[dict[str, Any]]:
    """The QA pages this person may open, as tabs above each of them."""
    labels = {
        "review-mine": _("My quality"),
        "review-list": _("Reviews"),
        "review-sample": _("To review"),
        "calibration-list": _("Calibration"),
        "scorecard-list": _("Scorecards"),
    }
    return [
        {"url": reverse(f"quality:{name}"), "label": labels[name], "current": name == current}
        for name, perm in TABS
        if has_perm(request.user, perm)
    ]


# ---------------------------------------------------------------- lists


@require_perm(Perm.VIEW_QUALITY)
def review_list(request: AuthedRequest) -> HttpResponse:
    reviewer = has_perm(request.user, Perm.REVIEW_QUALITY)
    form = ReviewFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = selectors.ReviewFilters(
        operator_id=data["operator"].pk if data.get("operator") else None,
        team_id=data["team"].pk if data.get("team") else None,
        reviewer_id=data["reviewer"].pk if data.get("reviewer") else None,
        start=data.get("start"),
        end=data.get("end"),
        status=data.get("status") or "",
        disputed=bool(data.get("disputed")),
    )
    page = keyset_page(
        selectors.review_list(request.user, filters), before=request.GET.get("before")
    )
    query = request.GET.copy()
    query.pop("before", None)
    ctx = {
        "form": form,
        "page": page,
        "is_reviewer": reviewer,
        "query": query.urlencode(),
        "tabs": _tabs(request, "review-list"),
    }
    return render(request, "quality/reviews/review_list.html", ctx)


@require_perm(Perm.VIEW_QUALITY)
def my_quality(request: AuthedRequest) -> HttpResponse:
    today = company_today()
    periods = [
        (
            days,
            selectors.iqs_total(
                start=today - dt.timedelta(days=days - 1), end=today, operator_id=request.user.pk
            ),
        )
        for days in (30, 90)
    ]
    mine = selectors.review_list(request.user, selectors.ReviewFilters(operator_id=request.user.pk))
    ctx = {
        "periods": periods,
        "reviews": list(mine.filter(status=Review.Status.SUBMITTED, calibration__isnull=True)[:50]),
        "disputes": list(selectors.open_disputes(operator=request.user)),
        "tabs": _tabs(request, "review-mine"),
    }
    return render(request, "quality/reviews/mine.html", ctx)


@require_perm(Perm.REVIEW_QUALITY)
def review_sample(request: AuthedRequest) -> HttpResponse:
    today = company_today()
    initial: dict[str, Any] = {
        "start": today - dt.timedelta(days=30),
        "end": today,
        "kind": selectors.SampleKind.RANDOM,
        "per_operator": 3,
        "scorecard": Scorecard.objects.filter(is_active=True).first(),
    }
    form = SampleForm(request.GET or None, initial=initial)
    rows: list[selectors.SampleRow] = []
    data = form.cleaned_data if form.is_bound and form.is_valid() else initial
    if not form.is_bound or form.is_valid():
        rows = selectors.review_sample(
            reviewer=request.user,
            start=data["start"],
            end=data["end"],
            team_id=data["team"].pk if data.get("team") else None,
            operator_id=data["operator"].pk if data.get("operator") else None,
            kind=data["kind"],
            per_operator=data["per_operator"],
            seed=selectors.sample_seed(request.user),
        )
    ctx = {
        "form": form,
        "rows": rows,
        "scorecard": data.get("scorecard"),
        "tabs": _tabs(request, "review-sample"),
    }
    return render(request, "quality/reviews/sample.html", ctx)


# ---------------------------------------------------------------- one review


@require_perm(Perm.REVIEW_QUALITY)
def review_start(request: AuthedRequest, number: int) -> HttpResponse:
    """From the ticket page or the sample: begin (or continue) this ticket's review."""
    ticket = get_object_or_404(Ticket.objects.select_related("assignee"), number=number)
    existing = Review.objects.filter(ticket=ticket, calibration=None).order_by("-id").first()
    if existing is not None and request.method != "POST":
        return redirect("quality:review-detail", existing.pk)
    form = StartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review = services.review_start(
                actor=request.user, ticket=ticket, scorecard=form.cleaned_data["scorecard"]
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return redirect("quality:review-edit", review.pk)
    ctx = {"ticket": ticket, "form": form, "existing": existing}
    return render(request, "quality/reviews/start.html", ctx, status=400 if form.errors else 200)


@require_perm(Perm.VIEW_QUALITY)
def review_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    review = selectors.review_get_for(request.user, pk)
    if review.status == Review.Status.DRAFT and services.review_editable_by(review, request.user):
        return redirect("quality:review-edit", review.pk)
    return render(request, "quality/reviews/detail.html", _detail_ctx(request, review))


def _detail_ctx(request: AuthedRequest, review: Review, **forms: Any) -> dict[str, Any]:
    user = request.user
    disputes = list(review.disputes.select_related("raised_by", "resolved_by"))
    open_dispute = next((d for d in disputes if d.status == Dispute.Status.OPEN), None)
    can_dispute = (
        user.pk == review.operator_id
        and review.is_submitted
        and review.calibration_id is None
        and open_dispute is None
    )
    can_resolve = (
        open_dispute is not None
        and has_perm(user, Perm.REVIEW_QUALITY)
        and user.pk != review.operator_id
    )
    return {
        "review": review,
        "answers": list(review.answers.all()),
        "comments": list(review.comments.select_related("author")),
        "disputes": disputes,
        "open_dispute": open_dispute,
        "can_dispute": can_dispute,
        "can_resolve": can_resolve,
        "can_edit": services.review_editable_by(review, user),
        "comment_form": forms.get("comment_form") or CommentForm(),
        "dispute_form": forms.get("dispute_form") or DisputeForm(),
        "resolve_form": forms.get("resolve_form") or ResolveForm(),
        "messages_list": _messages_of(review.ticket),
        "ticket": review.ticket,
    }


def _editable(request: AuthedRequest, pk: int) -> Review:
    review = selectors.review_get_for(request.user, pk)
    if not services.review_editable_by(review, request.user):
        raise PermissionDenied
    return review


def _form_ctx(
    review: Review, answers: dict[int, services.AnswerInput], comment: str, errors: list[str]
) -> dict[str, Any]:
    criteria = services.scorecard_criteria(review.scorecard)
    return {
        "review": review,
        "ticket": review.ticket,
        "groups": answer_rows(criteria, answers),
        "comment": comment,
        "errors": errors,
        "result": services.preview_score(criteria, answers),
        "messages_list": _messages_of(review.ticket),
    }


@require_perm(Perm.REVIEW_QUALITY)
def review_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    review = _editable(request, pk)
    if request.method == "POST":
        answers, errors = answers_from_post(request.POST)
        comment = request.POST.get("comment", "")
        if not errors:
            service = services.review_submit if "submit" in request.POST else services.review_save
            try:
                service(actor=request.user, review=review, answers=answers, comment=comment)
            except ValidationError as error:
                errors = error.messages
            else:
                if "submit" in request.POST:
                    messages.success(
                        request, _("The review is submitted; the operator is notified.")
                    )
                    return redirect("quality:review-detail", review.pk)
                messages.success(request, _("The draft is saved."))
                return redirect("quality:review-edit", review.pk)
        ctx = _form_ctx(review, answers, comment, errors)
        return render(request, "quality/reviews/form.html", ctx, status=400)
    saved = {
        a.criterion_id: services.AnswerInput(a.value, a.is_na, a.comment)
        for a in review.answers.all()
        if a.criterion_id is not None
    }
    return render(
        request, "quality/reviews/form.html", _form_ctx(review, saved, review.comment, [])
    )


@require_POST
@require_perm(Perm.REVIEW_QUALITY)
def review_score(request: AuthedRequest, pk: int) -> HttpResponse:
    """The live score of the answers on the form (htmx, as the answers change); saves nothing."""
    review = _editable(request, pk)
    answers, _errors = answers_from_post(request.POST)
    result = services.preview_score(services.scorecard_criteria(review.scorecard), answers)
    return render(
        request, "quality/reviews/form.html#live-score", {"result": result, "review": review}
    )


@require_POST
@require_perm(Perm.VIEW_QUALITY)
def review_comment(request: AuthedRequest, pk: int) -> HttpResponse:
    review = selectors.review_get_for(request.user, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.review_comment_add(
                actor=request.user, review=review, text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return redirect(reverse("quality:review-detail", args=[pk]) + "#thread")
    ctx = _detail_ctx(request, review, comment_form=form)
    return render(request, "quality/reviews/detail.html", ctx, status=400)


@require_POST
@require_perm(Perm.VIEW_QUALITY)
def review_dispute(request: AuthedRequest, pk: int) -> HttpResponse:
    review = selectors.review_get_for(request.user, pk)
    form = DisputeForm(request.POST)
    if form.is_valid():
        try:
            services.dispute_open(
                actor=request.user, review=review, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Your dispute is sent to the team lead."))
            return redirect("quality:review-detail", pk)
    ctx = _detail_ctx(request, review, dispute_form=form)
    return render(request, "quality/reviews/detail.html", ctx, status=400)


@require_POST
@require_perm(Perm.REVIEW_QUALITY)
def review_dispute_resolve(request: AuthedRequest, pk: int) -> HttpResponse:
    dispute = get_object_or_404(Dispute, pk=pk)
    review = selectors.review_get_for(request.user, dispute.review_id)
    form = ResolveForm(request.POST)
    if form.is_valid():
        uphold = form.cleaned_data["decision"] == "uphold"
        try:
            services.dispute_resolve(
                actor=request.user, dispute=dispute, uphold=uphold, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            if uphold:
                messages.success(request, _("The dispute is upheld: re-score the review."))
                return redirect("quality:review-edit", review.pk)
            messages.success(request, _("The dispute is rejected."))
            return redirect("quality:review-detail", review.pk)
    ctx = _detail_ctx(request, review, resolve_form=form)
    return render(request, "quality/reviews/detail.html", ctx, status=400)


# ---------------------------------------------------------------- scorecards


@require_perm(Perm.MANAGE_QUALITY)
def scorecard_list(request: AuthedRequest) -> HttpResponse:
    scorecards = Scorecard.objects.annotate(
        criteria_count=Count("categories__criteria", distinct=True),
        reviews_count=Count("reviews", distinct=True),
    )
    ctx = {"scorecards": scorecards, "tabs": _tabs(request, "scorecard-list")}
    return render(request, "quality/reviews/scorecard_list.html", ctx)


def _scorecard_editor(request: AuthedRequest, scorecard: Scorecard | None) -> HttpResponse:
    if request.method != "POST":
        state = EditorState.of(scorecard) if scorecard else EditorState.blank()
        return _render_editor(request, scorecard, state, [])
    state = EditorState.from_post(request.POST)
    action = request.POST.get("action", "")
    if action != "save":
        state.apply(action)
        return _render_editor(request, scorecard, state, [])
    categories, errors = state.specs()
    if not errors:
        try:
            if scorecard is None:
                scorecard = services.scorecard_create(
                    actor=request.user,
                    name=state.name,
                    description=state.description,
                    is_active=state.is_active,
                    categories=categories,
                )
            else:
                services.scorecard_update(
                    actor=request.user,
                    scorecard=scorecard,
                    name=state.name,
                    description=state.description,
                    is_active=state.is_active,
                    categories=categories,
                )
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(request, _("The scorecard is saved."))
            return redirect_after(request, "quality:scorecard-edit", scorecard.pk)
    return _render_editor(request, scorecard, state, errors, status=400)


def _render_editor(
    request: AuthedRequest,
    scorecard: Scorecard | None,
    state: EditorState,
    errors: list[str],
    status: int = 200,
) -> HttpResponse:
    ctx = {"scorecard": scorecard, "state": state, "errors": errors}
    template = "quality/reviews/scorecard_form.html"
    if request.htmx:
        template += "#editor"
    return render(request, template, ctx, status=status)


@require_perm(Perm.MANAGE_QUALITY)
def scorecard_create(request: AuthedRequest) -> HttpResponse:
    return _scorecard_editor(request, None)


@require_perm(Perm.MANAGE_QUALITY)
def scorecard_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    return _scorecard_editor(request, get_object_or_404(Scorecard, pk=pk))


# ---------------------------------------------------------------- calibration


@require_perm(Perm.REVIEW_QUALITY)
def calibration_list(request: AuthedRequest) -> HttpResponse:
    ctx = {
        "sessions": list(selectors.calibration_list()[:100]),
        "tabs": _tabs(request, "calibration-list"),
    }
    return render(request, "quality/reviews/calibration_list.html", ctx)


@require_perm(Perm.REVIEW_QUALITY)
def calibration_create(request: AuthedRequest) -> HttpResponse:
    form = CalibrationForm(request.POST or None, initial={"ticket": request.GET.get("ticket")})
    if request.method == "POST" and form.is_valid():
        try:
            session = services.calibration_create(
                actor=request.user,
                ticket=form.cleaned_data["ticket"],
                scorecard=form.cleaned_data["scorecard"],
                reviewers=list(form.cleaned_data["reviewers"]),
                title=form.cleaned_data["title"],
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return redirect("quality:calibration-detail", session.pk)
    status = 400 if form.errors else 200
    return render(request, "quality/reviews/calibration_form.html", {"form": form}, status=status)


@require_perm(Perm.REVIEW_QUALITY)
def calibration_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(
        CalibrationSession.objects.select_related("ticket", "scorecard", "created_by"), pk=pk
    )
    reviewers = list(session.reviewers.all())
    reviews = selectors.calibration_reviews(session)
    mine = next((r for r in reviews if r.reviewer_id == request.user.pk), None)
    submitted = [r for r in reviews if r.is_submitted]
    everyone_done = len(submitted) >= len(reviewers)
    is_member = any(r.pk == request.user.pk for r in reviewers)
    # Judgements stay independent: a member sees the spread only after scoring themself.
    show_spread = session.status == CalibrationSession.Status.CLOSED or (
        everyone_done and (not is_member or (mine is not None and mine.is_submitted))
    )
    ctx = {
        "session": session,
        "reviewers": reviewers,
        "reviews": reviews,
        "mine": mine,
        "is_member": is_member,
        "submitted_count": len(submitted),
        "spread": selectors.calibration_spread(session, reviews) if show_spread else None,
    }
    return render(request, "quality/reviews/calibration_detail.html", ctx)


@require_POST
@require_perm(Perm.REVIEW_QUALITY)
def calibration_review(request: AuthedRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(
        CalibrationSession.objects.select_related("ticket__assignee", "scorecard"), pk=pk
    )
    try:
        review = services.review_start(
            actor=request.user,
            ticket=session.ticket,
            scorecard=session.scorecard,
            calibration=session,
        )
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return redirect("quality:calibration-detail", pk)
    if review.is_submitted:
        return redirect("quality:review-detail", review.pk)
    return redirect("quality:review-edit", review.pk)


@require_POST
@require_perm(Perm.REVIEW_QUALITY)
def calibration_close(request: AuthedRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(CalibrationSession, pk=pk)
    try:
        services.calibration_close(actor=request.user, session=session)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    return redirect("quality:calibration-detail", pk)
