import pytest

from accounts.choices import Role
from registry.choices import OrganizationKind, PersonKind

from .factories import ElevatorFactory, OrganizationFactory, PersonFactory, district, inspector, user_with_role


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects
def pytest_collection_modifyitems(items):
    """Every browser test is slow (Chromium against a live server), so `make test-fast` leaves them out."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)


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
def miyi(districts):
    return districts["510421"]


@pytest.fixture
def world(request, districts, checklists):
    """The personas of the tests: the parties around two elevators, and one user per role.

    Side A, in 东区 (30-minute arrival limit): elevator `a` used by `use_a` 金江物业 and maintained by `firm_a` 安达维保
    (licence TS3351-A), whose workers are `worker_a` 王师傅 (who signs in as the firm's user) and `worker_a2` 赵师傅.
    Side B, in 米易县 (60 minutes): elevator `b` used by `use_b` 米易物业 and maintained by `firm_b` 蜀通维保
    (TS3351-B), worker `worker_b` 刘师傅. The inspection `agency` 市特检所 with its `inspector` 李检验, and an
    `other_agency` 省特检院. Each use unit's user is its certified 安全管理员 (`manager_a` 陈安全, `manager_b` 周安全),
    who alone confirms maintenance records.

    `users`, by role, on side A: city, district (东区市场监督管理局), use_unit, maintenance, inspection (市特检所),
    department; then use_unit_b, maintenance_b, other_inspection (省特检院), and rescue_centre (a 96333
    operator). When the test also loads the `plan`, the departments' users too: zjj (住建局), gaj (公安局) and
    dq_gov (东区人民政府); the plan is left out otherwise, because loading it costs a tenth of a second.
    """
    dongqu, miyi = districts["510402"], districts["510421"]
    use_a = OrganizationFactory(name="金江物业", kind=OrganizationKind.USE_UNIT, district=dongqu)
    use_b = OrganizationFactory(name="米易物业", kind=OrganizationKind.USE_UNIT, district=miyi)
    firm_a = OrganizationFactory(
        name="安达维保", kind=OrganizationKind.MAINTENANCE, district=dongqu, licence_no="TS3351-A"
    )
    firm_b = OrganizationFactory(
        name="蜀通维保", kind=OrganizationKind.MAINTENANCE, district=miyi, licence_no="TS3351-B"
    )
    agency = OrganizationFactory(name="市特检所", kind=OrganizationKind.INSPECTION, district=dongqu)
    other_agency = OrganizationFactory(name="省特检院", kind=OrganizationKind.INSPECTION, district=dongqu)
    regulator = OrganizationFactory(name="东区市场监督管理局", kind=OrganizationKind.REGULATOR, district=dongqu)
    users = {
        "city": user_with_role(Role.CITY_REGULATOR),
        "district": user_with_role(Role.DISTRICT_REGULATOR, organization=regulator, email="dongqu@example.cn"),
        "use_unit": user_with_role(Role.USE_UNIT, organization=use_a, email="wuye@example.cn"),
        "maintenance": user_with_role(Role.MAINTENANCE, organization=firm_a, email="weibao@example.cn"),
        "inspection": user_with_role(Role.INSPECTION, organization=agency),
        "department": user_with_role(Role.DEPARTMENT),
        "use_unit_b": user_with_role(Role.USE_UNIT, organization=use_b),
        "maintenance_b": user_with_role(Role.MAINTENANCE, organization=firm_b),
        "other_inspection": user_with_role(Role.INSPECTION, organization=other_agency),
        "rescue_centre": user_with_role(Role.RESCUE_CENTRE, email="96333@example.cn", phone="13900000333"),
    }
    if "plan" in request.fixturenames:
        plan = request.getfixturevalue("plan")
        users["zjj"] = user_with_role(Role.DEPARTMENT, organization=plan["zjj"].organization)
        users["gaj"] = user_with_role(Role.DEPARTMENT, organization=plan["gaj"].organization)
        users["dq_gov"] = user_with_role(Role.DEPARTMENT, organization=plan["dq"].organization)
    worker = PersonKind.MAINTENANCE_WORKER
    return {
        "use_a": use_a,
        "use_b": use_b,
        "firm_a": firm_a,
        "firm_b": firm_b,
        "a": ElevatorFactory(district=dongqu, use_unit=use_a, maintenance_firm=firm_a),
        "b": ElevatorFactory(
            district=miyi, use_unit=use_b, maintenance_firm=firm_b, registration_code="31105104212015030001"
        ),
        "worker_a": PersonFactory(organization=firm_a, kind=worker, name="王师傅", user=users["maintenance"]),
        "worker_a2": PersonFactory(organization=firm_a, kind=worker, name="赵师傅"),
        "worker_b": PersonFactory(organization=firm_b, kind=worker, name="刘师傅"),
        # Each use unit's login is its certified 安全管理员, who alone confirms maintenance records (TSG T5002-2017).
        "manager_a": PersonFactory(
            organization=use_a, kind=PersonKind.SAFETY_MANAGER, name="陈安全", user=users["use_unit"]
        ),
        "manager_b": PersonFactory(
            organization=use_b, kind=PersonKind.SAFETY_MANAGER, name="周安全", user=users["use_unit_b"]
        ),
        "agency": agency,
        "other_agency": other_agency,
        "inspector": inspector(agency, name="李检验"),
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
