"""Channel screens: mailboxes (with a connection test), the inbound log and quarantine,
reconciliation against the server, the original of an email, and the outbox.

Settings need MANAGE_CHANNELS; an email's original and a delivery's retry are
part of working a ticket and need the ticket permissions.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from opora.channels import services
from opora.channels.forms import BotForm, InboundFilterForm, MailboxForm, WebhookForm
from opora.channels.mail import imap
from opora.channels.mail.outbound import smtp_connection
from opora.channels.models import (
    Delivery,
    InboundEmail,
    Mailbox,
    TelegramBot,
    TelegramUpdate,
    Webhook,
)
from opora.channels.outbox import delivery_retry_now
from opora.channels.webhooks import webhook_test
from opora.core.access import Perm, require_perm
from opora.core.audit import audit_record
from opora.core.forms import apply_validation_error
from opora.core.http import AuthedRequest, redirect_after
from opora.core.pagination import keyset_page

TABS = [
    (gettext_lazy("Mailboxes"), "channels:mailbox-list"),
    (gettext_lazy("Telegram"), "channels:bot-list"),
    (gettext_lazy("Webhooks"), "channels:webhook-list"),
    (gettext_lazy("Outbox"), "channels:delivery-list"),
]
# What a browser may load inside an email's HTML: its own inline images, nothing else.
EMAIL_HTML_CSP = (
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'; sandbox"
)
CID = re.compile(r"""src=(["'])cid:([^"']+)\1""", re.IGNORECASE)


def _tabs(current: str) -> list[dict[str, Any]]:
    return [
        {"label": label, "url": reverse(name), "current": name == current} for label, name in TABS
    ]


# --- Mailboxes -------------------------------------------------------------------


@require_perm(Perm.MANAGE_CHANNELS)
def mailbox_list(request: AuthedRequest) -> HttpResponse:
    mailboxes = Mailbox.objects.select_related("team").annotate(
        quarantined=Count("inbound", filter=Q(inbound__status=InboundEmail.Status.QUARANTINED))
    )
    ctx = {"mailboxes": mailboxes, "tabs": _tabs("channels:mailbox-list")}
    return render(request, "channels/mailbox_list.html", ctx)


@require_perm(Perm.MANAGE_CHANNELS)
def mailbox_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    mailbox = get_object_or_404(Mailbox, pk=pk) if pk else None
    form = MailboxForm(request.POST or None, instance=mailbox)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.mailbox_save(
                actor=request.user, mailbox=mailbox, **form.service_fields()
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("The mailbox is saved."))
            return redirect("channels:mailbox-edit", pk=saved.pk)
    ctx = {"form": form, "mailbox": mailbox}
    return render(request, "channels/mailbox_form.html", ctx, status=400 if form.errors else 200)


@require_POST
@require_perm(Perm.MANAGE_CHANNELS)
def mailbox_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    mailbox = get_object_or_404(Mailbox, pk=pk)
    services.mailbox_delete(actor=request.user, mailbox=mailbox)
    messages.success(request, _("The mailbox «%(name)s» is deleted.") % {"name": mailbox.name})
    return redirect_after(request, "channels:mailbox-list")


@require_POST
@require_perm(Perm.MANAGE_CHANNELS)
def mailbox_test(request: AuthedRequest, pk: int) -> HttpResponse:
    """Log in to the IMAP and SMTP servers with the saved settings; show what happened."""
    mailbox = get_object_or_404(Mailbox, pk=pk)
    checks = []
    try:
        count = imap.imap_check(mailbox)
    except imap.MAIL_ERRORS as error:
        checks.append(("IMAP", False, f"{type(error).__name__}: {error}"))
    else:
        checks.append(
            ("IMAP", True, _("Connected; %(count)s messages in the folder.") % {"count": count})
        )
    try:
        connection = smtp_connection(mailbox, timeout=10)
        connection.open()
        connection.close()
    except Exception as error:  # any refusal is the answer to show
        checks.append(("SMTP", False, f"{type(error).__name__}: {error}"))
    else:
        where = mailbox.smtp_host or _("server-wide settings")
        checks.append(("SMTP", True, _("Connected (%(where)s).") % {"where": where}))
    return render(request, "channels/includes/test_result.html", {"checks": checks})


@require_POST
@require_perm(Perm.MANAGE_CHANNELS)
def mailbox_poll(request: AuthedRequest, pk: int) -> HttpResponse:
    mailbox = get_object_or_404(Mailbox, pk=pk)
    services.mailbox_poll_now(mailbox=mailbox)
    messages.success(request, _("The mailbox will be checked in a few seconds."))
    return redirect("channels:mailbox-inbound", pk=pk)


# --- The inbound log, quarantine and reconciliation ----------------------------------


@require_perm(Perm.MANAGE_CHANNELS)
def mailbox_inbound(request: AuthedRequest, pk: int) -> HttpResponse:
    mailbox = get_object_or_404(Mailbox.objects.select_related("team"), pk=pk)
    form = InboundFilterForm(request.GET or None)
    rows = InboundEmail.objects.filter(mailbox=mailbox).select_related("ticket")
    status = form.cleaned_data["status"] if form.is_valid() else ""
    if status:
        rows = rows.filter(status=status)
    page = keyset_page(rows, before=request.GET.get("before"), size=50)
    counts = {
        row["status"]: row["n"]
        for row in InboundEmail.objects.filter(mailbox=mailbox)
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
    }
    ctx = {
        "mailbox": mailbox,
        "form": form,
        "page": page,
        "status": status,
        "counts": [
            (value, label, counts.get(value, 0)) for value, label in InboundEmail.Status.choices
        ],
    }
    return render(request, "channels/inbound_list.html", ctx)


@require_POST
@require_perm(Perm.MANAGE_CHANNELS)
def inbound_retry(request: AuthedRequest, pk: int) -> HttpResponse:
    inbound = get_object_or_404(InboundEmail.objects.select_related("mailbox"), pk=pk)
    try:
        row = services.inbound_retry(actor=request.user, inbound=inbound)
    except (ValidationError, *imap.MAIL_ERRORS) as error:
        text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.error(request, _("The retry failed: %(error)s") % {"error": text})
    else:
        if row.status == InboundEmail.Status.QUARANTINED:
            messages.error(request, _("Still in quarantine: %(error)s") % {"error": row.error})
        else:
            messages.success(
                request,
                _("The email is imported: %(reason)s.") % {"reason": row.get_reason_display()},
            )
    return redirect(reverse("channels:mailbox-inbound", args=[inbound.mailbox_id]))


@require_perm(Perm.MANAGE_CHANNELS)
def mailbox_reconcile(request: AuthedRequest, pk: int) -> HttpResponse:
    """Compare the folder on the server with what was recorded (asks the server now)."""
    mailbox = get_object_or_404(Mailbox, pk=pk)
    try:
        result = imap.mailbox_reconcile(mailbox)
    except imap.MAIL_ERRORS as error:
        return render(
            request,
            "channels/includes/reconciliation.html",
            {"error": f"{type(error).__name__}: {error}", "mailbox": mailbox},
        )
    labels = dict(InboundEmail.Status.choices)
    ctx = {
        "mailbox": mailbox,
        "result": result,
        "recorded": [(labels.get(k, k), v) for k, v in sorted(result.recorded.items())],
    }
    return render(request, "channels/includes/reconciliation.html", ctx)


# --- The original of an email ----------------------------------------------------


@require_perm(Perm.VIEW_TICKETS)
def inbound_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    inbound = get_object_or_404(
        InboundEmail.objects.select_related("mailbox", "ticket", "message"), pk=pk
    )
    text = ""
    if inbound.raw:
        from opora.channels.mail.parsing import EmailParseError, parse_email

        try:
            with inbound.raw.open("rb") as stored:
                text = parse_email(stored.read()).text
        except (EmailParseError, FileNotFoundError):
            text = ""
    return render(request, "channels/inbound_detail.html", {"inbound": inbound, "text": text})


@xframe_options_sameorigin  # shown in a sandboxed frame on our own page only
@require_perm(Perm.VIEW_TICKETS)
def inbound_html(request: AuthedRequest, pk: int) -> HttpResponse:
    """The sanitised HTML of an email, for a sandboxed frame: no scripts, no remote loads."""
    inbound = get_object_or_404(InboundEmail.objects.select_related("message"), pk=pk)
    images = {}
    if inbound.message is not None:
        for attachment in inbound.message.attachments.all():
            images[attachment.name] = reverse(
                "tickets:attachment", args=[attachment.pk, attachment.name]
            )
    html = CID.sub(lambda m: f'src="{images.get(m[2], "")}"', inbound.html)
    response = HttpResponse(
        f'<!doctype html><meta charset="utf-8"><base target="_blank">{html}',
        content_type="text/html; charset=utf-8",
    )
    response["Content-Security-Policy"] = EMAIL_HTML_CSP
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_perm(Perm.VIEW_TICKETS)
def inbound_raw(request: AuthedRequest, pk: int) -> FileResponse:
    inbound = get_object_or_404(InboundEmail, pk=pk)
    if not inbound.raw:
        raise Http404
    try:
        handle = inbound.raw.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"email-{inbound.pk}.eml",
        content_type="message/rfc822",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- The outbox --------------------------------------------------------------------


@require_perm(Perm.MANAGE_CHANNELS)
def delivery_list(request: AuthedRequest) -> HttpResponse:
    rows = Delivery.objects.select_related("ticket", "mailbox")
    status = request.GET.get("status", "")
    if status in Delivery.Status.values:
        rows = rows.filter(status=status)
    else:
        status = ""
    page = keyset_page(rows, before=request.GET.get("before"), size=50)
    ctx = {
        "page": page,
        "status": status,
        "statuses": Delivery.Status.choices,
        "tabs": _tabs("channels:delivery-list"),
    }
    return render(request, "channels/delivery_list.html", ctx)


@require_POST
@require_perm(Perm.WORK_TICKETS)
def delivery_retry(request: AuthedRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(Delivery.objects.select_related("ticket"), pk=pk)
    delivery_retry_now(delivery=delivery)
    messages.success(request, _("The message is queued to be sent again."))
    if delivery.ticket is not None:
        return redirect("tickets:detail", number=delivery.ticket.number)
    return redirect("channels:delivery-list")


# --- Webhooks ----------------------------------------------------------------------


@require_perm(Perm.MANAGE_CHANNELS)
def webhook_list(request: AuthedRequest) -> HttpResponse:
    hooks = Webhook.objects.annotate(
        failed=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED))
    )
    labels = dict(Webhook.Event.choices)
    rows = [{"hook": hook, "events": [labels.get(e, e) for e in hook.events]} for hook in hooks]
    ctx = {"rows": rows, "tabs": _tabs("channels:webhook-list")}
    return render(request, "channels/webhook_list.html", ctx)


@require_perm(Perm.MANAGE_CHANNELS)
def webhook_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    hook = get_object_or_404(Webhook, pk=pk) if pk else None
    initial = WebhookForm.initial_for(hook) if hook else {"is_active": True}
    form = WebhookForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.webhook_save(
                actor=request.user,
                webhook=hook,
                secret=data["secret"] or None,
                name=data["name"],
                url=data["url"],
                events=list(data["events"]),
                is_active=data["is_active"],
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("The webhook is saved."))
            return redirect("channels:webhook-edit", pk=saved.pk)
    recent = Delivery.objects.filter(webhook=hook).order_by("-id")[:20] if hook else []
    ctx = {"form": form, "hook": hook, "recent": recent}
    return render(request, "channels/webhook_form.html", ctx, status=400 if form.errors else 200)


@require_POST
@require_perm(Perm.MANAGE_CHANNELS)
def webhook_secret(request: AuthedRequest, pk: int) -> HttpResponse:
    """Show the signing secret once, on purpose, to copy into the receiving system."""
    hook = get_object_or_404(Webhook, pk=pk)
    audit_record(actor=request.user, action="channels.webhook_secret_shown", target=hook)
    return render(request, "channels/includes/secret.html", {"secret": hook.secret})


@require_POST
@require_perm(Perm.MANAGE_CHANNELS)
def webhook_ping(request: AuthedRequest, pk: int) -> HttpResponse:
    hook = get_object_or_404(Webhook, pk=pk)
    with transaction.atomic():
        webhook_test(hook=hook)
    messages.success(request, _("A test event is on its way; its result appears below."))
    return redirect("channels:webhook-edit", pk=pk)


@require_POST
@require_perm(Perm.MANAGE_CHANNELS)
def webhook_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    hook = get_object_or_404(Webhook, pk=pk)
    services.webhook_delete(actor=request.user, webhook=hook)
    messages.success(request, _("The webhook «%(name)s» is deleted.") % {"name": hook.name})
    return redirect_after(request, "channels:webhook-list")


# --- Telegram bots -------------------------------------------------------------------


@require_perm(Perm.MANAGE_CHANNELS)
def bot_list(request: AuthedRequest) -> HttpResponse:
    bots = TelegramBot.objects.select_related("team").annotate(
        quarantined=Count("updates", filter=Q(updates__status=TelegramUpdate.Status.QUARANTINED))
    )
    return render(
        request, "channels/bot_list.html", {"bots": bots, "tabs": _tabs("channels:bot-list")}
    )


@require_perm(Perm.MANAGE_CHANNELS)
def bot_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    bot = get_object_or_404(TelegramBot, pk=pk) if pk else None
    form = BotForm(request.POST or None, instance=bot)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.bot_save(actor=request.user, bot=bot, **form.service_fields())
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("The bot is saved."))
            return redirect("channels:bot-edit", pk=saved.pk)
    updates = TelegramUpdate.objects.filter(bot=bot).select_related("ticket")[:30] if bot else []
    ctx = {"form": form, "bot": bot, "updates": updates}
    return render(request, "channels/bot_form.html", ctx, status=400 if form.errors else 200)


