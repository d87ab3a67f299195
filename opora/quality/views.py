"""The quality home: what this person has to do in QA, surveys and certification."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from opora.core.access import Perm, require_perm
from opora.core.http import AuthedRequest


@require_perm(Perm.VIEW_QUALITY)
def home(request: AuthedRequest) -> HttpResponse:
    return render(request, "quality/home.html", {})
