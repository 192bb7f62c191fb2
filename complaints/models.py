from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import HashedKeyMixin, hash_key
from departments.choices import Category

from .choices import EventKind, Source, Status


class Complaint(models.Model):
    """A resident's complaint about an elevator (plan §2(10), §2(11)); name and phone are never shown publicly."""

    tracking_no = models.CharField(_("查询编号"), max_length=20, unique=True)
    elevator = models.ForeignKey(
        "registry.Elevator",
        verbose_name=_("电梯"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    district = models.ForeignKey(
        "registry.District", verbose_name=_("区县"), on_delete=models.PROTECT, related_name="complaints"
    )
    address = models.CharField(_("地址"), max_length=255)
    category = models.CharField(_("投诉类别"), max_length=24, choices=Category.choices, db_index=True)
    description = models.TextField(_("问题描述"))
    trapped_now = models.BooleanField(_("有人被困"), default=False)
    # Personal data: stored for the reply, masked in staff lists, never on public pages or in Open311.
    contact_name = models.CharField(_("姓名"), max_length=50, blank=True)
    contact_phone = models.CharField(_("手机号"), max_length=20, blank=True)
    contact_email = models.EmailField(_("电子邮箱"), blank=True)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices, default=Source.WEB)
    partner = models.CharField(_("合作系统"), max_length=50, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.SUBMITTED, db_index=True)
    department = models.ForeignKey(
        "departments.Department", verbose_name=_("牵头部门"), on_delete=models.PROTECT, related_name="complaints"
    )
    co_departments = models.ManyToManyField(
        "departments.Department", verbose_name=_("协办部门"), blank=True, related_name="co_complaints"
    )
    duplicate_of = models.ForeignKey(
        "self", verbose_name=_("合并至"), on_delete=models.PROTECT, null=True, blank=True, related_name="duplicates"
    )
    # The entrapment incident a "有人被困" report opened or joined (plan §2(10): every channel reports into one
    # incident, docs/rules.md "Entrapment rescue loop"); the tracking page shows its progress.
    incident = models.ForeignKey(
        "maintenance.Fault",
        verbose_name=_("困人事件"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaints",
    )
    answer = models.TextField(_("答复"), blank=True)
    reject_reason = models.TextField(_("不予受理原因"), blank=True)
    rating = models.PositiveSmallIntegerField(_("满意度评价"), null=True, blank=True)
    accept_deadline = models.DateTimeField(_("受理期限"))
    resolve_deadline = models.DateTimeField(_("办结期限"))
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    # Each missed deadline is escalated once (docs/rules.md "Complaint handling"): acceptance, then the answer.
    # `escalated_at` is the first of the two, the one pages show as "已督办".
    escalated_at = models.DateTimeField(_("督办时间"), null=True, blank=True)
    accept_escalated_at = models.DateTimeField(_("受理超期督办时间"), null=True, blank=True)
    resolve_escalated_at = models.DateTimeField(_("办结超期督办时间"), null=True, blank=True)
    escalation_run = models.UUIDField(null=True, blank=True, editable=False)  # which job run escalated it last
    submitter_hash = models.CharField(max_length=64, blank=True)  # salted hash of the IP, for abuse limits only
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("投诉")
        verbose_name_plural = _("投诉")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["elevator", "category", "-created_at"], name="complaint_dup_idx"),
            models.Index(fields=["department", "status"], name="complaint_queue_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="complaint_rating_1_to_5"
            )
        ]

    def __str__(self):
        return self.tracking_no

    @property
    def masked_phone(self) -> str:
        p = self.contact_phone
        return f"{p[:3]}****{p[-4:]}" if len(p) >= 8 else ("****" if p else "")

    @property
    def masked_name(self) -> str:
        n = self.contact_name
        return f"{n[0]}*" + ("*" if len(n) > 2 else "") if n else ""


class ComplaintPhoto(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("照片"), upload_to="complaints/%Y/%m/")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("投诉照片")
        verbose_name_plural = _("投诉照片")

    def __str__(self):
        return f"{self.complaint_id}: {self.file.name}"


class ComplaintEvent(models.Model):
    """What happened to a complaint, by whom; public events are shown on the tracking page."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("类型"), max_length=12, choices=EventKind.choices)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, blank=True)
    text = models.TextField(_("内容"), blank=True)
    public = models.BooleanField(_("公开"), default=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    organization = models.ForeignKey(
        "registry.Organization",
        verbose_name=_("单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("投诉处理记录")
        verbose_name_plural = _("投诉处理记录")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.complaint_id} {self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"


class PartnerKey(HashedKeyMixin, models.Model):
    """An API key of a partner system posting complaints through Open311 (GeoReport v2 `api_key`).

    Only its SHA-256 is stored, with its first 8 characters to tell keys apart, and it expires (OPEN311_KEY_DAYS;
    issue 14). The key itself exists only on the instance that made it (`.key`): the admin shows it once."""

    name = models.CharField(_("合作系统"), max_length=50, unique=True)
    prefix = models.CharField(_("前缀"), max_length=8, editable=False)
    key_hash = models.CharField(_("密钥摘要"), max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("签发时间"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("到期时间"), blank=True, help_text=_("留空则按默认有效期。"))
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("Open311合作密钥")
        verbose_name_plural = _("Open311合作密钥")

    def __str__(self):
        return self.name

    def key_days(self) -> int:
        return settings.OPEN311_KEY_DAYS

    @classmethod
    def find(cls, api_key: str) -> "PartnerKey | None":
        """The active key a partner sent, or None; expired keys are found (the caller says so)."""
        if not api_key:
            return None
        return cls.objects.filter(key_hash=hash_key(api_key), is_active=True).first()
