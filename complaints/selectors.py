"""Reads of complaints, including the counts the risk scan and the credit evaluation use."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import BooleanField, Case, Count, DateTimeField, F, Q, QuerySet, Value, When

from accounts import access
from elevator_portal.dates import day_bounds
from registry.selectors import elevator_by_public_code

from .choices import OPEN_STATUSES, Status
from .privacy import mask_personal_data

# Rejected complaints (not an elevator matter) and merged duplicates are not "valid" complaints.
INVALID = (Status.REJECTED, Status.MERGED)


def valid_complaints(*, since: date, until: date) -> QuerySet:
    from .models import Complaint

    start, end = day_bounds(since, until)
    return Complaint.objects.filter(created_at__gte=start, created_at__lt=end).exclude(status__in=INVALID)


def complaint_counts_by_firm(*, since: date, until: date, categories: Iterable[str] | None = None) -> dict[int, int]:
    """Valid complaints per maintenance firm of the elevator (plan §2(2) 投诉率), one query; only those of
    `categories` when given (the credit evaluation counts the categories a firm answers for)."""
    complaints = valid_complaints(since=since, until=until)
    if categories is not None:
        complaints = complaints.filter(category__in=list(categories))
    rows = (
        complaints.filter(elevator__maintenance_firm__isnull=False)
        .values("elevator__maintenance_firm")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["elevator__maintenance_firm"]: row["n"] for row in rows}


def elevator_for_complaint(*, code: str):
    """The elevator a complaint names by its registration or rescue code, or None; with its district only (filing
    needs the district, address and building kind)."""
    return elevator_by_public_code(code, related=("district",))


def complaint_accept_overdue_q(*, now: datetime) -> Q:
    """Complaints still not accepted after their acceptance deadline."""
    return Q(status=Status.SUBMITTED, accept_deadline__lt=now)


def complaint_resolve_overdue_q(*, now: datetime) -> Q:
    """Open complaints (accepted or not) still not answered after their answer deadline."""
    return Q(status__in=OPEN_STATUSES, resolve_deadline__lt=now)


def complaint_overdue_q(*, now: datetime) -> Q:
    """Open complaints past a deadline: not accepted in time, or not answered in time (docs/rules.md "Complaint
    handling"; `complaints_escalate` escalates each of the two once)."""
    return complaint_accept_overdue_q(now=now) | complaint_resolve_overdue_q(now=now)


def complaints_with_deadline(queryset: QuerySet, *, now: datetime) -> QuerySet:
    """Annotate `due_at` (the deadline that applies in the current state, none once answered) and `is_overdue`."""
    return queryset.annotate(
        due_at=Case(
            When(status=Status.SUBMITTED, then=F("accept_deadline")),
            When(status__in=[Status.ACCEPTED, Status.IN_PROGRESS], then=F("resolve_deadline")),
            default=None,
            output_field=DateTimeField(),
        ),
        is_overdue=Case(
            When(complaint_overdue_q(now=now), then=Value(True)), default=Value(False), output_field=BooleanField()
        ),
    )


def complaint_queue(*, user) -> QuerySet:
    """Complaints a user may see, with what queues show (no N+1)."""
    return access.complaints_for(user).select_related("district", "department", "elevator").order_by("-created_at")


def complaint_events_for(*, user, complaint=None) -> QuerySet:
    """The events of a complaint (or of all complaints, for a prefetch) that a user may read: everything for
    regulators and departments; for the use unit and the firm only public events and their own organisation's, never
    an internal note (仅内部可见) or an escalation (issue 14)."""
    from .models import ComplaintEvent

    events = ComplaintEvent.objects.select_related("actor", "organization").order_by("created_at", "id")
    if complaint is not None:
        events = events.filter(complaint=complaint)
    if access.can_see_internal_complaint_notes(user):
        return events
    organization_id = getattr(user, "organization_id", None)
    own = Q(organization_id=organization_id) if organization_id else Q(pk__in=[])
    return events.filter(Q(public=True) | own)


def complaint_description_for(*, user, complaint) -> str:
    """The resident's own words as a user may read them: in full for those who handle the complaint, with phone
    numbers, ID numbers and e-mail addresses masked for everyone else (the firm, the use unit, co-responsible
    departments; 个人信息保护法, issue 14)."""
    if access.can_handle_complaint(user, complaint):
        return complaint.description
    return mask_personal_data(complaint.description)


@dataclass(frozen=True)
class PublicEvent:
    at: datetime
    status: str
    status_label: str
    text: str
    organization: str  # the responding unit's name; never the staff member's


@dataclass(frozen=True)
class PublicComplaint:
    """What the tracking page may show: built from named columns only, so personal data and internal notes
    never reach the template (DESIGN "Who sees what": status by tracking number, no personal data)."""

    tracking_no: str
    status: str
    status_label: str
    category_label: str
    address: str
    district: str
    registration_code: str
    created_at: datetime
    answer: str
    rating: int | None
    merged_into: str
    merged_status: str
    merged_status_label: str
    events: list[PublicEvent]

    @property
    def can_close(self) -> bool:
        return self.status == Status.RESOLVED

    @property
    def stars(self) -> str:
        return "★" * (self.rating or 0)


def complaint_public_status(*, tracking_no: str) -> PublicComplaint | None:
    """A complaint as the resident sees it by its tracking number, with its public events; two queries."""
    from departments.choices import Category

    from .models import Complaint, ComplaintEvent

    row = (
        Complaint.objects.filter(tracking_no=tracking_no)
        .values(
            "pk",
            "tracking_no",
            "status",
            "category",
            "address",
            "district__name",
            "elevator__registration_code",
            "created_at",
            "answer",
            "rating",
            "duplicate_of__tracking_no",
            "duplicate_of__status",
        )
        .first()
    )
    if row is None:
        return None
    events = [
        PublicEvent(
            at=e["created_at"],
            status=e["status"],
            text=e["text"],
            status_label=Status(e["status"]).label if e["status"] else "",
            organization=e["organization__name"] or "",
        )
        for e in ComplaintEvent.objects.filter(complaint_id=row["pk"], public=True)
        .order_by("created_at", "id")
        .values("created_at", "status", "text", "organization__name")
    ]
    merged_status = row["duplicate_of__status"] or ""
    return PublicComplaint(
        tracking_no=row["tracking_no"],
        status=row["status"],
        status_label=Status(row["status"]).label,
        category_label=Category(row["category"]).label if row["category"] in Category.values else row["category"],
        address=row["address"],
        district=row["district__name"],
        registration_code=row["elevator__registration_code"] or "",
        created_at=row["created_at"],
        answer=row["answer"],
        rating=row["rating"],
        merged_into=row["duplicate_of__tracking_no"] or "",
        merged_status=merged_status,
        merged_status_label=Status(merged_status).label if merged_status else "",
        events=events,
    )
