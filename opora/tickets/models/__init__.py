"""Tickets and everything that works on them (one domain, split by concern)."""

from opora.tickets.models.automation import Macro, Rule, RuleRun
from opora.tickets.models.config import (
    BlockedSender,
    CustomField,
    OperatorProfile,
    QueueSettings,
    ResolutionCode,
    SavedView,
    TicketSettings,
)
from opora.tickets.models.tickets import (
    INLINE_IMAGE_TYPES,
    Attachment,
    Category,
    Message,
    Tag,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketType,
)

__all__ = [
    "INLINE_IMAGE_TYPES",
    "Attachment",
    "BlockedSender",
    "Category",
    "CustomField",
    "Macro",
    "Message",
    "OperatorProfile",
    "QueueSettings",
    "ResolutionCode",
    "Rule",
    "RuleRun",
    "SavedView",
    "Tag",
    "Ticket",
    "TicketEvent",
    "TicketLink",
    "TicketSettings",
    "TicketType",
]
