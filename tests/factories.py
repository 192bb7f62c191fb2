"""factory_boy factories for every model the tests build, the helpers that build records through the services,
the `at()` of every test that needs a wall-clock time, and sample uploads."""

import itertools
from datetime import date, datetime, timedelta

import factory
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from inspections import services as inspection_services
from inspections.choices import InspectionKind, InspectionResult
from inspections.models import Inspection
from maintenance import services as maintenance_services
from maintenance.choices import FaultCause, FaultKind, FaultSource
from maintenance.models import ChecklistItem, Fault
from registry.choices import ElevatorType, OrganizationKind, PersonKind
from registry.models import District, Elevator, Organization, Person

_sequence = itertools.count(1)
_rescue = itertools.count(20000)
_report_no = itertools.count(1)

# Uploads whose first bytes are those of the type they claim (the services check content, not names).
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """`day` at `hour`:`minute` in the city's time zone (TIME_ZONE, Asia/Shanghai), as an aware datetime."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone.get_current_timezone())


def district(code: str = "510402") -> District:
    found = District.objects.filter(code=code).first()
    if found is None:
        from registry.demo import ensure_districts

        found = ensure_districts()[code]
    return found


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"测试单位{n}有限公司")
    kind = OrganizationKind.USE_UNIT
    district = factory.LazyFunction(district)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"张{n}")
    kind = PersonKind.SAFETY_MANAGER
    organization = factory.SubFactory(OrganizationFactory)
    certificate_no = factory.Sequence(lambda n: f"TS{n:08d}")
    certificate_valid_until = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=365))
    phone = factory.Sequence(lambda n: f"139{n:08d}")


def registration_code(
    elevator_type: str = ElevatorType.TRACTION_PASSENGER, division: str = "510402", yearmonth: str = "201207"
) -> str:
    return f"{elevator_type}{division}{yearmonth}{next(_sequence) % 10000 or 1:04d}"


class ElevatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Elevator

    elevator_type = ElevatorType.TRACTION_PASSENGER
    district = factory.LazyFunction(district)
    registration_code = factory.LazyAttribute(lambda o: registration_code(o.elevator_type, o.district.code))
    rescue_code = factory.LazyFunction(lambda: str(next(_rescue)))
    address = factory.Sequence(lambda n: f"东区炳草岗大街{n}号")
    use_unit = factory.SubFactory(OrganizationFactory, kind=OrganizationKind.USE_UNIT)
    maintenance_firm = factory.SubFactory(OrganizationFactory, kind=OrganizationKind.MAINTENANCE)
    commission_date = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=3000))
    inspection_valid_until = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=200))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


ROLE_ORG_KIND = {
    Role.CITY_REGULATOR: OrganizationKind.REGULATOR,
    Role.DISTRICT_REGULATOR: OrganizationKind.REGULATOR,
    Role.DEPARTMENT: OrganizationKind.DEPARTMENT,
    Role.RESCUE_CENTRE: OrganizationKind.REGULATOR,
    Role.USE_UNIT: OrganizationKind.USE_UNIT,
    Role.MAINTENANCE: OrganizationKind.MAINTENANCE,
    Role.INSPECTION: OrganizationKind.INSPECTION,
}


def user_with_role(role: str, organization: Organization | None = None, **extra) -> User:
    """A user of the given role in a fitting organisation (city regulators' organisation has no district)."""
    if organization is None:
        org_district = (
            None if role in (Role.CITY_REGULATOR, Role.DEPARTMENT, Role.RESCUE_CENTRE) else district("510402")
        )
        organization = OrganizationFactory(kind=ROLE_ORG_KIND[Role(role)], district=org_district)
    user = UserFactory(role=role, organization=organization, **extra)
    user.full_clean(exclude=["password"])
    return user


def inspector(agency: Organization, **extra) -> Person:
    return PersonFactory(organization=agency, kind=PersonKind.INSPECTOR, **extra)


def bulk_elevators(n: int, **fields) -> list[Elevator]:
    """Many elevators in one insert, for query-count and scale tests (organisations must be given)."""
    fields.setdefault("use_unit", None)
    fields.setdefault("maintenance_firm", None)
    fields.setdefault("district", district())
    return Elevator.objects.bulk_create([ElevatorFactory.build(**fields) for _ in range(n)])


class FaultFactory(factory.django.DjangoModelFactory):
    """A door fault reported on the hotline three hours ago, charged to the elevator's firm (pass `elevator`).

    `FaultFactory(entrapment=True)` is an entrapment of one person, its cause still to be established.
    """

    class Meta:
        model = Fault

    class Params:
        entrapment = factory.Trait(kind=FaultKind.ENTRAPMENT, trapped_people=1, cause=FaultCause.UNKNOWN)

    elevator = factory.SubFactory(ElevatorFactory)
    firm = factory.LazyAttribute(lambda o: o.elevator.maintenance_firm)
    source = FaultSource.HOTLINE
    kind = FaultKind.DOOR
    cause = FaultCause.DOOR_SYSTEM
    reported_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=3))


