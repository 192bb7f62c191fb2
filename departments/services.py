"""Writes of the departments app: progress notes on the plan's tasks (plan 三(1) 定期分析)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from accounts import access
from registry.choices import DistrictLevel
from registry.models import District

from .models import PlanTask, TaskProgress


def task_progress_reporting_district(user) -> District | None:
    """The level a user reports for unless told otherwise: the city, or the own district (district regulators,
    district-government staff), which they cannot change."""
    if access.is_city_wide(user) or not user.is_authenticated or not user.organization_id:
        return None
    return user.organization.district


def task_progress_add(*, user, task: PlanTask, note: str, district: District | None = None) -> TaskProgress:
    """Record a progress note on a plan task for the city (district None) or one district."""
    if district is None:
        district = task_progress_reporting_district(user)
    if not access.can_report_task_progress(user, district):
        raise PermissionDenied(_("您不能为该区县填报任务进展。"))
    if district is not None and district.level == DistrictLevel.CITY:
        raise ValidationError({"district": _("全市层面的进展请不要选择区县。")})
    progress = TaskProgress(task=task, district=district, note=(note or "").strip(), author=user)
    progress.full_clean()
    progress.save()
    return progress
