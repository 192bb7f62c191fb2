"""Demo data a regulator would believe: plausible names, every 最近维保 date backed by a confirmed record, records,
faults and inspections in all five districts; seeding twice changes nothing."""

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import F, Max
from django.utils import timezone

from accounts.models import User
from complaints.models import Complaint
from inspections.models import Defect, Inspection, InspectionApplication
from maintenance.choices import ROUTINE_TIERS
from maintenance.integrity import overlapping_workers
from maintenance.models import Fault, MaintenanceContract, MaintenanceRecord, RecordItem
from preparedness.models import Drill, EmergencyPlan, InsurancePolicy, SafetyAssignment
from registry.choices import ElevatorStatus, PersonKind
from registry.models import District, Elevator, Person
from registry.validators import PANZHIHUA_DISTRICTS

CHINESE_NAME = re.compile(r"^[\u4e00-\u9fff]{2,3}$")
TABLES = [
    Elevator,
    Person,
    User,
    MaintenanceContract,
    MaintenanceRecord,
    RecordItem,
    Fault,
    Inspection,
    Defect,
    InspectionApplication,
    Complaint,
    EmergencyPlan,
    Drill,
    InsurancePolicy,
    SafetyAssignment,
]


def counts():
    return {model.__name__: model.objects.count() for model in TABLES}


@pytest.mark.slow  # the whole demo, twice
@pytest.mark.django_db
def test_seed_demo_is_believable_and_idempotent(settings):
    settings.DEMO_PASSWORD = "secret-demo"
    call_command("seed_demo", stdout=io.StringIO())
    first = counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert counts() == first  # run twice: the same data, nothing duplicated
    today = timezone.localdate()

    # Every 最近维保 date is the day of the elevator's latest confirmed routine visit (as record_confirm sets it).
    latest = dict(
        MaintenanceRecord.objects.filter(status="confirmed", tier__in=ROUTINE_TIERS)
        .values("elevator")
        .annotate(last=Max("ended_at"))
        .values_list("elevator", "last")
    )
    dated = Elevator.objects.exclude(status=ElevatorStatus.SCRAPPED).filter(last_maintenance_on__isnull=False)
    assert dated.count() > 2000
    for elevator_id, shown in dated.values_list("pk", "last_maintenance_on"):
        assert elevator_id in latest, elevator_id
        assert timezone.localtime(latest[elevator_id]).date() == shown
    # Every elevator in use that has a firm and a use unit shows a date; none in the future.
    in_use = Elevator.objects.filter(status=ElevatorStatus.IN_USE)
    assert not in_use.filter(maintenance_firm__isnull=False, use_unit__isnull=False, last_maintenance_on=None).exists()
    assert not Elevator.objects.filter(last_maintenance_on__gte=today).exists()
    now = timezone.now()
    assert not MaintenanceRecord.objects.filter(ended_at__gt=now).exists()
    assert not MaintenanceRecord.objects.filter(confirmed_at__gt=now).exists()
    # Each record is signed by a certified worker of its own firm, with the checklist filled in.
    records = MaintenanceRecord.objects.all()
    assert not records.exclude(signed_by__organization=F("firm")).exists()
    assert not records.exclude(signed_by__kind=PersonKind.MAINTENANCE_WORKER).exists()
    assert not records.filter(signed_by__certificate_valid_until__lt=today).exists()
    assert RecordItem.objects.count() == 20 * records.count()
    admin = User.objects.get(username="admin")
    assert overlapping_workers(user=admin, since=today - timedelta(days=366), until=today) == []
    # Records waiting for the demo use unit's safety manager, newer than the confirmed date.
    wuye = User.objects.get(username="wuye")
    pending = MaintenanceRecord.objects.filter(status="submitted", elevator__use_unit=wuye.organization)
    assert pending.exists()
    for record in pending.select_related("elevator"):
        assert timezone.localtime(record.ended_at).date() > record.elevator.last_maintenance_on

    # Records, faults and inspections in all five districts.
    for code, name in PANZHIHUA_DISTRICTS.items():
        district = District.objects.get(code=code)
        assert MaintenanceRecord.objects.filter(elevator__district=district, status="confirmed").count() > 50, name
        assert Fault.objects.filter(elevator__district=district).count() > 20, name
        assert Inspection.objects.filter(elevator__district=district).count() > 50, name
        assert Complaint.objects.filter(district=district).exists(), name

    # Every validity on record comes from a passed periodic inspection; each failed elevator has its failure.
    for elevator in Elevator.objects.filter(inspection_valid_until__isnull=False)[:400]:
        assert elevator.inspections.filter(result="passed", valid_until=elevator.inspection_valid_until).exists()
    failed = Elevator.objects.filter(inspection_failed=True)
    assert failed.exists()
    for elevator in failed:
        assert elevator.inspections.filter(result="failed", inspected_on__lte=today).exists()
        assert Defect.objects.filter(inspection__elevator=elevator).exists()

    # People with plausible Chinese names, no two alike in an organisation; the logins are people too.
    names = list(Person.objects.values_list("organization_id", "name"))
    assert all(CHINESE_NAME.match(name) for _, name in names), names[:10]
    assert len(set(names)) == len(names)
    for user in User.objects.exclude(username="admin"):
        assert CHINESE_NAME.match(user.first_name), user.first_name
    assert Person.objects.get(user=wuye).name == wuye.first_name
    assert Person.objects.get(user=wuye).kind == PersonKind.SAFETY_MANAGER
    weibao = User.objects.get(username="weibao")
    assert Person.objects.get(user=weibao).name == weibao.first_name
