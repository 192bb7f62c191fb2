from django.db import models
from django.utils.translation import gettext_lazy as _


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
