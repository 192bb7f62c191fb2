import pytest

from accounts.choices import Role
from registry.choices import OrganizationKind, PersonKind

from ..factories import ElevatorFactory, OrganizationFactory, PersonFactory, user_with_role


@pytest.fixture
def firms(districts, checklists):
    """Two firms (A in 东区, B in 米易县), a use unit per district, elevators, workers, and users per role.

    Elevator `a` is maintained by firm A for use unit A (东区); elevator `b` by firm B for use unit B (米易县).
    """
    dongqu, miyi = districts["510402"], districts["510421"]
    firm_a = OrganizationFactory(
        name="安达维保", kind=OrganizationKind.MAINTENANCE, district=dongqu, licence_no="TS3351-A"
    )
    firm_b = OrganizationFactory(
        name="蜀通维保", kind=OrganizationKind.MAINTENANCE, district=miyi, licence_no="TS3351-B"
    )
    use_a = OrganizationFactory(name="金江物业", kind=OrganizationKind.USE_UNIT, district=dongqu)
    use_b = OrganizationFactory(name="米易物业", kind=OrganizationKind.USE_UNIT, district=miyi)
    a = ElevatorFactory(district=dongqu, use_unit=use_a, maintenance_firm=firm_a)
    b = ElevatorFactory(
        district=miyi, use_unit=use_b, maintenance_firm=firm_b, registration_code="31105104212015030001"
    )
    worker_a = PersonFactory(organization=firm_a, kind=PersonKind.MAINTENANCE_WORKER, name="王师傅")
    worker_a2 = PersonFactory(organization=firm_a, kind=PersonKind.MAINTENANCE_WORKER, name="赵师傅")
    worker_b = PersonFactory(organization=firm_b, kind=PersonKind.MAINTENANCE_WORKER, name="刘师傅")
    users = {
        "firm_a": user_with_role(Role.MAINTENANCE, organization=firm_a),
        "firm_b": user_with_role(Role.MAINTENANCE, organization=firm_b),
        "use_a": user_with_role(Role.USE_UNIT, organization=use_a),
        "use_b": user_with_role(Role.USE_UNIT, organization=use_b),
        "city": user_with_role(Role.CITY_REGULATOR),
        "district": user_with_role(Role.DISTRICT_REGULATOR),  # 东区
        "inspection": user_with_role(Role.INSPECTION),
        "department": user_with_role(Role.DEPARTMENT),
    }
    worker_a.user = users["firm_a"]
    worker_a.save()
    return {
        "firm_a": firm_a,
        "firm_b": firm_b,
        "use_a": use_a,
        "use_b": use_b,
        "a": a,
        "b": b,
        "worker_a": worker_a,
        "worker_a2": worker_a2,
        "worker_b": worker_b,
        "users": users,
        "dongqu": dongqu,
        "miyi": miyi,
    }
