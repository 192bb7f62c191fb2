"""Reads of the departments app: who handles what (plan §2(8)), the departments, and the plan's tasks."""

from dataclasses import dataclass, field

from django.db.models import Count, F, Prefetch, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from departments.choices import Category

from .models import Department, PlanTask, RoutingRule, SectorRule, TaskProgress


@dataclass
class CategoryRouting:
    """One complaint category with the rule that routes it (None if an admin has removed it)."""

    value: str
    label: str
    rule: RoutingRule | None


@dataclass
class DepartmentDuties:
    """A department as the public sees it: duties, phone, and the complaint categories it leads."""

    department: Department
    lead_categories: list[CategoryRouting] = field(default_factory=list)
    sectors: list[SectorRule] = field(default_factory=list)


@dataclass
class WhoHandlesWhat:
    categories: list[CategoryRouting]
    sector_rules: list[SectorRule]
    departments: list[DepartmentDuties]

    def for_category(self, value: str) -> CategoryRouting | None:
        return next((c for c in self.categories if c.value == value), None)


def departments_public() -> QuerySet[Department]:
    """Departments with only their public fields (never the supervisor, who is a person)."""
    return Department.objects.select_related("district").only(
        "code", "name", "district__code", "district__name", "duties", "public_phone"
    )


def who_handles_what() -> WhoHandlesWhat:
    """The routing table (docs/rules.md "Complaint routing"), sector rules and departments: three queries in all."""
    departments = {d.pk: DepartmentDuties(department=d) for d in departments_public()}
    rules = {rule.category: rule for rule in RoutingRule.objects.all()}
    for rule in rules.values():
        rule.department = departments[rule.department_id].department
    # Listed in the order of the complaint form, not alphabetically by code.
    categories = [CategoryRouting(value=value, label=label, rule=rules.get(value)) for value, label in Category.choices]
    for routing in categories:
        if routing.rule is not None:
            departments[routing.rule.department_id].lead_categories.append(routing)
    sector_rules = list(SectorRule.objects.all())
    for rule in sector_rules:
        rule.department = departments[rule.department_id].department
        departments[rule.department_id].sectors.append(rule)
    return WhoHandlesWhat(categories=categories, sector_rules=sector_rules, departments=list(departments.values()))


def departments_without_supervisor() -> QuerySet[Department]:
    """Departments with no one to escalate an overdue complaint to (none named, or the account disabled): their
    missed deadlines go to the regulators of the complaint's district, or of the city, instead (one query)."""
    return (
        Department.objects.filter(Q(supervisor__isnull=True) | Q(supervisor__is_active=False))
        .select_related("district")
        .annotate(lead_categories=Count("routing_rules"))
        .order_by(F("district__code").asc(nulls_first=True), "code")
    )


def task_progress_latest() -> QuerySet[TaskProgress]:
    """The newest note of each task for the city and for each district (one query, a window function)."""
    newest_first = [F("created_at").desc(), F("pk").desc()]
    return (
        TaskProgress.objects.annotate(
            rank=Window(RowNumber(), partition_by=[F("task_id"), F("district_id")], order_by=newest_first)
        )
        .filter(rank=1)
        .select_related("district", "author")
        .order_by(F("district__code").asc(nulls_first=True))
    )


def responsible_city_departments() -> Prefetch:
    """The responsible city departments; the five district governments show as one line (`includes_districts`)."""
    return Prefetch(
        "responsible",
        queryset=Department.objects.filter(district__isnull=True).only("code", "name"),
        to_attr="city_responsible",
    )


def plan_tasks_overview() -> QuerySet[PlanTask]:
    """The 14 tasks with their responsible units and latest progress per district: three queries."""
    return PlanTask.objects.prefetch_related(
        responsible_city_departments(), Prefetch("progress", queryset=task_progress_latest(), to_attr="latest_progress")
    )


def task_progress_notes(*, task: PlanTask) -> QuerySet[TaskProgress]:
    """All notes on a task, newest first."""
    return task.progress.select_related("district", "author").order_by("-created_at", "-pk")
