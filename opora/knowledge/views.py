"""Knowledge base screens."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from opora.core.access import Perm, require_perm
from opora.core.http import AuthedRequest


@require_perm(Perm.VIEW_KB)
def home(request: AuthedRequest) -> HttpResponse:
    return render(request, "knowledge/home.html", {})
