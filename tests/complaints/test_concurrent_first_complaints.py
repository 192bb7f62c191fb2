"""Eight residents report the same problem of one elevator at the same moment (issue 14: 3-4 stayed open instead of
one, the rest merged). The first complaint of an elevator finds no open complaint to lock, so complaint_submit must
take the elevator's row lock first: the reports are then filed one after the other, and every later one joins the
first."""

import threading

import pytest
from django.db import connection

from complaints.choices import Status
from complaints.models import Complaint
from complaints.services import complaint_submit
from departments.choices import Category

from ..factories import ElevatorFactory

RESIDENTS = 8


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and concurrent writers need PostgreSQL")
def test_simultaneous_first_complaints_leave_one_open_and_merge_the_rest(plan, districts):
    elevator = ElevatorFactory(district=districts["510402"])
    start, filed, errors = threading.Barrier(RESIDENTS), [], []

    def resident(n):
        try:
            start.wait(timeout=10)
            filed.append(
                complaint_submit(
                    elevator=elevator,
                    category=Category.BREAKDOWN,
                    description=f"电梯停在两层之间（第{n}位住户）。",
                    tell_resident=False,
                )
            )
        except Exception as exc:  # reported below: an exception in a thread would otherwise vanish
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=resident, args=(n,)) for n in range(RESIDENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert len(filed) == RESIDENTS
    rows = Complaint.objects.filter(elevator=elevator)
    assert rows.count() == RESIDENTS
    first = rows.get(duplicate_of__isnull=True)
    assert first.status == Status.SUBMITTED
    merged = rows.exclude(pk=first.pk)
    assert set(merged.values_list("status", flat=True)) == {Status.MERGED}
    assert set(merged.values_list("duplicate_of", flat=True)) == {first.pk}
