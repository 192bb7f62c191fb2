from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import DayKind


class CalendarDay(models.Model):
    """A day that breaks the Monday–Friday pattern: a public holiday on a weekday, or a make-up working day (调休)
    on a Saturday or Sunday. Every other day is a working day from Monday to Friday and a rest day at weekends."""

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=8, choices=DayKind.choices)
    name = models.CharField(_("节日"), max_length=50, help_text=_("如“国庆节”“春节”"))

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=DayKind.values), name="calendar_day_kind_valid"),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}（{self.get_kind_display()}）"

    def clean(self):
        super().clean()
        if self.date is None:
            return
        weekend = self.date.weekday() >= 5
        if self.kind == DayKind.HOLIDAY and weekend:
            raise ValidationError({"kind": _("周六、周日本来就是休息日，无需登记为节假日。")})
        if self.kind == DayKind.WORKDAY and not weekend:
            raise ValidationError({"kind": _("周一至周五本来就是工作日，调休上班日只能是周六或周日。")})
