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
