from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from departments.choices import Category
from registry.choices import BuildingKind


class Department(models.Model):
    """A city department or district government with its duties from plan §2(8)."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100, unique=True)
    organization = models.OneToOneField(
        "registry.Organization", verbose_name=_("对应单位"), on_delete=models.PROTECT, related_name="department"
    )
    district = models.ForeignKey(
        "registry.District",
        verbose_name=_("区县"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("区县人民政府填写；市级部门留空"),
    )
    duties = models.TextField(_("职责（方案第二部分第（八）项）"), blank=True)
    public_phone = models.CharField(_("对外电话"), max_length=32, blank=True)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("督办负责人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supervised_departments",
    )

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["district_id", "code"]

    def __str__(self):
        return self.name


class PlanTask(models.Model):
    """One of the plan's 14 tasks (二、工作任务 (一)–(十四)) with its responsible units."""

    number = models.PositiveSmallIntegerField(_("序号"), unique=True)
    title = models.CharField(_("任务"), max_length=100)
    summary = models.TextField(_("主要内容"))
    responsible = models.ManyToManyField(Department, verbose_name=_("责任单位"), related_name="plan_tasks")
    includes_districts = models.BooleanField(_("各县（区）政府为责任单位"), default=False)

    class Meta:
        verbose_name = _("方案任务")
        verbose_name_plural = _("方案任务")
        ordering = ["number"]

    def __str__(self):
        return f"（{self.number}）{self.title}"


class TaskProgress(models.Model):
    """A progress note on a plan task, for the city or one district (plan 三(1) 定期分析)."""

    task = models.ForeignKey(PlanTask, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="progress")
    district = models.ForeignKey(
        "registry.District", verbose_name=_("区县"), on_delete=models.PROTECT, null=True, blank=True
    )
    note = models.TextField(_("进展情况"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("填报人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("填报时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("任务进展")
        verbose_name_plural = _("任务进展")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.task} {self.created_at:%Y-%m-%d}"


class RoutingRule(models.Model):
    """Complaint category → responsible department (docs/rules.md "Complaint routing"; editable by admins)."""

    category = models.CharField(_("投诉类别"), max_length=24, choices=Category.choices, unique=True)
    department = models.ForeignKey(
        Department, verbose_name=_("牵头部门"), on_delete=models.PROTECT, related_name="routing_rules"
    )
    clause = models.CharField(_("依据"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("投诉分派规则")
        verbose_name_plural = _("投诉分派规则")
        ordering = ["category"]

    def __str__(self):
        return f"{self.get_category_display()} → {self.department}"


class SectorRule(models.Model):
    """Elevators in schools, hospitals, stations, malls and tourist sites also notify the sector department."""

    building_kind = models.CharField(_("场所类型"), max_length=16, choices=BuildingKind.choices, unique=True)
    department = models.ForeignKey(
        Department, verbose_name=_("行业主管部门"), on_delete=models.PROTECT, related_name="sector_rules"
    )

    class Meta:
        verbose_name = _("行业主管部门规则")
        verbose_name_plural = _("行业主管部门规则")
        ordering = ["building_kind"]

    def __str__(self):
        return f"{self.get_building_kind_display()} → {self.department}"
