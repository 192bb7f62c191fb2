"""What a use unit keeps ready before anything happens (plan §2(7), §2(12); docs/rules.md "Preparedness"): its
safety management (body, managers and the elevators each answers for), emergency plans and drills, and elevator
safety liability insurance with its claims. The use registration certificate (使用登记证) is part of the elevator's
registration and lives on `registry.Elevator`."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import ClaimStatus, DrillScenario, DrillStatus


def _stored_name(folder: str, filename: str) -> str:
    """Stored under a random name: the original name may be personal or guessable, the path must be neither."""
    ext = filename.rsplit(".", 1)[-1].lower()[:5] if "." in filename else "bin"
    return f"preparedness/{folder}/{uuid.uuid4().hex}.{ext}"


def rules_upload_to(instance, filename: str) -> str:
    return _stored_name("rules", filename)


def plan_upload_to(instance, filename: str) -> str:
    return _stored_name("plans", filename)


def drill_photo_upload_to(instance, filename: str) -> str:
    return _stored_name("drills", filename)


def policy_upload_to(instance, filename: str) -> str:
    return _stored_name("policies", filename)


class SafetyManagement(models.Model):
    """A use unit's safety management: its 安全管理机构 (when it has one), the person in charge, its rules and the
    money set aside (plan §2(7); 特种设备安全法 §13, §33: the use unit sets up a body or names managers)."""

    use_unit = models.OneToOneField(
        "registry.Organization",
        verbose_name=_("使用单位"),
        on_delete=models.CASCADE,
        related_name="safety_management",
    )
    body_name = models.CharField(
        _("安全管理机构"), max_length=100, blank=True, help_text=_("未设机构、只配备安全管理员的，留空。")
    )
    principal = models.CharField(_("主要负责人"), max_length=50)
    rules_document = models.FileField(_("安全管理制度（PDF）"), upload_to=rules_upload_to, blank=True)
    annual_budget = models.DecimalField(_("年度安全经费（元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("更新人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("安全管理机构")
        verbose_name_plural = _("安全管理机构")

    def __str__(self):
        return self.body_name or str(self.use_unit)


class SafetyAssignment(models.Model):
    """One elevator a safety manager answers for (TSG 08-2017 2.4: each elevator has a named 安全管理员).

    The manager is a registry Person of kind 安全管理员 of the elevator's use unit: the same designation that alone
    confirms maintenance records (accounts.access.is_safety_manager)."""

    person = models.ForeignKey(
        "registry.Person", verbose_name=_("安全管理员"), on_delete=models.CASCADE, related_name="safety_assignments"
    )
    elevator = models.ForeignKey(
        "registry.Elevator", verbose_name=_("电梯"), on_delete=models.CASCADE, related_name="safety_assignments"
    )
    assigned_at = models.DateTimeField(_("指定时间"), auto_now_add=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("指定人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("安全管理员负责电梯")
        verbose_name_plural = _("安全管理员负责电梯")
        ordering = ["person_id", "elevator_id"]
        constraints = [models.UniqueConstraint(fields=["person", "elevator"], name="safety_assignment_once")]

    def __str__(self):
        return f"{self.person_id} → {self.elevator_id}"


class EmergencyPlan(models.Model):
    """A use unit's special emergency plan for its elevators (应急专项预案, plan §2(7)), one row per version."""

    use_unit = models.ForeignKey(
        "registry.Organization", verbose_name=_("使用单位"), on_delete=models.PROTECT, related_name="emergency_plans"
    )
    title = models.CharField(_("预案名称"), max_length=200)
    version = models.CharField(_("版本"), max_length=20)
    adopted_on = models.DateField(_("发布日期"))
    document = models.FileField(_("预案文件（PDF）"), upload_to=plan_upload_to)
    elevators = models.ManyToManyField("registry.Elevator", verbose_name=_("适用电梯"), related_name="emergency_plans")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("应急专项预案")
        verbose_name_plural = _("应急专项预案")
        ordering = ["-adopted_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["use_unit", "title", "version"], name="emergency_plan_version_once")
        ]

    def __str__(self):
        return f"{self.title}（{self.version}）"


