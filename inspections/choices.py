from django.db import models
from django.utils.translation import gettext_lazy as _


class InspectionKind(models.TextChoices):
    """定期检验 and 监督检验 (安装、改造、重大修理), plus 复检 after a failed result (特种设备安全法 §25, §40)."""

    PERIODIC = "periodic", _("定期检验")
    INSTALLATION = "installation", _("安装监督检验")
    RENOVATION = "renovation", _("改造监督检验")
    MAJOR_REPAIR = "major_repair", _("重大修理监督检验")
    RE_INSPECTION = "re_inspection", _("复检")


SUPERVISORY_KINDS = (InspectionKind.INSTALLATION, InspectionKind.RENOVATION, InspectionKind.MAJOR_REPAIR)


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已申报")
    ACCEPTED = "accepted", _("已受理")
    SCHEDULED = "scheduled", _("已排期")
    REJECTED = "rejected", _("不予受理")
    CANCELLED = "cancelled", _("已撤回")
    COMPLETED = "completed", _("已完成")


OPEN_APPLICATION_STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.ACCEPTED, ApplicationStatus.SCHEDULED)


class InspectionResult(models.TextChoices):
    PASSED = "passed", _("合格")
    FAILED = "failed", _("不合格")
    RE_PASSED = "re_passed", _("复检合格")
    RE_FAILED = "re_failed", _("复检不合格")


PASSING_RESULTS = (InspectionResult.PASSED, InspectionResult.RE_PASSED)


class DefectStatus(models.TextChoices):
    OPEN = "open", _("待整改")
    RECTIFIED = "rectified", _("已整改待复检")
    CLOSED = "closed", _("已关闭")
