from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The roles of docs/rules.md "Who sees what"; anonymous visitors are the public."""

    CITY_REGULATOR = "city_regulator", _("市级监管人员")
    DISTRICT_REGULATOR = "district_regulator", _("区县监管人员")
    DEPARTMENT = "department", _("部门人员")
    USE_UNIT = "use_unit", _("使用单位人员")
    MAINTENANCE = "maintenance", _("维保单位人员")
    INSPECTION = "inspection", _("检验机构人员")
    # Plan §2(10): the one 96333 platform that takes entrapment calls city-wide and dispatches the rescue.
    RESCUE_CENTRE = "rescue_centre", _("96333应急处置中心人员")