class InspectionFactory(factory.django.DjangoModelFactory):
    """A passed periodic (first) inspection two months ago, with the maintenance firm snapshot that first-pass
    rates group by (pass `elevator`)."""

    class Meta:
        model = Inspection

    elevator = factory.SubFactory(ElevatorFactory)
    kind = InspectionKind.PERIODIC
    agency = factory.SubFactory(OrganizationFactory, kind=OrganizationKind.INSPECTION)
    inspected_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=60))
    result = InspectionResult.PASSED
    report_no = factory.LazyFunction(lambda: f"DJ-TEST-{next(_report_no):05d}")
    maintenance_firm = factory.LazyAttribute(lambda o: o.elevator.maintenance_firm)
    recorded_by = factory.SubFactory(UserFactory)


def make_application(world, **extra):
    """An application by `world`'s use unit to have its elevator `a` inspected periodically by the agency, wished for
    three to ten days from now."""
    today = timezone.localdate()
    data = dict(
        user=world["users"]["use_unit"],
        elevator=world["a"],
        kind=InspectionKind.PERIODIC,
        agency=world["agency"],
        wished_from=today + timedelta(days=3),
        wished_to=today + timedelta(days=10),
        site_contact="王经理",
        site_phone="13800000000",
    )
    data.update(extra)
    return inspection_services.application_submit(**data)


def make_inspection(world, application=None, **extra):
    """A passed periodic inspection of `world`'s elevator `a` today, recorded by the agency with its inspector."""
    data = dict(
        user=world["users"]["inspection"],
        elevator=world["a"],
        agency=world["agency"],
        kind=InspectionKind.PERIODIC,
        inspected_on=timezone.localdate(),
        result=InspectionResult.PASSED,
        report_no=f"R-{next(_report_no):05d}",
        inspectors=[world["inspector"]],
        application=application,
    )
    data.update(extra)
    return inspection_services.inspection_record(**data)


def all_ok(tier: str = "half_monthly") -> dict[int, tuple[str, str]]:
    """Every active checklist item of `tier` answered "ok", as `record_create` takes them."""
    return {
        pk: ("ok", "") for pk in ChecklistItem.objects.filter(tier=tier, is_active=True).values_list("pk", flat=True)
    }


def make_record(world, who="a", *, started=None, minutes=60, attachments=None, workers=None, **extra):
    """A record of routine maintenance on `world`'s elevator `a` (or `b`) uploaded by its firm's user, all items ok."""
    started = started or timezone.now() - timedelta(hours=2)
    worker = world["worker_a"] if who == "a" else world["worker_b"]
    data = dict(
        user=world["users"]["maintenance" if who == "a" else "maintenance_b"],
        elevator=world[who],
        tier="half_monthly",
        started_at=started,
        ended_at=started + timedelta(minutes=minutes),
        workers=workers or [worker],
        signed_by=worker,
        items=all_ok(extra.get("tier", "half_monthly")),
        attachments=attachments or [],
    )
    data.update(extra)
    return maintenance_services.record_create(**data)
