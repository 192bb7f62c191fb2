"""Silent devices (GB/T 24476-2017: the platform watches that each device keeps reporting).

A device that has sent nothing (no event, no heartbeat) for IOT_OFFLINE_MINUTES is marked offline and its
elevator's maintenance firm is told once per silence: the mark `offline_reported_at` is set by a conditional UPDATE
(only while it is still empty), so two workers running the job at the same moment report each device once; the
messages go to the outbox in the transaction of the mark. The next stored event of the device (iot/services.py)
brings it back online and clears the mark, so the next silence is reported again."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from notifications.outbox import messages_for_person, outbox_write

from .models import Device

LISTED = 20  # devices named in one message; the rest are counted


@dataclass
class OfflineRun:
    silent: int = 0  # devices found silent and not yet reported
    reported: int = 0  # devices this run marked and reported
    messages: int = 0


def check_devices(*, now: datetime | None = None, limit: int = 5000) -> OfflineRun:
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.IOT_OFFLINE_MINUTES)
    silent = Q(last_seen_at__lt=cutoff) | Q(last_seen_at__isnull=True, registered_at__lt=cutoff)
    rows = list(
        Device.objects.filter(silent, offline_reported_at__isnull=True)
        .order_by("pk")
        .values(
            "pk",
            "device_id",
            "last_seen_at",
            "elevator__maintenance_firm_id",
            "elevator__registration_code",
            "elevator__district_id",
        )[:limit]
    )
    run = OfflineRun(silent=len(rows))
    by_firm: dict = {}
    for row in rows:
        by_firm.setdefault(row["elevator__maintenance_firm_id"], []).append(row)
    for firm_id, devices in by_firm.items():
        with transaction.atomic():
            claimed = [
                row
                for row in devices
                if Device.objects.filter(silent, pk=row["pk"], offline_reported_at__isnull=True).update(
                    offline_reported_at=now, online=False
                )
            ]
            run.reported += len(claimed)
            if claimed and firm_id is not None:
                run.messages += outbox_write(_offline_messages(firm_id, claimed, now=now), now=now)
    return run


def _offline_messages(firm_id: int, devices: list, *, now: datetime) -> list:
    names = "、".join(f"{d['device_id']}（{_('电梯')}{d['elevator__registration_code']}）" for d in devices[:LISTED])
    more = len(devices) - LISTED
    title = _("%(count)d台电梯物联网设备离线") % {"count": len(devices)}
    body = _("以下设备超过%(minutes)d分钟未上报（含心跳），请检查设备供电和网络：%(names)s") % {
        "minutes": settings.IOT_OFFLINE_MINUTES,
        "names": names,
    }
    if more > 0:
        body += _("，另有%(more)d台。") % {"more": more}
    key = f"iot-offline:{firm_id}:{devices[0]['pk']}:{now.isoformat()}"
    messages = []
    for user in User.objects.filter(is_active=True, organization_id=firm_id).order_by("pk"):
        messages += messages_for_person(
            key=f"{key}:user:{user.pk}",
            title=title,
            body=body,
            user=user,
            subject_key=f"firm:{firm_id}",
            district_id=devices[0]["elevator__district_id"],
        )
    return messages
