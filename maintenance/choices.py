from django.db import models
from django.utils.translation import gettext_lazy as _


class ContractStatus(models.TextChoices):
    PENDING = "pending", _("未生效")
    ACTIVE = "active", _("履行中")
    ENDED = "ended", _("已到期")
    TERMINATED = "terminated", _("已终止")


class Tier(models.TextChoices):
    """TSG T5002-2017 maintenance tiers, plus repair visits."""

    HALF_MONTHLY = "half_monthly", _("半月维保")
    QUARTERLY = "quarterly", _("季度维保")
    HALF_YEARLY = "half_yearly", _("半年维保")
    YEARLY = "yearly", _("年度维保")
    REPAIR = "repair", _("维修")


ROUTINE_TIERS = (Tier.HALF_MONTHLY, Tier.QUARTERLY, Tier.HALF_YEARLY, Tier.YEARLY)


class ItemResult(models.TextChoices):
    OK = "ok", _("正常")
    ADJUSTED = "adjusted", _("已调整")
    REPAIRED = "repaired", _("已修理")
    NOT_APPLICABLE = "na", _("不适用")


class RecordStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待确认")
    CONFIRMED = "confirmed", _("已确认")


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", _("照片")
    PDF = "pdf", _("PDF文件")


class FaultSource(models.TextChoices):
    IOT = "iot", _("物联网监测")
    HOTLINE = "hotline", _("96333应急平台")
    FIRM = "firm", _("维保单位")
    USE_UNIT = "use_unit", _("使用单位")
    COMPLAINT = "complaint", _("群众投诉")


class FaultKind(models.TextChoices):
    ENTRAPMENT = "entrapment", _("困人")
    STOPPED = "stopped", _("停梯")
    DOOR = "door", _("门故障")
    NOISE = "noise", _("异响振动")
    OTHER = "other", _("其他")


class FaultCause(models.TextChoices):
    EXTERNAL = "external", _("外部原因（停电等）")
    HUMAN = "human", _("人为原因")
    DOOR_SYSTEM = "door_system", _("门系统")
    CONTROL_SYSTEM = "control_system", _("控制系统")
    OTHER = "other", _("其他")
    UNKNOWN = "unknown", _("待查明")


class Grade(models.TextChoices):
    A = "A", _("A级（优秀）")
    B = "B", _("B级（良好）")
    C = "C", _("C级（一般）")
    D = "D", _("D级（较差）")
