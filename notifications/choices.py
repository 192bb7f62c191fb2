from django.db import models
from django.utils.translation import gettext_lazy as _


class ReminderKind(models.TextChoices):
    """Everything the scheduled jobs remind of, each sent once per subject and cycle."""

    # 特种设备安全法 §40, plan §2(7): the use unit applies one calendar month before the validity ends.
    INSPECTION_DEADLINE_AHEAD = "inspection_deadline_ahead", _("检验申请期限前提醒")
    INSPECTION_DEADLINE = "inspection_deadline", _("检验申请期限当日提醒")
    INSPECTION_30 = "inspection_30", _("检验到期前30天提醒")  # before the §40 deadline was counted; kept for history
    INSPECTION_15 = "inspection_15", _("检验到期前15天提醒")
    INSPECTION_EXPIRED = "inspection_expired", _("检验超期告警")
    NEVER_INSPECTED = "never_inspected", _("在用电梯无检验记录告警")
    INSPECTION_FAILED = "inspection_failed", _("检验不合格未复检告警")
    LICENCE_30 = "licence_30", _("许可证到期前30天提醒")
    LICENCE_EXPIRED = "licence_expired", _("许可证过期告警")
    CERTIFICATE_30 = "certificate_30", _("证书到期前30天提醒")
    CERTIFICATE_EXPIRED = "certificate_expired", _("证书过期告警")
    # 特种设备安全监察条例 §64: trapped 2 hours or more is an accident, also while people are still trapped.
    ENTRAPMENT_ACCIDENT = "entrapment_accident", _("困人超过2小时事故告警")
    # Working days: next year's public holidays must be in the calendar before complaint deadlines reach it.
    CALENDAR_MISSING = "calendar_missing", _("下一年节假日安排缺失")
    # 特种设备安全监察条例 §31: maintenance at least every 15 days.
    MAINTENANCE_OVERDUE = "maintenance_overdue", _("维保超期提醒")
    # TSG T5002-2017, plan §2(7): an emergency drill per elevator at least every DRILL_INTERVAL_MONTHS.
    DRILL_DUE = "drill_due", _("应急演练到期前提醒")
    DRILL_OVERDUE = "drill_overdue", _("应急演练超期告警")
    # Plan §2(12): elevator safety liability insurance renewed before the policy ends.
    INSURANCE_EXPIRING = "insurance_expiring", _("电梯责任保险到期前提醒")
    # Plan §2(7), 特种设备安全法 §33: a use unit with elevators in use names a certified safety manager.
    SAFETY_MANAGER_MISSING = "safety_manager_missing", _("使用单位无有效安全管理员告警")


class Channel(models.TextChoices):
    """How an outbox message reaches its person (docs/rules.md "Entrapment rescue loop")."""

    INBOX = "inbox", _("站内消息")
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("待发送")
    DELIVERED = "delivered", _("已送达")
