"""Reads of the rescue loop: which incidents are open, what the console shows, the roster and the outbox a user
may see (scoped through accounts.access)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts import access
from maintenance.choices import FaultKind
from notifications.models import OutboxMessage

from .models import DutyShift


def open_incident_q(*, now: datetime) -> Q:
    """An entrapment not yet released, reported within RESCUE_INCIDENT_OPEN_HOURS: the incident every new report
    of its elevator joins (docs/rules.md "Entrapment rescue loop")."""
    return Q(
        kind=FaultKind.ENTRAPMENT,
        released_at__isnull=True,
        reported_at__gte=now - timedelta(hours=settings.RESCUE_INCIDENT_OPEN_HOURS),
    )


def incidents_for(user, queryset: QuerySet | None = None) -> QuerySet:
    """Entrapments the user may see, with what a row shows (no query per row)."""
    qs = access.faults_for(user, queryset).filter(kind=FaultKind.ENTRAPMENT)
    return qs.select_related("elevator", "elevator__district", "elevator__use_unit", "firm")


def open_incidents_for(user, *, now: datetime | None = None) -> QuerySet:
    now = now or timezone.now()
    return incidents_for(user).filter(open_incident_q(now=now)).order_by("reported_at", "pk")


def recent_incidents_for(user, *, now: datetime | None = None, hours: int = 24) -> QuerySet:
    """Incidents released in the last `hours` (the console's second table)."""
    now = now or timezone.now()
    return (
        incidents_for(user)
        .filter(released_at__isnull=False, released_at__gte=now - timedelta(hours=hours))
        .order_by("-released_at", "-pk")
    )


def duty_shifts_for(user, queryset: QuerySet | None = None) -> QuerySet:
    return access.duty_shifts_for(user, queryset if queryset is not None else DutyShift.objects.all()).select_related(
        "firm", "user"
    )


def outbox_for(user, queryset: QuerySet | None = None) -> QuerySet:
    """The delivery state of the rescue loop's messages, for regulators and the 96333 centre."""
    qs = queryset if queryset is not None else OutboxMessage.objects.all()
    return access.outbox_for(user, qs).select_related("recipient")
