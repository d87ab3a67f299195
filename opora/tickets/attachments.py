"""Attachments: limits checked before anything is stored, files kept under random names.

Dangerous types (executables, scripts, HTML) are refused: a helpdesk is a
classic way to deliver malware to staff. Everything else is stored, and the
serving view sends it as a download unless it is a raster image.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from opora.tickets.models import Attachment, Message

BLOCKED_EXTENSIONS = frozenset(
    {
        "exe", "com", "bat", "cmd", "msi", "msp", "scr", "pif", "cpl", "dll", "jar",
        "js", "jse", "vbs", "vbe", "wsf", "wsh", "ps1", "psm1", "hta", "lnk", "reg",
        "sh", "app", "iso", "img", "html", "htm", "xhtml", "svg", "xml", "chm",
    }
)  # fmt: skip


def upload_name(upload: Any) -> str:
    """The file name to keep for `upload`, safe to show and to send back as a download name."""
    # Only the last path component: «..\\..\\evil.exe» must not pick a directory.
    name = PurePath(str(upload.name).replace("\\", "/")).name
    # Windows drops trailing dots and spaces: «evil.exe. » is saved as evil.exe.
    return name.rstrip(". ")[:200] or "file"


def max_per_message() -> int:
    return int(settings.OPORA_ATTACHMENTS_PER_MESSAGE)


def upload_problem(upload: Any) -> str | None:
    """Why this one file is refused, or None when it may be stored."""
    limit = settings.OPORA_ATTACHMENT_MAX_BYTES
    name = upload_name(upload)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension in BLOCKED_EXTENSIONS:
        return _("«%(name)s»: files of this type are not accepted.") % {"name": name}
    if upload.size > limit:
        return _("«%(name)s» is larger than %(limit)s.") % {
            "name": name,
            "limit": filesizeformat(limit),
        }
    if upload.size == 0:
        return _("«%(name)s» is empty.") % {"name": name}
    return None


def validate_uploads(files: Sequence[Any]) -> None:
    """Raise a ValidationError on the `files` field if any upload breaks the limits."""
    if len(files) > max_per_message():
        raise ValidationError(
            {"files": _("At most %(count)s files per message.") % {"count": max_per_message()}}
        )
    for upload in files:
        if problem := upload_problem(upload):
            raise ValidationError({"files": problem})


def attachments_save(*, message: Message, files: Sequence[Any]) -> list[Attachment]:
    """Store validated uploads on `message` (call `validate_uploads` first)."""
    saved = []
    for upload in files:
        name = upload_name(upload)
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        # The browser's claimed type is not trusted; the extension decides.
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        attachment = Attachment(
            message=message,
            name=name,
            content_type=content_type,
            size=upload.size,
            sha256=digest.hexdigest(),
        )
        attachment.file.save(name, upload, save=False)
        attachment.save()
        saved.append(attachment)
    return saved
