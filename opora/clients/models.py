from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ClientAccount(models.Model):
    """A client company: owned by an account manager, with a backup curator."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    legal_name = models.CharField(_("legal name"), max_length=300, blank=True)
    inn = models.CharField(_("taxpayer number (INN)"), max_length=12, blank=True)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_accounts",
    )
    backup_curator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("backup curator"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="curated_accounts",
    )

    class SupportPlan(models.TextChoices):
        """The client's support contract level; SLA policies may match on it."""

        STANDARD = "standard", _("Standard")
        EXTENDED = "extended", _("Extended")
        PREMIUM = "premium", _("Premium")

    support_plan = models.CharField(
        _("support contract"),
        max_length=10,
        choices=SupportPlan.choices,
        default=SupportPlan.STANDARD,
    )
    is_key = models.BooleanField(_("key client"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("client account")
        verbose_name_plural = _("client accounts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A person at a client who writes to support; may belong to several accounts."""

    full_name = models.CharField(_("full name"), max_length=200)
    email = models.EmailField(_("email"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    telegram_username = models.CharField(_("Telegram username"), max_length=64, blank=True)
    telegram_user_id = models.BigIntegerField(
        _("Telegram user id"), null=True, blank=True, unique=True
    )
    accounts = models.ManyToManyField(
        ClientAccount, verbose_name=_("client accounts"), related_name="contacts", blank=True
    )
    is_blocked = models.BooleanField(_("blocked"), default=False)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="ru"
    )

    class PortalScope(models.TextChoices):
        OWN = "own", _("Own tickets")
        COMPANY = "company", _("All tickets of their companies")

    # The client portal: off until staff (or a magic link) lets the contact in.
    portal_enabled = models.BooleanField(_("may use the client portal"), default=True)
    portal_scope = models.CharField(
        _("sees in the portal"), max_length=10, choices=PortalScope.choices, default=PortalScope.OWN
    )
    portal_password = models.CharField(max_length=128, blank=True)
    portal_last_login = models.DateTimeField(_("last portal sign-in"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def first_name(self) -> str:
        parts = self.full_name.split()
        # «Фамилия Имя Отчество» (three words, the formal Russian order) is
        # addressed by the middle word; «Имя Фамилия» and single names by the first.
        if len(parts) == 3:
            return parts[1]
        return parts[0] if parts else ""
