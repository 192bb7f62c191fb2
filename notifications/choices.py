from django.db import models
from django.utils.translation import gettext_lazy as _


class ReminderKind(models.TextChoices):
    """Everything the scheduled jobs remind of, each sent once per subject and cycle."""

    # Plan §2(7); design card: inspection expiry.
    INSPECTION_30 = "inspection_30", _("检验到期前30天提醒")
    INSPECTION_15 = "inspection_15", _("检验到期前15天提醒")
    INSPECTION_EXPIRED = "inspection_expired", _("检验超期告警")
    LICENCE_30 = "licence_30", _("许可证到期前30天提醒")
    CERTIFICATE_30 = "certificate_30", _("证书到期前30天提醒")
    # 特种设备安全监察条例 §31: maintenance at least every 15 days.
    MAINTENANCE_OVERDUE = "maintenance_overdue", _("维保超期提醒")
