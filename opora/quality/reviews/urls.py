"""URLs of the quality reviews (included by opora/quality/urls.py, namespace `quality`)."""

from django.urls import URLPattern, path

from opora.quality.reviews import views

urlpatterns: list[URLPattern] = [
    path("reviews/", views.review_list, name="review-list"),
    path("reviews/mine/", views.my_quality, name="review-mine"),
    path("reviews/sample/", views.review_sample, name="review-sample"),
    path("reviews/ticket/<int:number>/", views.review_start, name="review-start"),
    path("reviews/<int:pk>/", views.review_detail, name="review-detail"),
    path("reviews/<int:pk>/edit/", views.review_edit, name="review-edit"),
    path("reviews/<int:pk>/score/", views.review_score, name="review-score"),
    path("reviews/<int:pk>/comment/", views.review_comment, name="review-comment"),
    path("reviews/<int:pk>/dispute/", views.review_dispute, name="review-dispute"),
    path(
        "reviews/disputes/<int:pk>/resolve/",
        views.review_dispute_resolve,
        name="review-dispute-resolve",
    ),
    path("scorecards/", views.scorecard_list, name="scorecard-list"),
    path("scorecards/new/", views.scorecard_create, name="scorecard-create"),
    path("scorecards/<int:pk>/", views.scorecard_edit, name="scorecard-edit"),
    path("calibration/", views.calibration_list, name="calibration-list"),
    path("calibration/new/", views.calibration_create, name="calibration-create"),
    path("calibration/<int:pk>/", views.calibration_detail, name="calibration-detail"),
    path("calibration/<int:pk>/review/", views.calibration_review, name="calibration-review"),
    path("calibration/<int:pk>/close/", views.calibration_close, name="calibration-close"),
]
