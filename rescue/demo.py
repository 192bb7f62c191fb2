"""The rescue loop's part of the demo data: a duty roster for every maintenance firm (TSG T5002-2017 §5: 24-hour
rescue duty), two weeks from yesterday, day and night shifts of its certified workers and a duty manager."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from registry.choices import OrganizationKind, PersonKind
from registry.models import Organization, Person

from .choices import DutyLevel
from .models import DutyShift

DAYS = 14


def seed_rescue(*, today) -> int:
    """Shifts for each firm that has none ending after now (idempotent). Returns the number of shifts created."""
    now = timezone.now()
    shifts = []
    firms = Organization.objects.filter(kind=OrganizationKind.MAINTENANCE).order_by("pk")
    busy = set(DutyShift.objects.filter(ends_at__gt=now).values_list("firm_id", flat=True))
    for firm in firms:
        if firm.pk in busy:
            continue
        workers = list(
            Person.objects.filter(
                organization=firm, kind=PersonKind.MAINTENANCE_WORKER, certificate_valid_until__gte=today
            )
            .select_related("user")
            .order_by("pk")
        )
        if len(workers) < 2:
            continue
        manager = workers[0]
        for day in range(-1, DAYS):
            date = today + timedelta(days=day)
            start = timezone.make_aware(datetime.combine(date, time(8)))
            for n, (begin, hours) in enumerate(((start, 12), (start + timedelta(hours=12), 12))):
                person = workers[1 + (2 * (day + 1) + n) % (len(workers) - 1)]
                shifts.append(
                    DutyShift(
                        firm=firm,
                        level=DutyLevel.ON_CALL,
                        name=person.name,
                        phone=person.phone,
                        user=person.user,
                        starts_at=begin,
                        ends_at=begin + timedelta(hours=hours),
                    )
                )
            shifts.append(
                DutyShift(
                    firm=firm,
                    level=DutyLevel.MANAGER,
                    name=manager.name,
                    phone=manager.phone,
                    user=manager.user,
                    starts_at=start,
                    ends_at=start + timedelta(hours=24),
                    note="值班负责人",
                )
            )
    DutyShift.objects.bulk_create(shifts)
    return len(shifts)
