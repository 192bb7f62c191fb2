import pytest

from accounts.choices import Role
from registry.choices import OrganizationKind

from ..factories import ElevatorFactory, OrganizationFactory, inspector, user_with_role


@pytest.fixture
def parties(districts):
    """A use unit with one elevator, its maintenance firm, an agency with an inspector, and their users."""
    dongqu = districts["510402"]
    use_unit = OrganizationFactory(name="金江物业", kind=OrganizationKind.USE_UNIT, district=dongqu)
    firm = OrganizationFactory(name="安达维保", kind=OrganizationKind.MAINTENANCE, district=dongqu)
    agency = OrganizationFactory(name="市特检所", kind=OrganizationKind.INSPECTION, district=dongqu)
    other_agency = OrganizationFactory(name="省特检院", kind=OrganizationKind.INSPECTION, district=dongqu)
    elevator = ElevatorFactory(district=dongqu, use_unit=use_unit, maintenance_firm=firm)
    regulator_org = OrganizationFactory(name="东区市场监督管理局", kind=OrganizationKind.REGULATOR, district=dongqu)
    return {
        "elevator": elevator,
        "use_unit": use_unit,
        "firm": firm,
        "agency": agency,
        "other_agency": other_agency,
        "inspector": inspector(agency, name="李检验"),
        "use_unit_user": user_with_role(Role.USE_UNIT, organization=use_unit, email="wuye@example.cn"),
        "firm_user": user_with_role(Role.MAINTENANCE, organization=firm, email="weibao@example.cn"),
        "agency_user": user_with_role(Role.INSPECTION, organization=agency),
        "other_agency_user": user_with_role(Role.INSPECTION, organization=other_agency),
        "regulator": user_with_role(Role.DISTRICT_REGULATOR, organization=regulator_org, email="dongqu@example.cn"),
        "city": user_with_role(Role.CITY_REGULATOR),
    }
