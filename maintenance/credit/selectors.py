"""Reads of the credit evaluation: a firm's current grade and history, the ranking and the public directory."""

from datetime import date

from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Window
from django.db.models.functions import Coalesce, Rank

from maintenance.models import CreditEvaluation
from registry.choices import ElevatorStatus, OrganizationKind
from registry.models import Elevator, Organization


def credit_current(*, firm: Organization) -> CreditEvaluation | None:
    """The firm's latest evaluation, or None before its first one."""
    return firm.credit_evaluations.order_by("-period").first()


def credit_history(*, firm: Organization, months: int = 12) -> list[CreditEvaluation]:
    """The firm's monthly snapshots, newest first."""
    return list(firm.credit_evaluations.order_by("-period")[:months])


def credit_latest_per_firm() -> QuerySet:
    """Each firm's latest evaluation (the public grades, API `firm-grades`)."""
    latest = CreditEvaluation.objects.filter(firm=OuterRef("firm")).order_by("-period").values("period")[:1]
    return (
        CreditEvaluation.objects.filter(period=Subquery(latest)).select_related("firm").order_by("-score", "firm__name")
    )


def credit_periods() -> list[date]:
    """The months that have evaluations, newest first."""
    return list(CreditEvaluation.objects.order_by("-period").values_list("period", flat=True).distinct())


def credit_ranking(*, period: date | None = None) -> QuerySet:
    """All firms' evaluations of one month (default: the latest evaluated), ranked by score (ties share a rank)."""
    month = (
        period if period is not None else Subquery(CreditEvaluation.objects.order_by("-period").values("period")[:1])
    )
    return (
        CreditEvaluation.objects.filter(period=month)
        .select_related("firm", "firm__district")
        .annotate(rank=Window(Rank(), order_by=F("score").desc()))
        .order_by("-score", "firm__name")
    )


def credit_directory(*, q: str = "") -> QuerySet:
    """Active maintenance firms with their elevators maintained now and latest grade (one query a page)."""
    elevator_count = (
        Elevator.objects.filter(maintenance_firm=OuterRef("pk"))
        .exclude(status=ElevatorStatus.SCRAPPED)
        .order_by()
        .values("maintenance_firm")
        .annotate(n=Count("id"))
        .values("n")
    )
    latest = CreditEvaluation.objects.filter(firm=OuterRef("pk")).order_by("-period")
    qs = (
        Organization.objects.filter(kind=OrganizationKind.MAINTENANCE, is_active=True)
        .select_related("district")
        .annotate(
            elevator_count=Coalesce(Subquery(elevator_count), 0),
            credit_grade=Subquery(latest.values("grade")[:1]),
            credit_score=Subquery(latest.values("score")[:1]),
            credit_period=Subquery(latest.values("period")[:1]),
        )
        .order_by("name")
    )
    q = q.strip()
    if q:
        qs = qs.filter(name__icontains=q)
    return qs