class Drill(models.Model):
    """An emergency drill, planned then held (or cancelled): TSG T5002-2017 asks the maintenance firm to drill with
    the use unit at least every six months (DRILL_INTERVAL_MONTHS); each elevator's last drill counts its next one."""

    use_unit = models.ForeignKey(
        "registry.Organization", verbose_name=_("使用单位"), on_delete=models.PROTECT, related_name="drills"
    )
    firm = models.ForeignKey(
        "registry.Organization",
        verbose_name=_("维保单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="firm_drills",
    )
    plan = models.ForeignKey(
        EmergencyPlan,
        verbose_name=_("依据预案"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="drills",
    )
    elevators = models.ManyToManyField("registry.Elevator", verbose_name=_("演练电梯"), related_name="drills")
    scenario = models.CharField(_("演练场景"), max_length=16, choices=DrillScenario.choices)
    status = models.CharField(_("状态"), max_length=10, choices=DrillStatus.choices, default=DrillStatus.PLANNED)
    planned_on = models.DateField(_("计划日期"))
    held_on = models.DateField(_("演练日期"), null=True, blank=True)
    use_unit_participants = models.TextField(_("使用单位参加人员"), blank=True)
    firm_participants = models.TextField(_("维保单位参加人员"), blank=True)
    # From the simulated alarm to the passengers' release, the figure the rescue loop is judged by (plan §2(10)).
    release_minutes = models.PositiveSmallIntegerField(_("解救用时（分钟）"), null=True, blank=True)
    findings = models.TextField(_("发现的问题"), blank=True)
    improvements = models.TextField(_("改进措施"), blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("应急演练")
        verbose_name_plural = _("应急演练")
        ordering = ["-planned_on", "-pk"]
        indexes = [models.Index(fields=["use_unit", "status", "planned_on"], name="drill_unit_status_idx")]
        constraints = [
            # A held drill has its day; a planned or cancelled one has none.
            models.CheckConstraint(
                condition=Q(status=DrillStatus.HELD, held_on__isnull=False)
                | (~Q(status=DrillStatus.HELD) & Q(held_on__isnull=True)),
                name="drill_held_on_iff_held",
            ),
        ]

    def __str__(self):
        return f"{self.get_scenario_display()} {self.held_on or self.planned_on}"


class DrillPhoto(models.Model):
    """A photo of a held drill, re-encoded on intake (maintenance.photos) so no metadata travels on."""

    drill = models.ForeignKey(Drill, verbose_name=_("演练"), on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("照片"), upload_to=drill_photo_upload_to)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("演练照片")
        verbose_name_plural = _("演练照片")
        ordering = ["pk"]

    def __str__(self):
        return f"{self.drill_id} {self.pk}"


class InsurancePolicy(models.Model):
    """An elevator safety liability insurance policy (电梯安全责任保险, plan §2(12)) of one use unit, covering some of
    its elevators for a period (both days included)."""

    insurer = models.CharField(_("保险公司"), max_length=100)
    policy_no = models.CharField(_("保单号"), max_length=64)
    insured = models.ForeignKey(
        "registry.Organization", verbose_name=_("被保险人"), on_delete=models.PROTECT, related_name="insurance_policies"
    )
    elevators = models.ManyToManyField(
        "registry.Elevator", verbose_name=_("承保电梯"), related_name="insurance_policies"
    )
    cover_per_person = models.DecimalField(_("每人赔偿限额（元）"), max_digits=12, decimal_places=2)
    cover_per_accident = models.DecimalField(_("每次事故赔偿限额（元）"), max_digits=14, decimal_places=2)
    starts_on = models.DateField(_("保险起期"))
    ends_on = models.DateField(_("保险止期"))
    document = models.FileField(_("保单文件（PDF）"), upload_to=policy_upload_to, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("电梯安全责任保险保单")
        verbose_name_plural = _("电梯安全责任保险保单")
        ordering = ["-ends_on", "-pk"]
        indexes = [models.Index(fields=["insured", "ends_on"], name="policy_insured_ends_idx")]
        constraints = [
            models.UniqueConstraint(fields=["insurer", "policy_no"], name="policy_number_once_per_insurer"),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="policy_ends_after_start"),
            models.CheckConstraint(
                condition=Q(cover_per_accident__gte=F("cover_per_person")), name="policy_accident_cover_ge_person"
            ),
        ]

    def __str__(self):
        return f"{self.insurer} {self.policy_no}"

    def clean(self):
        super().clean()
        errors = {}
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("保险止期不能早于保险起期。")
        for field in ("cover_per_person", "cover_per_accident"):
            value = getattr(self, field)
            if value is not None and value <= 0:
                errors[field] = _("赔偿限额应大于0元。")
        if (
            "cover_per_accident" not in errors
            and self.cover_per_person
            and self.cover_per_accident
            and self.cover_per_accident < self.cover_per_person
        ):
            errors["cover_per_accident"] = _("每次事故赔偿限额不能低于每人赔偿限额。")
        if errors:
            raise ValidationError(errors)

    def in_force_on(self, day) -> bool:
        return self.starts_on <= day <= self.ends_on


class InsuranceClaim(models.Model):
    """A claim under a policy for harm on one of its elevators, linked to the fault or accident behind it."""

    policy = models.ForeignKey(InsurancePolicy, verbose_name=_("保单"), on_delete=models.PROTECT, related_name="claims")
    elevator = models.ForeignKey(
        "registry.Elevator", verbose_name=_("电梯"), on_delete=models.PROTECT, related_name="insurance_claims"
    )
    fault = models.ForeignKey(
        "maintenance.Fault",
        verbose_name=_("关联故障"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="insurance_claims",
    )
    accident = models.ForeignKey(
        "rescue.Accident",
        verbose_name=_("关联事故"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="insurance_claims",
    )
    occurred_on = models.DateField(_("出险日期"))
    claimed_on = models.DateField(_("报案日期"))
    amount = models.DecimalField(_("索赔金额（元）"), max_digits=12, decimal_places=2)
    status = models.CharField(_("状态"), max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.FILED)
    paid_amount = models.DecimalField(_("赔付金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("保险理赔")
        verbose_name_plural = _("保险理赔")
        ordering = ["-claimed_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="claim_amount_positive"),
            models.CheckConstraint(
                condition=Q(paid_amount__isnull=True) | Q(paid_amount__gte=0), name="claim_paid_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.policy} {self.claimed_on}"
