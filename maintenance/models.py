import datetime
import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import (
    AttachmentKind,
    ContractStatus,
    FaultCause,
    FaultKind,
    FaultSource,
    Grade,
    ItemResult,
    RecordStatus,
    Tier,
)

# The earliest plausible 报告时间 of a fault (Beijing time; see Fault.clean).
EARLIEST_FAULT_REPORT = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


class MaintenanceContract(models.Model):
    """A use unit's contract with a maintenance firm for a set of elevators and a period (条例 §31)."""

    number = models.CharField(_("合同编号"), max_length=64, unique=True)
    use_unit = models.ForeignKey(
        "registry.Organization",
        verbose_name=_("使用单位"),
        on_delete=models.PROTECT,
        related_name="maintenance_contracts_as_use_unit",
    )
    firm = models.ForeignKey(
        "registry.Organization",
        verbose_name=_("维保单位"),
        on_delete=models.PROTECT,
        related_name="maintenance_contracts",
    )
    starts_on = models.DateField(_("起始日期"))
    ends_on = models.DateField(_("截止日期"))
    status = models.CharField(
        _("状态"), max_length=12, choices=ContractStatus.choices, default=ContractStatus.PENDING, db_index=True
    )
    elevators = models.ManyToManyField(
        "registry.Elevator", through="ContractElevator", verbose_name=_("电梯"), related_name="maintenance_contracts"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("维保合同")
        verbose_name_plural = _("维保合同")
        ordering = ["-starts_on", "number"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="contract_period_ordered")
        ]

    def __str__(self):
        return f"{self.number} {self.firm}"


class ContractElevator(models.Model):
    """One elevator under one contract; `active` marks the firm currently responsible for it."""

    contract = models.ForeignKey(MaintenanceContract, on_delete=models.CASCADE, related_name="coverage")
    elevator = models.ForeignKey("registry.Elevator", on_delete=models.PROTECT, related_name="contract_coverage")
    active = models.BooleanField(_("履行中"), default=False)

    class Meta:
        verbose_name = _("合同电梯")
        verbose_name_plural = _("合同电梯")
        constraints = [
            models.UniqueConstraint(fields=["contract", "elevator"], name="contract_elevator_once"),
            # At most one firm is responsible for an elevator at any time.
            models.UniqueConstraint(fields=["elevator"], condition=Q(active=True), name="one_active_firm_per_elevator"),
        ]

    def __str__(self):
        return f"{self.contract_id} → {self.elevator_id}"


class ChecklistItem(models.Model):
    """One item of the maintenance checklist of a tier (TSG T5002-2017 附件A); data, editable by admins."""

    tier = models.CharField(_("维保类别"), max_length=16, choices=Tier.choices)
    code = models.CharField(_("序号"), max_length=10)
    title = models.CharField(_("项目"), max_length=100)
    requirement = models.CharField(_("要求"), max_length=255, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("维保项目")
        verbose_name_plural = _("维保项目")
        ordering = ["tier", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["tier", "code"], name="checklist_item_code_per_tier")]

    def __str__(self):
        return f"{self.code} {self.title}"


class ConfirmedRecordError(ValidationError):
    """A confirmed maintenance record is kept as it is (TSG T5002: records kept 4 years, corrections are new)."""


