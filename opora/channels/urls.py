from django.urls import path

from opora.channels import views

app_name = "channels"

urlpatterns = [
    path("mailboxes/", views.mailbox_list, name="mailbox-list"),
    path("mailboxes/new/", views.mailbox_edit, name="mailbox-create"),
    path("mailboxes/<int:pk>/", views.mailbox_edit, name="mailbox-edit"),
    path("mailboxes/<int:pk>/delete/", views.mailbox_delete, name="mailbox-delete"),
    path("mailboxes/<int:pk>/test/", views.mailbox_test, name="mailbox-test"),
    path("mailboxes/<int:pk>/poll/", views.mailbox_poll, name="mailbox-poll"),
    path("mailboxes/<int:pk>/inbound/", views.mailbox_inbound, name="mailbox-inbound"),
    path("mailboxes/<int:pk>/reconcile/", views.mailbox_reconcile, name="mailbox-reconcile"),
    path("inbound/<int:pk>/", views.inbound_detail, name="inbound-detail"),
    path("inbound/<int:pk>/html/", views.inbound_html, name="inbound-html"),
    path("inbound/<int:pk>/raw/", views.inbound_raw, name="inbound-raw"),
    path("inbound/<int:pk>/retry/", views.inbound_retry, name="inbound-retry"),
    path("telegram/", views.bot_list, name="bot-list"),
    path("telegram/new/", views.bot_edit, name="bot-create"),
    path("telegram/<int:pk>/", views.bot_edit, name="bot-edit"),
    path("telegram/<int:pk>/test/", views.bot_test, name="bot-test"),
    path("telegram/<int:pk>/delete/", views.bot_delete, name="bot-delete"),
    path("telegram/updates/<int:pk>/retry/", views.bot_update_retry, name="bot-update-retry"),
    path("webhooks/", views.webhook_list, name="webhook-list"),
    path("webhooks/new/", views.webhook_edit, name="webhook-create"),
    path("webhooks/<int:pk>/", views.webhook_edit, name="webhook-edit"),
    path("webhooks/<int:pk>/secret/", views.webhook_secret, name="webhook-secret"),
    path("webhooks/<int:pk>/ping/", views.webhook_ping, name="webhook-ping"),
    path("webhooks/<int:pk>/delete/", views.webhook_delete, name="webhook-delete"),
    path("outbox/", views.delivery_list, name="delivery-list"),
    path("outbox/<int:pk>/retry/", views.delivery_retry, name="delivery-retry"),
]
