import pytest

from accounts.choices import Role
from registry.choices import OrganizationKind

from .factories import ElevatorFactory, OrganizationFactory, district, user_with_role


@pytest.fixture
def checklists(db):
    """The checklist items of the data migration (a transactional test's flush removes them)."""
    from maintenance.checklists import load_checklists
    from maintenance.models import ChecklistItem

    if not ChecklistItem.objects.exists():
        load_checklists(ChecklistItem)


@pytest.fixture
def districts(db):
    from registry.demo import ensure_districts

    return ensure_districts()


@pytest.fixture
def dongqu(districts):
    return districts["510402"]


@pytest.fixture
def xiqu(districts):
    return districts["510403"]


@pytest.fixture
def world(districts):
    """Two use units and two firms, one elevator for each pair, in two districts, and one user per role."""
    use_a = OrganizationFactory(name="甲物业", kind=OrganizationKind.USE_UNIT, district=districts["510402"])
    use_b = OrganizationFactory(name="乙物业", kind=OrganizationKind.USE_UNIT, district=districts["510403"])
    firm_a = OrganizationFactory(name="甲维保", kind=OrganizationKind.MAINTENANCE, district=districts["510402"])
    firm_b = OrganizationFactory(name="乙维保", kind=OrganizationKind.MAINTENANCE, district=districts["510403"])
    elevator_a = ElevatorFactory(district=districts["510402"], use_unit=use_a, maintenance_firm=firm_a)
    elevator_b = ElevatorFactory(district=districts["510403"], use_unit=use_b, maintenance_firm=firm_b)
    users = {
        "city": user_with_role(Role.CITY_REGULATOR),
        "district": user_with_role(Role.DISTRICT_REGULATOR),  # 东区
        "use_unit": user_with_role(Role.USE_UNIT, organization=use_a),
        "maintenance": user_with_role(Role.MAINTENANCE, organization=firm_a),
        "inspection": user_with_role(Role.INSPECTION),
        "department": user_with_role(Role.DEPARTMENT),
    }
    return {
        "use_a": use_a,
        "use_b": use_b,
        "firm_a": firm_a,
        "firm_b": firm_b,
        "a": elevator_a,
        "b": elevator_b,
        "users": users,
    }


__all__ = ["district"]


@pytest.fixture
def plan(districts):
    """The departments, routing table and tasks of the plan, as `seed_departments` loads them."""
    from departments.plan import ensure_plan

    return ensure_plan()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: rate-limit counters and cached figures of one test (whose data a
    rollback then removes) must not leak into the next."""
    from django.core.cache import cache

    cache.clear()
