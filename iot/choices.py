from django.db import models
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    """What an elevator's monitoring device reports (GB/T 24476-2017 《电梯、自动扶梯和自动人行道物联网的技术规范》:
    the alarms a device raises, and its heartbeat)."""

    ENTRAPMENT = "entrapment", _("困人")
    DOOR_OPEN_MOVING = "door_open_moving", _("运行中开门")
    OVERSPEED = "overspeed", _("超速")
    STOPPED_OUTSIDE_DOOR_ZONE = "stopped_outside_door_zone", _("门区外停梯")
    OVERRUN_TOP = "overrun_top", _("冲顶")
    OVERRUN_BOTTOM = "overrun_bottom", _("蹲底")
    POWER_CUT = "power_cut", _("停电")
    HEARTBEAT = "heartbeat", _("心跳")


class Outcome(models.TextChoices):
    """What an accepted event became."""

    INCIDENT = "incident", _("困人救援事件")
    FAULT = "fault", _("故障")
    HEARTBEAT = "heartbeat", _("在线心跳")


class Channel(models.TextChoices):
    HTTP = "http", _("HTTP接口")
    MQTT = "mqtt", _("MQTT")


class Reason(models.TextChoices):
    """Why an event was refused; every event sent is stored or refused with one of these (none lost)."""

    MALFORMED = "malformed", _("格式错误")
    UNKNOWN_DEVICE = "unknown_device", _("未登记的设备")
    BAD_SIGNATURE = "bad_signature", _("签名错误")
    REPLAY = "replay", _("重复事件")
    FUTURE = "future", _("发生时间晚于当前时间")
    TOO_OLD = "too_old", _("发生时间过早")
    REFUSED = "refused", _("救援服务拒绝")
