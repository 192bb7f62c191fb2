"""The files of preparedness records (plans, policies, certificate scans, safety rules, drill photos): one size cap,
PREPAREDNESS_FILE_MAX_BYTES, stated before the upload and checked with the type (by content, elevator_portal.files)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from elevator_portal.files import sniff

KIND_NAMES = {"pdf": "PDF", "jpeg": "JPEG", "png": "PNG"}


def file_cap_mb() -> str:
    """The cap in megabytes as the forms state it ("10")."""
    return f"{settings.PREPAREDNESS_FILE_MAX_BYTES / 1024 / 1024:g}"


def check_upload(upload, *, field: str, label: str, kinds: tuple[str, ...]) -> None:
    """An upload of one of `kinds` ("pdf", "jpeg", "png"), typed by its first bytes, of at most
    PREPAREDNESS_FILE_MAX_BYTES; ValidationError on `field` naming `label` otherwise. None passes (no new file)."""
    if upload is None:
        return
    if upload.size > settings.PREPAREDNESS_FILE_MAX_BYTES:
        raise ValidationError({field: _("%(label)s不能超过%(mb)sMB。") % {"label": label, "mb": file_cap_mb()}})
    head = upload.read(8)
    upload.seek(0)
    if sniff(head) not in kinds:
        names = "/".join(KIND_NAMES[k] for k in kinds)
        raise ValidationError({field: _("%(label)s须为%(names)s文件。") % {"label": label, "names": names}})
