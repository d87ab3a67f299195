"""The public knowledge base, included into the portal's namespace at /portal/kb/."""

from django.urls import path

from opora.knowledge import portal_views

urlpatterns = [
    path("", portal_views.kb_home, name="kb-home"),
    path("search/", portal_views.kb_search, name="kb-search"),
    path("KB-<int:number>/", portal_views.kb_article, name="kb-article"),
    path("KB-<int:number>/vote/", portal_views.kb_vote, name="kb-vote"),
    path("files/<int:pk>/<str:name>", portal_views.kb_file, name="kb-file"),
]
