from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    """What a resident complains about; each is routed by the table in departments (plan §2(8))."""

    ENTRAPMENT = "entrapment", _("困人")
    BREAKDOWN = "breakdown", _("电梯故障、停梯")
    MAINTENANCE_QUALITY = "maintenance_quality", _("维保质量")
    INSPECTION_OVERDUE = "inspection_overdue", _("未按期检验")
    USE_MANAGEMENT = "use_management", _("使用管理")
    VANDALISM = "vandalism", _("破坏电梯设施")
    NO_SIGNAL = "no_signal", _("轿厢或井道无手机信号")
    SELECTION = "selection", _("电梯数量不足或选型不当")
    CIVIL_WORKS = "civil_works", _("土建工程、安装施工")
    RETROFIT = "retrofit", _("既有住宅加装电梯")
    MAINTENANCE_FUND = "maintenance_fund", _("维修资金")
    FIRE_ELEVATOR = "fire_elevator", _("消防电梯")
    INSURANCE = "insurance", _("电梯责任保险理赔")


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    ACCEPTED = "accepted", _("已受理")
    IN_PROGRESS = "in_progress", _("处理中")
    RESOLVED = "resolved", _("已答复")
    CLOSED = "closed", _("已办结")
    REJECTED = "rejected", _("不予受理")
    MERGED = "merged", _("已合并")


OPEN_STATUSES = (Status.SUBMITTED, Status.ACCEPTED, Status.IN_PROGRESS)


class Source(models.TextChoices):
    WEB = "web", _("网上投诉")
    OPEN311 = "open311", _("合作系统（Open311）")
    API = "api", _("接口")


class EventKind(models.TextChoices):
    STATUS = "status", _("状态变更")
    NOTE = "note", _("内部备注")
    RESPONSE = "response", _("单位回复")
    ESCALATION = "escalation", _("超期督办")
