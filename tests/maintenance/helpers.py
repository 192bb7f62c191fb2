"""Building maintenance records the way a firm uploads them."""

from datetime import timedelta

from django.utils import timezone

from maintenance import services
from maintenance.models import ChecklistItem

JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + b"photo-bytes"
PNG = b"\x89PNG\r\n\x1a\n" + b"png-bytes"
PDF = b"%PDF-1.4\n%%EOF\n"


def all_ok(tier="half_monthly") -> dict[int, tuple[str, str]]:
    return {
        pk: ("ok", "") for pk in ChecklistItem.objects.filter(tier=tier, is_active=True).values_list("pk", flat=True)
    }


def make_record(firms, who="a", *, started=None, minutes=60, attachments=None, workers=None, **extra):
    started = started or timezone.now() - timedelta(hours=2)
    worker = firms["worker_a"] if who == "a" else firms["worker_b"]
    data = dict(
        user=firms["users"][f"firm_{who}"],
        elevator=firms[who],
        tier="half_monthly",
        started_at=started,
        ended_at=started + timedelta(minutes=minutes),
        workers=workers or [worker],
        signed_by=worker,
        items=all_ok(extra.get("tier", "half_monthly")),
        attachments=attachments or [],
    )
    data.update(extra)
    return services.record_create(**data)
