"""The public knowledge base in the client portal (/portal/kb/): a help center.

Readable without signing in. Only published public articles of public sections
exist here: anything else is a 404, never a «forbidden» that would reveal it.
A signed-in contact votes as themselves; an anonymous reader once per session.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opora.channels.portal.auth import portal_contact
from opora.core.middleware import SUPPORTED_LANGUAGES
from opora.knowledge import services
from opora.knowledge.forms import SearchForm, VoteForm
from opora.knowledge.markup import markdown_render
from opora.knowledge.models import ArticleFile
from opora.knowledge.search import article_search
from opora.knowledge.selectors import (
    article_get_for_user,
    article_texts,
    articles_readable,
    section_tree,
)
from opora.knowledge.views import file_response

SEARCH_LIMIT = 20


def _reader(request: HttpRequest) -> str:
    """Sign the contact in for this page if there is one; the language to read in."""
    contact = portal_contact(request)
    request.contact = contact  # type: ignore[attr-defined]
    if contact is not None and contact.language in SUPPORTED_LANGUAGES:
        translation.activate(contact.language)
    return "en" if get_language() == "en" else "ru"


def _file_url(pk: int) -> str:
    item = ArticleFile.objects.filter(pk=pk).only("name").first()
    return reverse("portal:kb-file", args=[pk, item.name]) if item else ""


def kb_home(request: HttpRequest) -> HttpResponse:
    language = _reader(request)
    articles = (
        articles_readable(None).prefetch_related("translations").order_by("section_id", "number")
    )
    by_section: dict[int, list[tuple[int, str]]] = {}
    for article in articles:
        texts = article_texts(article)
        text = texts.get(language) or texts.get("ru")
        if text is not None:
            by_section.setdefault(article.section_id, []).append((article.number, text.title))
    tree = [
        (node, by_section.get(node.section.pk, []))
        for node in section_tree(public=True)
        if by_section.get(node.section.pk)
    ]
    ctx = {"tree": tree, "search_form": SearchForm()}
    return render(request, "knowledge/portal/home.html", ctx)


def kb_search(request: HttpRequest) -> HttpResponse:
    language = _reader(request)
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    hits = article_search(query, language=language, user_or_public=None, limit=SEARCH_LIMIT)
    ctx = {"search_form": form, "query": query, "hits": hits}
    return render(request, "knowledge/portal/search.html", ctx)


def kb_article(request: HttpRequest, number: int) -> HttpResponse:
    language = _reader(request)
    article = article_get_for_user(number=number, user=None)
    texts = article_texts(article)
    text = texts.get(language) or texts["ru"]
    voted = number in request.session.get("kb_voted", [])
    ctx = {
        "article": article,
        "text": text,
        "html": markdown_render(text.body, file_url=_file_url),
        "voted": voted,
        "search_form": SearchForm(),
    }
    return render(request, "knowledge/portal/article.html", ctx)


@require_POST
def kb_vote(request: HttpRequest, number: int) -> HttpResponseBase:
    _reader(request)
    article = article_get_for_user(number=number, user=None)
    form = VoteForm(request.POST)
    if form.is_valid():
        contact = request.contact  # type: ignore[attr-defined]
        if contact is None and not request.session.session_key:
            request.session.save()
        counted = services.article_vote(
            article=article,
            helpful=form.cleaned_data["helpful"],
            contact=contact,
            session_key="" if contact else str(request.session.session_key),
        )
        # Remembered in the session as well: a contact who signs out cannot vote twice.
        request.session["kb_voted"] = [*request.session.get("kb_voted", []), number][-200:]
        if counted:
            messages.success(request, _("Thank you for the feedback."))
    return redirect("portal:kb-article", number)


def kb_file(request: HttpRequest, pk: int, name: str) -> FileResponse:
    item = get_object_or_404(ArticleFile, pk=pk, name=name)
    if not articles_readable(None).filter(pk=item.article_id).exists():
        raise Http404
    return file_response(item)
