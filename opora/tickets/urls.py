from django.urls import path

from opora.tickets import views

app_name = "tickets"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("OP-<int:number>/", views.detail, name="detail"),
    path("OP-<int:number>/reply/", views.reply, name="reply"),
    path("OP-<int:number>/update/", views.update, name="update"),
]
