from django.db import models
from django.utils.translation import gettext_lazy as _


class DayKind(models.TextChoices):
    """How a day breaks the Monday–Friday pattern (国务院办公厅's yearly notice on public holidays)."""

    HOLIDAY = "holiday", _("休息日（法定节假日）")
    WORKDAY = "workday", _("调休上班日")