class MaintenanceRecord(models.Model):
    """A paperless maintenance record (TSG T5002-2017), confirmed by the use unit's safety manager."""

    elevator = models.ForeignKey(
        "registry.Elevator", verbose_name=_("电梯"), on_delete=models.PROTECT, related_name="maintenance_records"
    )
    firm = models.ForeignKey(
        "registry.Organization",
        verbose_name=_("维保单位"),
        on_delete=models.PROTECT,
        related_name="maintenance_records",
    )
    tier = models.CharField(_("维保类别"), max_length=16, choices=Tier.choices)
    started_at = models.DateTimeField(_("开始时间"))
    ended_at = models.DateTimeField(_("结束时间"))
    workers = models.ManyToManyField("registry.Person", verbose_name=_("维保人员"), related_name="maintenance_records")
    signed_by = models.ForeignKey(
        "registry.Person", verbose_name=_("签字人员"), on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("维保说明"), blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=RecordStatus.choices, default=RecordStatus.SUBMITTED, db_index=True
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("更正的记录"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("维保记录")
        verbose_name_plural = _("维保记录")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["elevator", "-started_at"], name="record_elevator_start_idx"),
            models.Index(fields=["firm", "-started_at"], name="record_firm_start_idx"),
            # The city-wide list's order (bench/README.md): the newest 50 of 24 million a year without sorting them.
            models.Index(fields=["-started_at", "-id"], name="record_start_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ended_at__gt=models.F("started_at")), name="record_ends_after_start")
        ]

    def __str__(self):
        return f"{self.elevator.registration_code} {self.get_tier_display()} {self.started_at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        # Whatever the path (page, API, admin, shell), a confirmed record is never written again.
        if self._stored_status() == RecordStatus.CONFIRMED:
            raise ConfirmedRecordError(_("该维保记录已由使用单位确认，不能修改；如需更正，请新建更正记录。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._stored_status() == RecordStatus.CONFIRMED:
            raise ConfirmedRecordError(_("该维保记录已由使用单位确认，不能删除。"))
        return super().delete(*args, **kwargs)

    def _stored_status(self):
        if self.pk is None:
            return None
        return type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()

    @property
    def duration_minutes(self) -> int:
        return int((self.ended_at - self.started_at).total_seconds() // 60)


class RecordItem(models.Model):
    """The result of one checklist item in one record."""

    record = models.ForeignKey(MaintenanceRecord, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(ChecklistItem, verbose_name=_("维保项目"), on_delete=models.PROTECT, related_name="+")
    result = models.CharField(_("结果"), max_length=10, choices=ItemResult.choices)
    note = models.CharField(_("备注"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("维保项目结果")
        verbose_name_plural = _("维保项目结果")
        constraints = [models.UniqueConstraint(fields=["record", "item"], name="record_item_once")]

    def __str__(self):
        return f"{self.item} {self.get_result_display()}"


def attachment_upload_to(instance, filename):
    ext = "pdf" if instance.kind == AttachmentKind.PDF else filename.rsplit(".", 1)[-1].lower()[:5]
    return f"maintenance/{instance.sha256[:2]}/{instance.sha256}.{ext}"


class Attachment(models.Model):
    """A photo or PDF of a maintenance record, stored with its SHA-256 checksum."""

    record = models.ForeignKey(MaintenanceRecord, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("类型"), max_length=8, choices=AttachmentKind.choices)
    file = models.FileField(_("文件"), upload_to=attachment_upload_to)
    original_name = models.CharField(_("原文件名"), max_length=255)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("维保附件")
        verbose_name_plural = _("维保附件")

    def __str__(self):
        return self.original_name

    @staticmethod
    def checksum(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()


class BulkUpload(models.Model):
    """A firm's bulk upload under an idempotency key: a retried request gets the first answer, not new records."""

    firm = models.ForeignKey("registry.Organization", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("幂等键"), max_length=100)
    request_hash = models.CharField(max_length=64)
    response = models.JSONField(default=dict)
    status_code = models.PositiveSmallIntegerField(default=201)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("批量上传")
        verbose_name_plural = _("批量上传")
        constraints = [models.UniqueConstraint(fields=["firm", "key"], name="bulk_upload_key_per_firm")]

    def __str__(self):
        return f"{self.firm_id} {self.key}"


class Fault(models.Model):
    """A fault or entrapment with its rescue timings (TSG T5002 §5; 条例 §64)."""

    elevator = models.ForeignKey(
        "registry.Elevator", verbose_name=_("电梯"), on_delete=models.PROTECT, related_name="faults"
    )
    firm = models.ForeignKey(
        "registry.Organization",
        verbose_name=_("维保单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="faults",
    )
    source = models.CharField(_("来源"), max_length=12, choices=FaultSource.choices)
    kind = models.CharField(_("故障类型"), max_length=12, choices=FaultKind.choices)
    cause = models.CharField(_("故障原因"), max_length=16, choices=FaultCause.choices, default=FaultCause.UNKNOWN)
    description = models.TextField(_("情况说明"), blank=True)
    trapped_people = models.PositiveSmallIntegerField(_("被困人数"), default=0)
    reported_at = models.DateTimeField(_("报告时间"), db_index=True)
    dispatched_at = models.DateTimeField(_("派出时间"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("到达时间"), null=True, blank=True)
    released_at = models.DateTimeField(_("解救/恢复时间"), null=True, blank=True)
    # The rescue loop (docs/rules.md "Entrapment rescue loop"): when the firm (or the 96333 centre on its behalf)
    # took the alarm (接警), and how many reports joined this entrapment while it was open.
    acknowledged_at = models.DateTimeField(_("接警时间"), null=True, blank=True)
    reports = models.PositiveIntegerField(_("报告次数"), default=1)
    # 条例 §64: when the portal found this entrapment to be an accident (still open, or released, 2 hours or more
    # after the report) and alerted the regulators; set once by maintenance.faults.jobs, never by a form.
    accident_at = models.DateTimeField(_("计为事故时间"), null=True, blank=True, editable=False)
    external_ref = models.CharField(_("外部编号"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("故障与困人")
        verbose_name_plural = _("故障与困人")
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(fields=["elevator", "-reported_at"], name="fault_elevator_reported_idx"),
            models.Index(fields=["firm", "-reported_at"], name="fault_firm_reported_idx"),
            # The accident job's question every 5 minutes (条例 §64): the entrapments still open and not yet marked,
            # a handful of rows, found without reading the table.
            models.Index(
                fields=["reported_at"],
                condition=Q(kind="entrapment", released_at__isnull=True, accident_at__isnull=True),
                name="fault_open_entrapment_idx",
            ),
        ]
        constraints = [
            # One fault per outside event (an IoT alarm id, a complaint's tracking number), however often sent.
            models.UniqueConstraint(
                fields=["elevator", "source", "external_ref"],
                condition=~Q(external_ref=""),
                name="fault_external_ref_once",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.elevator.registration_code} {self.reported_at:%Y-%m-%d %H:%M}"

    def clean(self):
        super().clean()
        # Issue 14: "a fault reported in 1900" was accepted; the portal's records begin long after 2000, so an
        # earlier time is a wrong clock or a typing error (later than now is refused by the services, TSG T5002 §5).
        reported = self.reported_at
        if reported is not None and timezone.is_aware(reported) and reported < EARLIEST_FAULT_REPORT:
            raise ValidationError({"reported_at": _("报告时间不能早于2000年1月1日。")})


class CreditEvaluation(models.Model):
    """A maintenance firm's credit grade for one month (plan §2(2) 维保质量诚信评价), kept as a snapshot."""

    firm = models.ForeignKey(
        "registry.Organization", verbose_name=_("维保单位"), on_delete=models.CASCADE, related_name="credit_evaluations"
    )
    period = models.DateField(_("月份"))  # the first day of the month evaluated; the window is the 12 months to it
    window_start = models.DateField(_("统计起始"))
    window_end = models.DateField(_("统计截止"))
    elevators = models.PositiveIntegerField(_("维保电梯数"))
    accidents = models.PositiveIntegerField(_("事故数"))
    failures = models.PositiveIntegerField(_("故障数"))
    complaints = models.PositiveIntegerField(_("有效投诉数"))
    first_inspections = models.PositiveIntegerField(_("首次定期检验数"))
    first_passes = models.PositiveIntegerField(_("首次检验合格数"))
    accident_rate = models.DecimalField(_("事故率（每百台）"), max_digits=8, decimal_places=2)
    failure_rate = models.DecimalField(_("故障率（每百台）"), max_digits=8, decimal_places=2)
    complaint_rate = models.DecimalField(_("投诉率（每百台）"), max_digits=8, decimal_places=2)
    first_pass_rate = models.DecimalField(_("一次性检验合格率（%）"), max_digits=5, decimal_places=2, null=True)
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=2)
    grade = models.CharField(_("等级"), max_length=1, choices=Grade.choices)
    capped_reason = models.CharField(_("降级原因"), max_length=200, blank=True)
    events = models.JSONField(_("计入事件"), default=list)
    computed_at = models.DateTimeField(_("计算时间"), auto_now=True)

    class Meta:
        verbose_name = _("维保单位信用评价")
        verbose_name_plural = _("维保单位信用评价")
        ordering = ["-period", "-score"]
        constraints = [models.UniqueConstraint(fields=["firm", "period"], name="credit_once_per_firm_month")]

    def __str__(self):
        return f"{self.firm} {self.period:%Y-%m} {self.grade}"
