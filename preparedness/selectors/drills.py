"""Reads of emergency plans and drills, each scoped by accounts.access; the drill states are preparedness.rules'."""

from datetime import date

from django.db.models import Count, QuerySet

from accounts import access
from registry.choices import ElevatorStatus
from registry.models import Elevator

from ..models import Drill, EmergencyPlan
from ..rules import drill_counted_from_expression, drill_due_on, drill_state, drill_state_q


def plan_list(*, user) -> QuerySet[EmergencyPlan]:
    """The emergency plans a user may see, newest first, with how many elevators each covers."""
    return (
        access.emergency_plans_for(user, EmergencyPlan.objects.all())
        .select_related("use_unit")
        .annotate(elevator_count=Count("elevators", distinct=True))
        .order_by("-adopted_on", "-pk")
    )


def drill_list(*, user) -> QuerySet[Drill]:
    """The drills a user may see (a firm: those it takes part in), latest first."""
    return (
        access.drills_for(user, Drill.objects.all())
        .select_related("use_unit", "firm", "plan")
        .prefetch_related("elevators")
        .order_by("-planned_on", "-pk")
    )


def elevator_drill_history(*, user, elevator: Elevator) -> QuerySet[Drill]:
    """The drills of one elevator a user may see, latest first."""
    return drill_list(user=user).filter(elevators=elevator)


def drill_elevators(*, user, today: date, state: str | None = None, district_id: int | None = None) -> QuerySet:
    """Elevators in use of the user's scope with `drill_counted_from` (preparedness.rules), optionally only those in
    drill `state` (a ComplianceState) and of one district: exactly what the rules count, most urgent first."""
    qs = (
        access.elevators_for(user, Elevator.objects.filter(status=ElevatorStatus.IN_USE))
        .select_related("district", "use_unit", "maintenance_firm")
        .annotate(drill_counted_from=drill_counted_from_expression())
    )
    if state:
        qs = qs.filter(drill_state_q(state, today=today))
    if district_id:
        qs = qs.filter(district_id=district_id)
    return qs.order_by("drill_counted_from", "registration_code")


def with_drill_due(elevators, *, today: date) -> list:
    """Each elevator row (carrying `drill_counted_from`) given `drill_due_on` and `drill_state` for display."""
    rows = list(elevators)
    for e in rows:
        e.drill_due_on = drill_due_on(e.drill_counted_from)
        e.drill_state = drill_state(counted_from=e.drill_counted_from, today=today)
    return rows