@require_POST
@require_perm(Perm.MANAGE_CHANNELS)
def bot_test(request: AuthedRequest, pk: int) -> HttpResponse:
    from opora.channels.telegram.client import TelegramError
    from opora.channels.telegram.outbound import bot_check

    bot = get_object_or_404(TelegramBot, pk=pk)
    try:
        name = bot_check(bot)
    except TelegramError as error:
        checks = [("Bot API", False, str(error))]
    else:
        checks = [("Bot API", True, _("Connected as %(name)s.") % {"name": name})]
    return render(request, "channels/includes/test_result.html", {"checks": checks})


@require_POST
@require_perm(Perm.MANAGE_CHANNELS)
def bot_update_retry(request: AuthedRequest, pk: int) -> HttpResponse:
    update = get_object_or_404(TelegramUpdate, pk=pk)
    row = services.telegram_update_retry(actor=request.user, update=update)
    if row.status == TelegramUpdate.Status.QUARANTINED:
        messages.error(request, _("Still in quarantine: %(error)s") % {"error": row.error})
    else:
        messages.success(request, _("The message is imported."))
    return redirect("channels:bot-edit", pk=update.bot_id)


@require_POST
@require_perm(Perm.MANAGE_CHANNELS)
def bot_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    bot = get_object_or_404(TelegramBot, pk=pk)
    services.bot_delete(actor=request.user, bot=bot)
    messages.success(request, _("The bot «%(name)s» is deleted.") % {"name": bot.name})
    return redirect_after(request, "channels:bot-list")
