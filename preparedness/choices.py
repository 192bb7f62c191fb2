from django.db import models
from django.utils.translation import gettext_lazy as _


class DrillScenario(models.TextChoices):
    """What an emergency drill rehearses (plan §2(7) 应急专项预案; TSG T5002-2017: firms drill with use units)."""

    ENTRAPMENT = "entrapment", _("困人救援")
    POWER_CUT = "power_cut", _("停电")
    FIRE = "fire", _("火灾")
    FLOODING = "flooding", _("进水")
    EARTHQUAKE = "earthquake", _("地震")
    OTHER = "other", _("其他")


class DrillStatus(models.TextChoices):
    PLANNED = "planned", _("已计划")
    HELD = "held", _("已演练")
    CANCELLED = "cancelled", _("已取消")


class ClaimStatus(models.TextChoices):
    FILED = "filed", _("已报案")
    ACCEPTED = "accepted", _("已受理")
    PAID = "paid", _("已赔付")
    REJECTED = "rejected", _("已拒赔")


class ComplianceState(models.TextChoices):
    """How one item of an elevator's compliance stands (the use unit's compliance page)."""

    OK = "ok", _("符合")
    DUE_SOON = "due_soon", _("即将到期")
    MISSING = "missing", _("缺失")
    OVERDUE = "overdue", _("已超期")
