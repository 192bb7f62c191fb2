from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportSource(models.TextChoices):
    """Where a report of a trapped passenger came from (plan §2(10): one platform, every channel)."""

    WEB = "web", _("群众网页报告")
    OPEN311 = "open311", _("Open311合作平台")
    HOTLINE = "hotline", _("96333电话")
    IOT = "iot", _("物联网报警")
    API = "api", _("单位系统接口")
    STAFF = "staff", _("单位人员登记")


class DutyLevel(models.TextChoices):
    """Who a duty shift puts on call: the people who go, and the manager the ladder alerts when no one answers."""

    ON_CALL = "on_call", _("值班救援人员")
    MANAGER = "manager", _("值班负责人")


class EmergencyService(models.TextChoices):
    """Plan §2(10): linkage with the public emergency services."""

    NONE = "", _("无")
    FIRE = "119", _("119消防救援")
    POLICE = "110", _("110公安")
    AMBULANCE = "120", _("120急救")


class Step(models.TextChoices):
    """The steps of the escalation ladder (docs/rules.md "Entrapment rescue loop"), each taken once per incident."""

    DISPATCH = "dispatch", _("派单通知")
    ACK_MISSED = "ack_missed", _("未按时接警：通知单位负责人和使用单位")
    ACK_MISSED_2 = "ack_missed_2", _("仍未接警：通知辖区监管部门和96333中心")
    ARRIVAL_WARNING = "arrival_warning", _("到场时限前提醒")
    ARRIVAL_MISSED = "arrival_missed", _("超过到场时限")
    ACCIDENT = "accident", _("困人超过2小时：事故告警")
