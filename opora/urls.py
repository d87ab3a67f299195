from django.contrib import admin
from django.urls import include, path, re_path

from opora.api import api, api_not_found
from opora.core import views as core_views

handler403 = "opora.core.views.error_403"
handler404 = "opora.core.views.error_404"
handler500 = "opora.core.views.error_500"

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", api_not_found),
    path("django-admin/", admin.site.urls),
    path("tickets/", include("opora.tickets.urls")),
    path("sla/", include("opora.sla.urls")),
    path("channels/", include("opora.channels.urls")),
    path("analytics/", include("opora.analytics.urls")),
    path("kb/", include("opora.knowledge.urls")),
    path("quality/", include("opora.quality.urls")),
    path("portal/", include("opora.channels.portal.urls")),
    path("", include("opora.accounts.urls")),
    path("", include("opora.core.urls")),
]
