"""Pages of the departments app: the public "who handles what" (plan §2(8)), the plan's tasks (二 (一)–(十四)), and
the regulators' list of departments without a supervisor."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts import access

from .forms import CategoryLookupForm, TaskProgressForm
from .models import Department, PlanTask
from .selectors import (
    departments_without_supervisor,
    plan_tasks_overview,
    responsible_city_departments,
    task_progress_notes,
    who_handles_what,
)
from .services import task_progress_add, task_progress_reporting_district


def who_handles_what_page(request):
    """Public: each complaint category's lead department, its duties and clause, and a lookup by problem."""
    table = who_handles_what()
    form = CategoryLookupForm(request.GET or None)
    selected = None
    if form.is_valid() and form.cleaned_data["category"]:
        selected = table.for_category(form.cleaned_data["category"])
    return render(
        request,
        "departments/who_handles_what.html",
        {
            "table": table,
            "form": form,
            "selected": selected,
            "can_view_tasks": access.can_view_plan_tasks(request.user),
            # Regulators only: one count more, never for the public.
            "without_supervisor": departments_without_supervisor().count()
            if access.can_view_departments_without_supervisor(request.user)
            else None,
        },
    )


@login_required
def without_supervisor(request):
    """Regulators: the departments without a supervisor, whose overdue complaints escalate to the regulators."""
    if not access.can_view_departments_without_supervisor(request.user):
        raise PermissionDenied(_("您没有权限访问此页面。"))
    return render(
        request,
        "departments/without_supervisor.html",
        {
            "departments": departments_without_supervisor(),
            "can_use_admin": access.can_use_admin_for(request.user, Department),
        },
    )


def _require_viewer(user):
    if not access.can_view_plan_tasks(user):
        raise PermissionDenied(_("您没有权限访问此页面。"))


@login_required
def tasks(request):
    """Regulators and departments: the 14 tasks, their responsible units and the latest note per district."""
    _require_viewer(request.user)
    return render(request, "departments/tasks.html", {"tasks": plan_tasks_overview()})


@login_required
def task_detail(request, number):
    """Regulators and departments: one task with all its notes, and the form to add one (plan 三(1))."""
    _require_viewer(request.user)
    task = get_object_or_404(PlanTask.objects.prefetch_related(responsible_city_departments()), number=number)
    form = TaskProgressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            task_progress_add(user=request.user, task=task, note=form.cleaned_data["note"])
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("已填报任务进展。"))
            return redirect("departments:task_detail", number=task.number)
    return render(
        request,
        "departments/task_detail.html",
        {
            "task": task,
            "notes": task_progress_notes(task=task),
            "form": form,
            "reporting_district": task_progress_reporting_district(request.user),
        },
    )
