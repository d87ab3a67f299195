"""Quality pages (the `quality` namespace, at /quality/): one URL module per part."""

from django.urls import path

from opora.quality import views
from opora.quality.certification.urls import urlpatterns as certification_urls
from opora.quality.reviews.urls import urlpatterns as review_urls
from opora.quality.surveys.urls import urlpatterns as survey_urls

app_name = "quality"

urlpatterns = [
    path("", views.home, name="home"),
    *review_urls,
    *survey_urls,
    *certification_urls,
]
