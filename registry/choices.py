from django.db import models
from django.utils.translation import gettext_lazy as _


class DistrictLevel(models.TextChoices):
    CITY = "city", _("市")
    DISTRICT = "district", _("区")
    COUNTY = "county", _("县")


class OrganizationKind(models.TextChoices):
    USE_UNIT = "use_unit", _("使用单位")
    MAINTENANCE = "maintenance", _("维保单位")
    INSPECTION = "inspection", _("检验机构")
    MANUFACTURER = "manufacturer", _("制造单位")
    INSTALLER = "installer", _("安装单位")
    INSURER = "insurer", _("保险机构")
    REGULATOR = "regulator", _("市场监管部门")
    DEPARTMENT = "department", _("政府部门")


class PersonKind(models.TextChoices):
    SAFETY_MANAGER = "safety_manager", _("安全管理员")
    MAINTENANCE_WORKER = "maintenance_worker", _("维保作业人员")
    INSPECTOR = "inspector", _("检验人员")


class ElevatorType(models.TextChoices):
    """Elevator categories; the value is the category code that opens the registration code (docs/rules.md
    "Identification")."""

    TRACTION_PASSENGER = "3110", _("曳引驱动乘客电梯")
    TRACTION_FREIGHT = "3120", _("曳引驱动载货电梯")
    POSITIVE_FREIGHT = "3130", _("强制驱动载货电梯")
    HYDRAULIC_PASSENGER = "3210", _("液压乘客电梯")
    HYDRAULIC_FREIGHT = "3220", _("液压载货电梯")
    ESCALATOR = "3310", _("自动扶梯")
    MOVING_WALK = "3320", _("自动人行道")
    EXPLOSION_PROOF = "3410", _("防爆电梯")
    FIREFIGHTER = "3420", _("消防员电梯")
    DUMBWAITER = "3430", _("杂物电梯")


class BuildingKind(models.TextChoices):
    """Crowded places matter to plan §2(2) (驻点维保) and §2(11) (视频监控)."""

    RESIDENTIAL = "residential", _("住宅")
    MALL = "mall", _("商场")
    TRANSPORT = "transport", _("交通站点")
    HOSPITAL = "hospital", _("医院")
    SCHOOL = "school", _("学校")
    OFFICE = "office", _("办公楼")
    TOURIST = "tourist", _("旅游景点")
    OTHER = "other", _("其他")


class ElevatorStatus(models.TextChoices):
    IN_USE = "in_use", _("在用")
    SUSPENDED = "suspended", _("停用")
    RENOVATION = "renovation", _("改造中")
    SCRAPPED = "scrapped", _("报废")


class MaintenanceFund(models.TextChoices):
    """Residential special maintenance fund (plan §2(4), 三(1) 三无电梯)."""

    ESTABLISHED = "established", _("已建立")
    INSUFFICIENT = "insufficient", _("余额不足")
    NONE = "none", _("未建立")
    NOT_APPLICABLE = "not_applicable", _("不适用")


class InspectionStatus(models.TextChoices):
    """Derived from inspection_valid_until (特种设备安全法 §40)."""

    VALID = "valid", _("有效")
    EXPIRING = "expiring", _("即将到期")
    EXPIRED = "expired", _("已超期")
    FAILED = "failed", _("检验不合格")
    UNKNOWN = "unknown", _("无检验记录")


class ImportKind(models.TextChoices):
    ORGANIZATIONS = "organizations", _("单位")
    ELEVATORS = "elevators", _("电梯")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("处理中")
    SUCCEEDED = "succeeded", _("导入成功")
    FAILED = "failed", _("导入失败")


class RiskReason(models.TextChoices):
    """Why an elevator is under key monitoring (plan §2(4); docs/rules.md "Key monitoring")."""

    AGE_OVER_15 = "age_over_15", _("使用超过15年")
    FAULTS = "faults", _("故障偏多")
    COMPLAINTS = "complaints", _("投诉偏多")
    ENTRAPMENTS = "entrapments", _("多次困人")
    # Plan §2(4) 运行故障率明显偏高, relative: above the city's percentile for the elevator's type.
    FAILURE_RATE = "failure_rate", _("故障率高于同类电梯")


class RiskAssessment(models.TextChoices):
    """The regulator's assessment of a flagged elevator (plan §2(4): 安全评估, 大修改造更新)."""

    PENDING = "pending", _("待评估")
    ASSESSED = "assessed", _("已评估")
    RENOVATION = "renovation", _("需大修改造更新")
    DONE = "done", _("已处置")
