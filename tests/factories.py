"""factory_boy factories for every model the tests build."""

import itertools
from datetime import timedelta

import factory
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from registry.choices import ElevatorType, OrganizationKind, PersonKind
from registry.models import District, Elevator, Organization, Person

_sequence = itertools.count(1)
_rescue = itertools.count(20000)


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
    Role.USE_UNIT: OrganizationKind.USE_UNIT,
    Role.MAINTENANCE: OrganizationKind.MAINTENANCE,
    Role.INSPECTION: OrganizationKind.INSPECTION,
}


def user_with_role(role: str, organization: Organization | None = None, **extra) -> User:
    """A user of the given role in a fitting organisation (city regulators' organisation has no district)."""
    if organization is None:
        org_district = None if role in (Role.CITY_REGULATOR, Role.DEPARTMENT) else district("510402")
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
