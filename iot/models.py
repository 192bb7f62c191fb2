"""Elevator monitoring devices and what they send (GB/T 24476-2017; plan §2(14) 电梯物联网监测).

A Device belongs to one elevator (an elevator may carry several) and signs each event with its own secret
(iot/signing.py). DeviceEvent keeps every accepted event once per (device, event_id), so a resent or replayed event
creates nothing. IngestRejection counts refused events per day, channel and reason (one upserted row each, cheap at
thousands of events a second)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import Channel, EventKind, Outcome, Reason

# The event's external reference on a fault or an incident report is "<device_id>:<event_id>", at most 64
# characters (maintenance.Fault.external_ref): a device id of up to 24 characters and an event id of up to 39 (a
# UUID fits).
DEVICE_ID_MAX = 24
EVENT_ID_MAX = 39


class Device(models.Model):
    device_id = models.CharField(_("设备编号"), max_length=DEVICE_ID_MAX, unique=True)
    elevator = models.ForeignKey(
        "registry.Elevator", verbose_name=_("电梯"), on_delete=models.PROTECT, related_name="iot_devices"
    )
    vendor = models.CharField(_("厂商"), max_length=50, blank=True)
    # The per-device HMAC-SHA256 key (iot/signing.py), shared with the device when it is installed.
    secret = models.CharField(_("签名密钥"), max_length=128)
    registered_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("最近上报时间"), null=True, blank=True)
    online = models.BooleanField(_("在线"), default=False)
    # Set once per silence by the offline job (iot/jobs.py) when it tells the firm; a heartbeat clears it.
    offline_reported_at = models.DateTimeField(_("离线告知时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("物联网设备")
        verbose_name_plural = _("物联网设备")
        ordering = ["device_id"]
        # No index on last_seen_at: every batch rewrites it, and an index would make each of those updates touch
        # the index too (no HOT update). The offline job reads the table every 5 minutes instead (100,000 devices:
        # milliseconds).

    def __str__(self):
        return self.device_id


class DeviceEvent(models.Model):
    # Indexed by the unique constraint (device, event_id), which starts with it.
    device = models.ForeignKey(
        Device, verbose_name=_("设备"), on_delete=models.CASCADE, related_name="events", db_index=False
    )
    event_id = models.CharField(_("事件编号"), max_length=EVENT_ID_MAX)
    kind = models.CharField(_("事件类型"), max_length=32, choices=EventKind.choices)
    occurred_at = models.DateTimeField(_("发生时间"))
    received_at = models.DateTimeField(_("接收时间"))
    payload = models.JSONField(_("附加数据"), default=dict, blank=True)
    outcome = models.CharField(_("处理结果"), max_length=12, choices=Outcome.choices)
    fault = models.ForeignKey(
        "maintenance.Fault",
        verbose_name=_("故障/困人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="iot_events",
        db_index=False,  # the partial index below: most events (heartbeats) have no fault
    )

    class Meta:
        verbose_name = _("物联网事件")
        verbose_name_plural = _("物联网事件")
        ordering = ["-occurred_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["device", "event_id"], name="iot_event_once")]
        indexes = [models.Index(fields=["fault"], condition=Q(fault__isnull=False), name="iot_event_fault_idx")]

    def __str__(self):
        return f"{self.device_id}:{self.event_id}"


class IngestRejection(models.Model):
    """How many events were refused on a day, by channel and reason (an upserted counter)."""

    day = models.DateField(_("日期"))
    channel = models.CharField(_("接入方式"), max_length=8, choices=Channel.choices)
    reason = models.CharField(_("原因"), max_length=16, choices=Reason.choices)
    count = models.PositiveBigIntegerField(_("次数"), default=0)

    class Meta:
        verbose_name = _("拒收统计")
        verbose_name_plural = _("拒收统计")
        ordering = ["-day", "channel", "reason"]
        constraints = [models.UniqueConstraint(fields=["day", "channel", "reason"], name="iot_rejection_once")]

    def __str__(self):
        return f"{self.day} {self.channel} {self.reason} {self.count}"
