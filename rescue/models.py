"""The rescue loop's own tables. The incident itself is the entrapment `maintenance.Fault` (its reported,
acknowledged, dispatched, arrived and released times are the statistics' and the credit grade's evidence); these
tables hold who is on call, every report and call about it, the escalation steps taken and the accident record.
docs/rules.md "Entrapment rescue loop"."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import DutyLevel, EmergencyService, ReportSource, Step


class DutyShift(models.Model):
    """Who of a maintenance firm is on call when, and on which phone (TSG T5002-2017 §5: 24-hour rescue duty)."""

    firm = models.ForeignKey(
        "registry.Organization", verbose_name=_("维保单位"), on_delete=models.CASCADE, related_name="duty_shifts"
    )
    level = models.CharField(_("职责"), max_length=10, choices=DutyLevel.choices, default=DutyLevel.ON_CALL)
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("手机号"), max_length=20)
    email = models.EmailField(_("电子邮箱"), blank=True)
    # The login that answers on the console, when the person has one (the inbox message goes there).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("平台账号"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duty_shifts",
    )
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("值班安排")
        verbose_name_plural = _("值班安排")
        ordering = ["starts_at", "level", "name"]
        indexes = [models.Index(fields=["firm", "ends_at"], name="duty_firm_ends_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="duty_shift_ends_after_start"),
        ]

    def __str__(self):
        return f"{self.name} {self.starts_at:%Y-%m-%d %H:%M}"

    def clean(self):
        super().clean()
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("结束时间必须晚于开始时间。")})


class IncidentReport(models.Model):
    """One report of a trapped passenger; every report of an open incident joins it (counted, never a second
    incident). Personal data (the reporter's name and phone) is for the centre and the firm, never public."""

    fault = models.ForeignKey(
        "maintenance.Fault", verbose_name=_("困人事件"), on_delete=models.CASCADE, related_name="incident_reports"
    )
    source = models.CharField(_("来源"), max_length=10, choices=ReportSource.choices)
    reported_at = models.DateTimeField(_("报告时间"))
    reporter = models.CharField(_("报告人"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    # The report's own identity where it has one: a complaint's tracking number, an IoT event id, a partner's id.
    external_ref = models.CharField(_("外部编号"), max_length=64, blank=True)
    opened = models.BooleanField(_("首报"), default=False)  # this report opened the incident
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("困人报告")
        verbose_name_plural = _("困人报告")
        ordering = ["reported_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_ref"], condition=~Q(external_ref=""), name="incident_report_once"
            ),
        ]

    def __str__(self):
        return f"{self.get_source_display()} {self.reported_at:%Y-%m-%d %H:%M}"


class IncidentCall(models.Model):
    """A call the 96333 centre logged for an incident, and the public services involved (plan §2(10))."""

    fault = models.ForeignKey(
        "maintenance.Fault", verbose_name=_("困人事件"), on_delete=models.CASCADE, related_name="incident_calls"
    )
    at = models.DateTimeField(_("时间"))
    party = models.CharField(_("通话对象"), max_length=100)
    service = models.CharField(
        _("联动部门"), max_length=3, choices=EmergencyService.choices, default=EmergencyService.NONE, blank=True
    )
    note = models.CharField(_("内容"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("通话记录")
        verbose_name_plural = _("通话记录")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.party} {self.at:%H:%M}"


class RescueStep(models.Model):
    """An escalation step taken for an incident; the unique key makes each step once, however many workers run
    the ladder at the same moment."""

    fault = models.ForeignKey(
        "maintenance.Fault", verbose_name=_("困人事件"), on_delete=models.CASCADE, related_name="rescue_steps"
    )
    step = models.CharField(_("步骤"), max_length=16, choices=Step.choices)
    taken_at = models.DateTimeField(_("时间"))
    recipients = models.PositiveIntegerField(_("通知人数"), default=0)

    class Meta:
        verbose_name = _("升级步骤")
        verbose_name_plural = _("升级步骤")
        ordering = ["taken_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["fault", "step"], name="rescue_step_once")]

    def __str__(self):
        return f"{self.get_step_display()} {self.taken_at:%H:%M}"


class Accident(models.Model):
    """An entrapment that became an accident (特种设备安全监察条例 §64: trapped 2 hours or more): the record an
    accident investigation starts from."""

    fault = models.OneToOneField(
        "maintenance.Fault", verbose_name=_("困人事件"), on_delete=models.PROTECT, related_name="accident"
    )
    elevator = models.ForeignKey(
        "registry.Elevator", verbose_name=_("电梯"), on_delete=models.PROTECT, related_name="accidents"
    )
    recorded_at = models.DateTimeField(_("认定时间"))
    summary = models.TextField(_("经过"))

    class Meta:
        verbose_name = _("困人事故")
        verbose_name_plural = _("困人事故")
        ordering = ["-recorded_at"]

    def __str__(self):
        return f"{self.elevator} {self.recorded_at:%Y-%m-%d %H:%M}"
