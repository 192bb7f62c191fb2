import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import (
    BuildingKind,
    DistrictLevel,
    ElevatorStatus,
    ElevatorType,
    ImportKind,
    ImportStatus,
    InspectionStatus,
    MaintenanceFund,
    OrganizationKind,
    PersonKind,
    RiskAssessment,
    RiskReason,
)
from .states import inspection_status_for
from .validators import (
    normalize_use_certificate_no,
    registration_code_errors,
    rescue_code_error,
    use_certificate_error,
)

# The earliest plausible 投入使用日期 (issue 14: "commissioned 0001-01-01" was accepted).
EARLIEST_COMMISSION_DATE = datetime.date(1950, 1, 1)


class District(models.Model):
    """Panzhihua city or one of its five districts/counties, by GB/T 2260 division code."""

    code = models.CharField(_("行政区划代码"), max_length=6, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    name_en = models.CharField(_("英文名称"), max_length=50, blank=True)
    level = models.CharField(_("级别"), max_length=10, choices=DistrictLevel.choices)
    parent = models.ForeignKey("self", verbose_name=_("上级"), on_delete=models.PROTECT, null=True, blank=True)

    class Meta:
        verbose_name = _("区县")
        verbose_name_plural = _("区县")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Organization(models.Model):
    """A company or public body: use unit, maintenance firm, inspection agency, regulator, department..."""

    name = models.CharField(_("单位名称"), max_length=200, unique=True)
    kind = models.CharField(_("单位类型"), max_length=20, choices=OrganizationKind.choices, db_index=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    licence_no = models.CharField(_("许可证编号"), max_length=64, blank=True)
    licence_valid_until = models.DateField(_("许可证有效期至"), null=True, blank=True)
    district = models.ForeignKey(District, verbose_name=_("所在区县"), on_delete=models.PROTECT, null=True, blank=True)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    contact_phone = models.CharField(_("单位电话"), max_length=32, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"], condition=~Q(credit_code=""), name="organization_credit_code_unique"
            ),
        ]

    def __str__(self):
        return self.name

    @staticmethod
    def kind_label_for(kind: str) -> str:
        return str(OrganizationKind(kind).label)

    @property
    def licence_expired(self) -> bool:
        return self.licence_valid_until is not None and self.licence_valid_until < timezone.localdate()

    def clean(self):
        super().clean()
        stored = Organization.objects.filter(pk=self.pk).values_list("kind", flat=True).first() if self.pk else None
        if stored and self.kind and self.kind != stored and (needing := self.kind_needed_by(stored)):
            raise ValidationError(
                {
                    "kind": _("“%(org)s”的%(what)s需要它是%(kind)s，不能改为%(new)s；请先调整这些记录。")
                    % {
                        "org": self.name,
                        "what": "、".join(needing),
                        "kind": self.kind_label_for(stored),
                        "new": self.kind_label_for(self.kind),
                    }
                }
            )

    def kind_needed_by(self, kind: str) -> list[str]:
        """What holds this organisation to `kind` (issue 14: a firm with a login must not become a use unit): the
        users whose role needs that kind (accounts.models.ROLE_ORGANIZATION_KIND) and the records that name it in a
        capacity of that kind (KIND_BOUND_FIELDS: an elevator's use unit or firm, a contract's parties, a firm's
        records, faults and duty shifts, an inspection's agency). Their names, plural; empty when nothing does."""
        from accounts import access

        needing = []
        if access.users_needing_organization_kind(self, kind).exists():
            needing.append(str(_("用户账号")))
        for rel in self._meta.related_objects:
            if rel.many_to_many or KIND_BOUND_FIELDS.get(rel.field.name) != kind:
                continue
            name = str(rel.related_model._meta.verbose_name_plural)
            if name not in needing and rel.related_model._default_manager.filter(**{rel.field.name: self}).exists():
                needing.append(name)
        return needing


class Person(models.Model):
    """A certified person (safety manager, maintenance worker, inspector) with their certificate."""

    name = models.CharField(_("姓名"), max_length=50)
    kind = models.CharField(_("人员类别"), max_length=24, choices=PersonKind.choices)
    organization = models.ForeignKey(
        Organization, verbose_name=_("所属单位"), on_delete=models.PROTECT, related_name="people"
    )
    certificate_no = models.CharField(_("证书编号"), max_length=64, unique=True)
    certificate_valid_until = models.DateField(_("证书有效期至"))
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("持证人员")
        verbose_name_plural = _("持证人员")
        ordering = ["organization__name", "name"]

    def __str__(self):
        return f"{self.name}（{self.certificate_no}）"

    def clean(self):
        super().clean()
        # A certified person signs in with a login of their own organisation (the safety manager who confirms records,
        # the worker on a record): a login of another organisation would lend that organisation's rights (issue 14).
        if self.user_id and self.organization_id and self.user.organization_id != self.organization_id:
            raise ValidationError({"user": _("登录账号必须属于本人所在单位。")})

    def certificate_valid_on(self, day) -> bool:
        return self.certificate_valid_until >= day


# Which kind of organisation each of an elevator's organisation fields must point at.
ELEVATOR_ORGANIZATION_KINDS = {
    "use_unit": OrganizationKind.USE_UNIT,
    "maintenance_firm": OrganizationKind.MAINTENANCE,
    "manufacturer": OrganizationKind.MANUFACTURER,
    "installer": OrganizationKind.INSTALLER,
}
# The fields by which any record names an organisation in a capacity that needs one kind of organisation (an
# elevator's, a contract's use unit and firm, a firm's records, faults and duty shifts, an inspection's agency):
# while such a record exists the organisation keeps its kind (Organization.clean).
KIND_BOUND_FIELDS = {
    **ELEVATOR_ORGANIZATION_KINDS,
    "firm": OrganizationKind.MAINTENANCE,
    "agency": OrganizationKind.INSPECTION,
}


class Elevator(models.Model):
    """One registered elevator, escalator or moving walk (docs/rules.md "Identification")."""

    registration_code = models.CharField(_("注册代码"), max_length=20, unique=True)
    rescue_code = models.CharField(_("应急救援识别码"), max_length=6, null=True, blank=True, unique=True)
    # 使用登记证 (特种设备安全法 §33; TSG 08-2017): an elevator in use without one is used unlawfully. The number's
    # layout is checked (validators.use_certificate_error); the scan is served only through a permission check.
    use_certificate_no = models.CharField(_("使用登记证编号"), max_length=64, blank=True)
    use_certificate_authority = models.CharField(_("登记机关"), max_length=100, blank=True)
    use_certificate_issued_on = models.DateField(_("登记日期"), null=True, blank=True)
    use_certificate_scan = models.FileField(
        _("使用登记证扫描件"), upload_to="certificates/%Y/", blank=True, max_length=200
    )
    elevator_type = models.CharField(_("电梯类型"), max_length=4, choices=ElevatorType.choices)
    district = models.ForeignKey(
        District, verbose_name=_("所在区县"), on_delete=models.PROTECT, related_name="elevators"
    )
    address = models.CharField(_("安装地址"), max_length=255)
    building_name = models.CharField(_("楼宇/小区名称"), max_length=100, blank=True)
    building_kind = models.CharField(
        _("场所类型"), max_length=16, choices=BuildingKind.choices, default=BuildingKind.RESIDENTIAL
    )
    use_unit = models.ForeignKey(
        Organization,
        verbose_name=_("使用单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="used_elevators",
    )
    maintenance_firm = models.ForeignKey(
        Organization,
        verbose_name=_("维保单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="maintained_elevators",
    )
    manufacturer = models.ForeignKey(
        Organization,
        verbose_name=_("制造单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="manufactured_elevators",
    )
    installer = models.ForeignKey(
        Organization,
        verbose_name=_("安装单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="installed_elevators",
    )
    manufacture_date = models.DateField(_("制造日期"), null=True, blank=True)
    commission_date = models.DateField(_("投入使用日期"), null=True, blank=True)
    rated_load_kg = models.PositiveIntegerField(_("额定载重量(kg)"), null=True, blank=True)
    rated_speed_ms = models.DecimalField(_("额定速度(m/s)"), max_digits=4, decimal_places=2, null=True, blank=True)
    floors = models.PositiveSmallIntegerField(_("层站数"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=ElevatorStatus.choices, default=ElevatorStatus.IN_USE)
    maintenance_fund = models.CharField(
        _("专项维修资金"), max_length=16, choices=MaintenanceFund.choices, default=MaintenanceFund.NOT_APPLICABLE
    )
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    # Kept current by the inspections and maintenance services, so lists and the public page need no joins.
    inspection_valid_until = models.DateField(_("检验有效期至"), null=True, blank=True, db_index=True)
    last_maintenance_on = models.DateField(_("最近维保日期"), null=True, blank=True)
    # The start of the maintenance contract now in force, kept in step by the contract services with the firm
    # above: a never-maintained elevator's 15 days count from it at the latest (registry.states, 条例 §31).
    contract_starts_on = models.DateField(_("当前维保合同起始日期"), null=True, blank=True, editable=False)
    # True after a 不合格/复检不合格 result until a later inspection passes (特种设备安全法 §40: must not be used).
    inspection_failed = models.BooleanField(_("检验不合格"), default=False)
    # The day of the last emergency drill held on this elevator, kept by the preparedness services: the next one
    # is due DRILL_INTERVAL_MONTHS later (TSG T5002-2017; preparedness.rules).
    last_drill_on = models.DateField(_("最近应急演练日期"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("电梯")
        verbose_name_plural = _("电梯")
        ordering = ["registration_code"]
        indexes = [
            models.Index(fields=["district", "registration_code"], name="elevator_district_code_idx"),
            models.Index(fields=["use_unit", "registration_code"], name="elevator_use_unit_code_idx"),
            models.Index(fields=["maintenance_firm", "registration_code"], name="elevator_firm_code_idx"),
            models.Index(fields=["commission_date"], name="elevator_commission_idx"),
            # Counting without reading the table (bench/README.md): the list's COUNT for filters by district, type,
            # status and building kind is answered from this index alone (an index-only scan).
            models.Index(fields=["district", "elevator_type", "status", "building_kind"], name="elevator_count_idx"),
            # The page in code order for a type, or a district and a type: the database reads just the matching
            # entries in order. Without them it walks the whole code index for the next 50 (codes begin with the
            # type, so a later type's rows all come at the end: 260 ms at L).
            models.Index(fields=["elevator_type", "registration_code"], name="elevator_type_code_idx"),
            models.Index(fields=["district", "elevator_type", "registration_code"], name="elevator_district_type_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(registration_code__regex=r"^[0-9]{20}$"), name="elevator_registration_code_20_digits"
            ),
            models.CheckConstraint(
                condition=Q(rescue_code__isnull=True) | Q(rescue_code__regex=r"^[0-9]{5,6}$"),
                name="elevator_rescue_code_5_or_6_digits",
            ),
        ]

    def __str__(self):
        return f"{self.registration_code} {self.address}"

    def get_absolute_url(self):
        return reverse("registry:elevator_detail", args=[self.pk])

    def get_public_url(self):
        return reverse("public_elevator", args=[self.registration_code])

    def clean(self):
        super().clean()
        errors = {}
        district_code = self.district.code if self.district_id else None
        code_errors = registration_code_errors(
            self.registration_code, elevator_type=self.elevator_type or None, district_code=district_code
        )
        if code_errors:
            errors["registration_code"] = code_errors
        if self.rescue_code == "":
            self.rescue_code = None
        if self.rescue_code is not None and (msg := rescue_code_error(self.rescue_code)):
            errors["rescue_code"] = msg
        if self.use_certificate_no:
            self.use_certificate_no = normalize_use_certificate_no(self.use_certificate_no)
            if msg := use_certificate_error(self.use_certificate_no, elevator_type=self.elevator_type or None):
                errors["use_certificate_no"] = msg
        if self.use_certificate_issued_on and self.use_certificate_issued_on > timezone.localdate():
            errors["use_certificate_issued_on"] = _("登记日期不能晚于今天。")
        if self.manufacture_date and self.commission_date and self.commission_date < self.manufacture_date:
            errors["commission_date"] = _("投入使用日期不能早于制造日期。")
        if self.commission_date and self.commission_date > timezone.localdate():
            errors["commission_date"] = _("投入使用日期不能晚于今天。")
        if self.commission_date and self.commission_date < EARLIEST_COMMISSION_DATE:
            # No elevator in service here predates 1950; an earlier date is a typing or import error (issue 14).
            errors["commission_date"] = _("投入使用日期不能早于1950年1月1日。")
        for field, limit in (("latitude", 90), ("longitude", 180)):
            value = getattr(self, field)
            if value is not None and not -limit <= value <= limit:
                errors[field] = _("%(field)s应在-%(limit)d到%(limit)d之间。") % {
                    "field": self._meta.get_field(field).verbose_name,
                    "limit": limit,
                }
        for field, kind in ELEVATOR_ORGANIZATION_KINDS.items():
            org = getattr(self, field)
            if org is not None and org.kind != kind:
                errors[field] = _("“%(org)s”不是%(kind)s。") % {"org": org.name, "kind": kind.label}
        if errors:
            raise ValidationError(errors)

    def inspection_status(self, today=None) -> str:
        """Failed, or by date: valid, expiring, expired, unknown (特种设备安全法 §40; plan §2(7))."""
        return inspection_status_for(
            valid_until=self.inspection_valid_until, failed=self.inspection_failed, today=today or timezone.localdate()
        )

    def get_inspection_status_display(self):
        return InspectionStatus(self.inspection_status()).label

    @property
    def must_not_be_used(self) -> bool:
        """An elevator that failed inspection or whose inspection expired must not be used (特种设备安全法 §40)."""
        return self.status == ElevatorStatus.IN_USE and self.inspection_status() in (
            InspectionStatus.EXPIRED,
            InspectionStatus.FAILED,
        )

    def years_in_use(self, today=None) -> int | None:
        if not self.commission_date:
            return None
        today = today or timezone.localdate()
        years = today.year - self.commission_date.year
        if (today.month, today.day) < (self.commission_date.month, self.commission_date.day):
            years -= 1
        return years


class ImportJob(models.Model):
    """One uploaded CSV/XLSX file of organisations or elevators, imported all-or-nothing."""

    kind = models.CharField(_("导入内容"), max_length=16, choices=ImportKind.choices)
    file = models.FileField(_("文件"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=255)
    status = models.CharField(_("状态"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已检查行数"), default=0)
    created_rows = models.PositiveIntegerField(_("已导入行数"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("导入人"), on_delete=models.PROTECT, related_name="import_jobs"
    )
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # Jobs that always finish (docs/architecture.md "Jobs"): when the job was last sent to a worker, the last sign
    # of life of the run that holds it, and how many runs have taken it; the watchdog (registry.imports
    # import_jobs_requeue) sends again a job nobody took and takes back one whose heartbeat stopped.
    queued_at = models.DateTimeField(_("排队时间"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("最近心跳"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("执行次数"), default=0)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.original_name}"

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED)

    @property
    def progress_percent(self) -> int:
        if self.is_finished:
            return 100
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0


class RiskFlag(models.Model):
    """One reason an elevator is under key monitoring (plan §2(4)), from the day the daily scan first saw it until
    the day the condition ended; cleared flags stay as the history."""

    elevator = models.ForeignKey(Elevator, verbose_name=_("电梯"), on_delete=models.PROTECT, related_name="risk_flags")
    reason = models.CharField(_("原因"), max_length=16, choices=RiskReason.choices)
    # Years in use (full years) for age_over_15; counts over the last 12 months for the others.
    measured = models.PositiveIntegerField(_("测量值"))
    threshold = models.PositiveIntegerField(_("阈值"))
    first_seen = models.DateField(_("首次发现"))
    last_seen = models.DateField(_("最近确认"))
    cleared_on = models.DateField(_("解除日期"), null=True, blank=True)
    # The scan run that created the flag: each run tells the regulators only about its own new flags.
    run_id = models.UUIDField(_("扫描批次"), db_index=True)
    assessment = models.CharField(
        _("评估状态"), max_length=16, choices=RiskAssessment.choices, default=RiskAssessment.PENDING
    )
    assessment_note = models.TextField(_("评估说明"), blank=True, default="")
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评估人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    assessed_at = models.DateTimeField(_("评估时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("重点监控标记")
        verbose_name_plural = _("重点监控标记")
        ordering = ["-first_seen", "elevator_id", "reason"]
        indexes = [models.Index(fields=["reason", "cleared_on"], name="riskflag_reason_cleared_idx")]
        constraints = [
            # One active flag per elevator and reason: two scans at once insert it once (ON CONFLICT DO NOTHING).
            models.UniqueConstraint(
                fields=["elevator", "reason"],
                condition=Q(cleared_on__isnull=True),
                name="riskflag_one_active_per_reason",
            ),
        ]

    def __str__(self):
        return f"{self.elevator_id} {self.get_reason_display()} {self.first_seen}"

    @property
    def is_active(self) -> bool:
        return self.cleared_on is None
