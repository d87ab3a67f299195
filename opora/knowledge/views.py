"""Knowledge base screens: home, sections, articles, editor, history, review queue, composer."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opora.core.access import Perm, has_perm, require_perm
from opora.core.http import AuthedRequest
from opora.knowledge import services
from opora.knowledge.forms import (
    ArticleForm,
    FileForm,
    SearchForm,
    SectionForm,
    SendBackForm,
    VoteForm,
)
from opora.knowledge.markup import markdown_render, text_diff
from opora.knowledge.models import Article, ArticleFile, ArticleVersion, Section
from opora.knowledge.search import article_search
from opora.knowledge.selectors import (
    article_get_for_user,
    article_texts,
    articles_needing_review,
    articles_readable,
    can_edit,
    can_publish,
    composer_items,
    section_articles,
    section_tree,
)
from opora.tickets.models import Ticket

SEARCH_LIMIT = 20
SUGGEST_LIMIT = 6


def _language(request: AuthedRequest) -> str:
    return "en" if (request.GET.get("lang") or get_language()) == "en" else "ru"


def staff_file_url(pk: int) -> str:
    item = ArticleFile.objects.filter(pk=pk).only("name").first()
    return reverse("knowledge:file", args=[pk, item.name]) if item else ""


def _form_error(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, problems in error.error_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error)


# --- Home, sections, search -----------------------------------------------------------


@require_perm(Perm.VIEW_KB)
def home(request: AuthedRequest) -> HttpResponse:
    ctx = {
        "tree": section_tree(),
        "search_form": SearchForm(),
        "needs_review": articles_needing_review().count(),
        "mine_review": articles_needing_review(user=request.user).count(),
        "can_write": has_perm(request.user, Perm.WRITE_KB),
        "can_manage": has_perm(request.user, Perm.PUBLISH_KB),
    }
    return render(request, "knowledge/home.html", ctx)


@require_perm(Perm.VIEW_KB)
def search(request: AuthedRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    section = None
    if section_id := request.GET.get("section", "").strip():
        section = Section.objects.filter(pk=int(section_id) if section_id.isdigit() else 0).first()
    hits = article_search(
        query,
        language=_language(request),
        user_or_public=request.user,
        section=section,
        limit=SEARCH_LIMIT,
    )
    ctx = {"search_form": form, "query": query, "hits": hits, "section": section}
    template = "knowledge/search.html#results" if request.htmx else "knowledge/search.html"
    return render(request, template, ctx)


@require_perm(Perm.VIEW_KB)
def section_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    section = get_object_or_404(Section.objects.select_related("owner", "backup_owner"), pk=pk)
    language = _language(request)
    articles = list(section_articles(section=section, user=request.user))
    for article in articles:
        texts = article_texts(article)
        article.display_title = (texts.get(language) or texts.get("ru") or article).__str__()  # type: ignore[attr-defined]
    ctx = {
        "section": section,
        "articles": articles,
        "children": section.children.all(),
        "search_form": SearchForm(),
        "can_write": has_perm(request.user, Perm.WRITE_KB),
        "can_manage": has_perm(request.user, Perm.PUBLISH_KB),
    }
    return render(request, "knowledge/section_detail.html", ctx)


@require_perm(Perm.PUBLISH_KB)
def section_list(request: AuthedRequest) -> HttpResponse:
    return render(request, "knowledge/section_list.html", {"tree": section_tree()})


@require_perm(Perm.PUBLISH_KB)
def section_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    section = get_object_or_404(Section, pk=pk) if pk else None
    form = SectionForm(request.POST or None, instance=section)
    if request.method == "POST" and form.is_valid():
        try:
            if section is None:
                section = services.section_create(
                    actor=request.user, request=request, **form.cleaned_data
                )
            else:
                services.section_update(
                    actor=request.user, section=section, request=request, **form.cleaned_data
                )
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Section saved."))
            return redirect("knowledge:section-list")
    status = 400 if form.errors else 200
    ctx = {"form": form, "section": section}
    return render(request, "knowledge/section_form.html", ctx, status=status)


# --- Articles ------------------------------------------------------------------------


def _article_ctx(request: AuthedRequest, article: Article) -> dict[str, Any]:
    texts = article_texts(article)
    language = _language(request)
    text = texts.get(language) or texts["ru"]
    user = request.user
    return {
        "article": article,
        "text": text,
        "language": text.language,
        "languages": sorted(texts, reverse=True),
        "html": markdown_render(text.body, file_url=staff_file_url),
        "files": article.files.all(),
        "tickets": article.ticket_links.select_related("ticket").order_by("-linked_at")[:20],
        "can_edit": can_edit(user, article),
        "can_publish": can_publish(user, article.section),
        "overdue": article.is_overdue(),
        "voted": article.votes.filter(user=user).first(),
        "send_back_form": SendBackForm(),
    }


@require_perm(Perm.VIEW_KB)
def article_detail(request: AuthedRequest, number: int) -> HttpResponse:
    article = article_get_for_user(number=number, user=request.user)
    return render(request, "knowledge/article_detail.html", _article_ctx(request, article))


@require_perm(Perm.WRITE_KB)
def article_create(request: AuthedRequest) -> HttpResponse:
    initial = {"section": request.GET.get("section"), "kind": request.GET.get("kind", "article")}
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            settings = form.settings()
            article = services.article_create(
                actor=request.user, texts=form.texts(), request=request, **settings
            )
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Draft saved."))
            return redirect("knowledge:article-edit", article.number)
    status = 400 if form.errors else 200
    return render(request, "knowledge/article_form.html", {"form": form}, status=status)


@require_perm(Perm.WRITE_KB)
def article_edit(request: AuthedRequest, number: int) -> HttpResponse:
    article = article_get_for_user(number=number, user=request.user)
    texts = article_texts(article)
    initial = {
        "section": article.section_id,
        "kind": article.kind,
        "visibility": article.visibility,
        "review_by": article.review_by,
        **{
            f"{field}_{lang}": getattr(t, field)
            for lang, t in texts.items()
            for field in ("title", "body")
        },
    }
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            article = services.article_update(
                actor=request.user,
                article=article,
                texts=form.texts(),
                note=form.cleaned_data["note"],
                request=request,
                **form.settings(),
            )
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("knowledge:article-detail", article.number)
    ctx = {"form": form, "article": article, "files": article.files.all(), "file_form": FileForm()}
    status = 400 if form.errors else 200
    return render(request, "knowledge/article_form.html", ctx, status=status)


@require_POST
@require_perm(Perm.WRITE_KB)
def article_preview(request: AuthedRequest) -> HttpResponse:
    language = "en" if request.POST.get("language") == "en" else "ru"
    html = markdown_render(request.POST.get(f"body_{language}", ""), file_url=staff_file_url)
    return render(request, "knowledge/article_form.html#preview", {"html": html})


@require_POST
@require_perm(Perm.WRITE_KB)
def article_file_upload(request: AuthedRequest, number: int) -> HttpResponse:
    article = article_get_for_user(number=number, user=request.user)
    form = FileForm(request.POST, request.FILES)
    error = None
    if form.is_valid():
        try:
            services.article_file_add(
                actor=request.user,
                article=article,
                upload=form.cleaned_data["file"],
                request=request,
            )
        except ValidationError as problem:
            error = problem.message_dict.get("file", problem.messages)[0]
    else:
        error = str(form.errors["file"][0])
    ctx = {"article": article, "files": article.files.all(), "file_form": form, "file_error": error}
    if request.htmx:
        return render(
            request, "knowledge/article_form.html#files", ctx, status=400 if error else 200
        )
    if error:
        messages.error(request, error)
    return redirect("knowledge:article-edit", article.number)


def file_response(item: ArticleFile) -> FileResponse:
    try:
        handle = item.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    response = FileResponse(
        handle, as_attachment=not item.is_image, filename=item.name, content_type=item.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_perm(Perm.VIEW_KB)
def file(request: AuthedRequest, pk: int, name: str) -> FileResponse:
    item = get_object_or_404(ArticleFile, pk=pk, name=name)
    if not articles_readable(request.user).filter(pk=item.article_id).exists():
        raise Http404
    return file_response(item)


def _workflow(request: AuthedRequest, number: int, action: str) -> HttpResponseBase:
    article = article_get_for_user(number=number, user=request.user)
    try:
        if action == "submit":
            services.article_submit(actor=request.user, article=article, request=request)
            messages.success(request, _("Sent for review."))
        elif action == "publish":
            services.article_publish(actor=request.user, article=article, request=request)
            messages.success(request, _("Published."))
        elif action == "archive":
            services.article_archive(actor=request.user, article=article, request=request)
            messages.success(request, _("Archived."))
        elif action == "verify":
            services.article_verify(actor=request.user, article=article, request=request)
            messages.success(request, _("Marked as verified."))
            if request.POST.get("next") == "queue":
                return redirect(reverse("knowledge:review-queue") + "?" + request.GET.urlencode())
        else:
            form = SendBackForm(request.POST)
            comment = form.cleaned_data["comment"] if form.is_valid() else ""
            services.article_send_back(
                actor=request.user, article=article, comment=comment, request=request
            )
            messages.success(request, _("Sent back to the author."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("knowledge:article-detail", article.number)


@require_POST
@require_perm(Perm.WRITE_KB)
def article_submit(request: AuthedRequest, number: int) -> HttpResponseBase:
    return _workflow(request, number, "submit")


@require_POST
@require_perm(Perm.WRITE_KB)
def article_publish(request: AuthedRequest, number: int) -> HttpResponseBase:
    return _workflow(request, number, "publish")


@require_POST
@require_perm(Perm.WRITE_KB)
def article_send_back(request: AuthedRequest, number: int) -> HttpResponseBase:
    return _workflow(request, number, "send_back")


@require_POST
@require_perm(Perm.WRITE_KB)
def article_archive(request: AuthedRequest, number: int) -> HttpResponseBase:
    return _workflow(request, number, "archive")


@require_POST
@require_perm(Perm.WRITE_KB)
def article_verify(request: AuthedRequest, number: int) -> HttpResponseBase:
    return _workflow(request, number, "verify")


@require_POST
@require_perm(Perm.VIEW_KB)
def article_vote(request: AuthedRequest, number: int) -> HttpResponseBase:
    article = article_get_for_user(number=number, user=request.user)
    form = VoteForm(request.POST)
    if form.is_valid():
        if services.article_vote(
            article=article, helpful=form.cleaned_data["helpful"], user=request.user
        ):
            messages.success(request, _("Thank you for the feedback."))
        else:
            messages.info(request, _("You have already voted on this article."))
    return redirect("knowledge:article-detail", article.number)


@require_perm(Perm.VIEW_KB)
def article_history(request: AuthedRequest, number: int) -> HttpResponse:
    article = article_get_for_user(number=number, user=request.user)
    language = _language(request)
    versions = list(
        article.versions.filter(language=language).select_related("author").order_by("-number")
    )
    by_number = {v.number: v for v in versions}

    def pick(name: str, default: int) -> ArticleVersion | None:
        value = request.GET.get(name, "")
        return by_number.get(int(value) if value.isdigit() else default)

    newest = versions[0].number if versions else 0
    new, old = pick("b", newest), pick("a", newest - 1)
    rows = []
    if old and new:
        rows = text_diff(f"# {old.title}\n\n{old.body}", f"# {new.title}\n\n{new.body}")
    ctx = {
        "article": article,
        "versions": versions,
        "language": language,
        "old": old,
        "new": new,
        "rows": rows,
        "can_edit": can_edit(request.user, article),
        "has_en": article.versions.filter(language="en").exists(),
    }
    return render(request, "knowledge/article_history.html", ctx)


@require_POST
@require_perm(Perm.WRITE_KB)
def version_restore(request: AuthedRequest, number: int, pk: int) -> HttpResponseBase:
    article = article_get_for_user(number=number, user=request.user)
    version = get_object_or_404(ArticleVersion, pk=pk, article=article)
    try:
        services.version_restore(actor=request.user, version=version, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("Version %(number)s restored as a new version.") % {"number": version.number}
        )
    return redirect("knowledge:article-detail", article.number)


# --- Needs verification ----------------------------------------------------------------


@require_perm(Perm.VIEW_KB)
def review_queue(request: AuthedRequest) -> HttpResponse:
    mine = request.GET.get("mine") == "1"
    articles = list(articles_needing_review(user=request.user if mine else None))
    language = _language(request)
    for article in articles:
        texts = article_texts(article)
        article.display_title = (texts.get(language) or texts.get("ru") or article).__str__()  # type: ignore[attr-defined]
        article.may_verify = can_publish(request.user, article.section)  # type: ignore[attr-defined]
    ctx = {"articles": articles, "mine": mine, "today": timezone.localdate()}
    return render(request, "knowledge/review_queue.html", ctx)


# --- The reply composer's panel ----------------------------------------------------------


@require_perm(Perm.WORK_TICKETS)
def ticket_suggest(request: AuthedRequest, number: int) -> HttpResponse:
    """Articles and scripts for the ticket: from its subject and first client message,
    or from what the operator typed in the panel's search box."""
    if not has_perm(request.user, Perm.VIEW_KB):
        raise PermissionDenied
    ticket = get_object_or_404(Ticket, number=number)
    query = request.GET.get("q", "").strip()[:200]
    language = _language(request)
    if query:
        hits = article_search(
            query, language=language, user_or_public=request.user, limit=SUGGEST_LIMIT
        )
    else:
        first = ticket.messages.filter(kind="client").order_by("created_at", "id").first()
        text = f"{ticket.subject} {first.body[:400] if first else ''}"
        hits = article_search(
            text, language=language, user_or_public=request.user, limit=SUGGEST_LIMIT, any_term=True
        )
    items = composer_items(hits=hits, base_url=request.build_absolute_uri("/")[:-1])
    ctx = {"ticket": ticket, "items": items, "query": query}
    return render(request, "knowledge/includes/ticket_suggest.html", ctx)


@require_POST
@require_perm(Perm.WORK_TICKETS)
def ticket_use(request: AuthedRequest, number: int, article_number: int) -> HttpResponse:
    """The operator inserted the article into a reply: remember the ticket on the article."""
    ticket = get_object_or_404(Ticket, number=number)
    article = article_get_for_user(number=article_number, user=request.user)
    services.article_ticket_link(
        actor=request.user, article=article, ticket=ticket, request=request
    )
    return HttpResponse(status=204)
