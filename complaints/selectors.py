"""Reads of complaints, including the counts the risk scan and the credit evaluation use."""

from datetime import date, datetime, time, timedelta

from django.db.models import Count, QuerySet
from django.utils import timezone

from accounts import access

from .choices import Status

# Rejected complaints (not an elevator matter) and merged duplicates are not "valid" complaints.
INVALID = (Status.REJECTED, Status.MERGED)


def _bounds(since: date, until: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (timezone.make_aware(datetime.combine(since, time.min), tz),
            timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min), tz))


def valid_complaints(*, since: date, until: date) -> QuerySet:
    from .models import Complaint

    start, end = _bounds(since, until)
    return Complaint.objects.filter(created_at__gte=start, created_at__lt=end).exclude(status__in=INVALID)


def complaint_counts_by_firm(*, since: date, until: date) -> dict[int, int]:
    """Valid complaints per maintenance firm of the elevator (plan §2(2) 投诉率), one query."""
    rows = (valid_complaints(since=since, until=until).filter(elevator__maintenance_firm__isnull=False)
            .values("elevator__maintenance_firm").annotate(n=Count("id")).order_by())
    return {row["elevator__maintenance_firm"]: row["n"] for row in rows}


def complaint_counts_by_elevator(*, since: date, until: date) -> dict[int, int]:
    """Valid complaints per elevator (plan §2(4) 投诉率明显偏高 → key monitoring), one query."""
    rows = (valid_complaints(since=since, until=until).filter(elevator__isnull=False)
            .values("elevator").annotate(n=Count("id")).order_by())
    return {row["elevator"]: row["n"] for row in rows}


def complaint_queue(*, user) -> QuerySet:
    """Complaints a user may see, with what queues show (no N+1)."""
    return access.complaints_for(user).select_related("district", "department", "elevator").order_by("-created_at")
