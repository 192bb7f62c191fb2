"""Choices of the departments app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    """What a complaint is about; the routing table (RoutingRule) names the department that answers each
    (plan §2(8): the departments' duties). Complaints use it; it lives here, below them."""

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


# Plan §2(2) counts the 投诉率 against the maintenance firm; §2(8) gives each other kind of complaint to the
# department that answers for it. Counted against the firm are only the categories the firm answers for: an
# entrapment (it rescues, TSG T5002-2017), a breakdown (its maintenance keeps the lift running) and the quality of its
# maintenance. Not counted: inspection overdue and use management (the use unit's duties, 特种设备安全法 §40 and plan
# §2(7)), vandalism (公安局), no mobile signal (通信发展办公室), selection and configuration (自然资源和规划局), civil
# works and installation, adding elevators and the maintenance fund (住建局), fire elevators (应急管理局) and
# insurance claims (银保监分局).
FIRM_ANSWERABLE_CATEGORIES = (Category.ENTRAPMENT, Category.BREAKDOWN, Category.MAINTENANCE_QUALITY)
