from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import ApplicationStatus, DefectStatus, InspectionKind, InspectionResult


class InspectionApplication(models.Model):
    """A use unit's online application for inspection (plan §2(3), §2(7); 特种设备安全法 §40)."""

    elevator = models.ForeignKey(
        "registry.Elevator", verbose_name=_("电梯"), on_delete=models.PROTECT, related_name="inspection_applications"
    )
    kind = models.CharField(_("检验类别"), max_length=16, choices=InspectionKind.choices)
    agency = models.ForeignKey(
        "registry.Organization",
        verbose_name=_("检验机构"),
        on_delete=models.PROTECT,
        related_name="inspection_applications",
    )
    wished_from = models.DateField(_("期望检验日期（起）"))
    wished_to = models.DateField(_("期望检验日期（止）"))
    site_contact = models.CharField(_("现场联系人"), max_length=50)
    site_phone = models.CharField(_("联系电话"), max_length=20)
    note = models.TextField(_("备注"), blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=ApplicationStatus.choices, default=ApplicationStatus.SUBMITTED, db_index=True
    )
    reject_reason = models.TextField(_("不予受理原因"), blank=True)
    scheduled_on = models.DateField(_("排定检验日期"), null=True, blank=True, db_index=True)
    inspectors = models.ManyToManyField(
        "registry.Person", verbose_name=_("检验人员"), blank=True, related_name="scheduled_applications"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申报人"), on_delete=models.PROTECT, related_name="+"
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("申报时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("检验申报")
        verbose_name_plural = _("检验申报")
        ordering = ["-created_at"]
        constraints = [
            # One open application per elevator and kind: a second click or a retried request files nothing new.
            models.UniqueConstraint(
                fields=["elevator", "kind"],
                condition=Q(status__in=["submitted", "accepted", "scheduled"]),
                name="inspection_application_one_open_per_kind",
            ),
            models.CheckConstraint(
                condition=Q(wished_to__gte=models.F("wished_from")), name="inspection_application_window_ordered"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.elevator.registration_code}"

    def clean(self):
        super().clean()
        if self.wished_from and self.wished_to and self.wished_to < self.wished_from:
            raise ValidationError({"wished_to": _("期望检验日期（止）不能早于（起）。")})
        if self.agency_id and self.agency.kind != "inspection":
            raise ValidationError({"agency": _("“%(name)s”不是检验机构。") % {"name": self.agency.name}})


def report_upload_to(instance, filename):
    return f"inspection-reports/{instance.inspected_on:%Y/%m}/{instance.report_no}.pdf"


class Inspection(models.Model):
    """One inspection and its result, report and conclusion (TSG T7001-2023)."""

    elevator = models.ForeignKey(
        "registry.Elevator", verbose_name=_("电梯"), on_delete=models.PROTECT, related_name="inspections"
    )
    application = models.OneToOneField(
        InspectionApplication,
        verbose_name=_("检验申报"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspection",
    )
    kind = models.CharField(_("检验类别"), max_length=16, choices=InspectionKind.choices)
    agency = models.ForeignKey(
        "registry.Organization", verbose_name=_("检验机构"), on_delete=models.PROTECT, related_name="inspections"
    )
    inspectors = models.ManyToManyField("registry.Person", verbose_name=_("检验人员"), related_name="inspections")
    inspected_on = models.DateField(_("检验日期"), db_index=True)
    result = models.CharField(_("检验结论"), max_length=12, choices=InspectionResult.choices)
    report_no = models.CharField(_("报告编号"), max_length=64, unique=True)
    report_file = models.FileField(_("检验报告（PDF）"), upload_to=report_upload_to, blank=True)
    conclusion = models.TextField(_("检验意见"), blank=True)
    valid_until = models.DateField(_("下次检验日期"), null=True, blank=True)
    # 特种设备安全法 §40: a result never moves a later validity on record back (an older inspection recorded late)
    # unless the agency records it as a correction, with its reason; the elevator's history names who and when.
    # Database defaults too: the scale-data generator inserts inspections in SQL, naming only the columns it fills.
    corrects_validity = models.BooleanField(
        _("更正有效期"),
        default=False,
        db_default=False,
        help_text=_("勾选后，以本次结果更正电梯的检验有效期和检验状态，即使电梯已登记更晚的有效期或检验记录。"),
    )
    correction_reason = models.CharField(_("更正原因"), max_length=500, blank=True, default="", db_default="")
    # Snapshots at the time of the inspection, for first-pass rates (plan §2(1), §2(2)).
    maintenance_firm = models.ForeignKey(
        "registry.Organization",
        verbose_name=_("维保单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    installer = models.ForeignKey(
        "registry.Organization",
        verbose_name=_("安装单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("录入人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("检验记录")
        verbose_name_plural = _("检验记录")
        ordering = ["-inspected_on", "-id"]
        indexes = [models.Index(fields=["elevator", "-inspected_on"], name="inspection_elevator_date_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(corrects_validity=False) | ~Q(correction_reason=""), name="inspection_correction_has_reason"
            ),
        ]

    def __str__(self):
        return f"{self.report_no} {self.get_result_display()}"


def evidence_upload_to(instance, filename):
    return f"defect-evidence/{instance.inspection_id}/{instance.pk or 'new'}-{filename[-60:]}"


class Defect(models.Model):
    """A defect found by an inspection, with its rectification deadline and evidence."""

    inspection = models.ForeignKey(
        Inspection, verbose_name=_("检验记录"), on_delete=models.CASCADE, related_name="defects"
    )
    description = models.CharField(_("问题描述"), max_length=500)
    deadline = models.DateField(_("整改期限"))
    status = models.CharField(_("状态"), max_length=12, choices=DefectStatus.choices, default=DefectStatus.OPEN)
    rectification_note = models.TextField(_("整改情况"), blank=True)
    evidence = models.FileField(_("整改证明"), upload_to=evidence_upload_to, blank=True)
    rectified_at = models.DateTimeField(_("整改时间"), null=True, blank=True)
    rectified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("整改人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_by = models.ForeignKey(
        Inspection,
        verbose_name=_("复检记录"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="closed_defects",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("检验问题")
        verbose_name_plural = _("检验问题")
        ordering = ["deadline", "id"]

    def __str__(self):
        return self.description[:40]
