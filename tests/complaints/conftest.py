import pytest

from registry.choices import OrganizationKind

from ..factories import ElevatorFactory, OrganizationFactory


@pytest.fixture
def elevator(plan, districts):
    """The lift a resident reports in the complaint tests, with the codes printed on its sign."""
    firm = OrganizationFactory(
        name="攀枝花市安达电梯工程有限公司", kind=OrganizationKind.MAINTENANCE, district=districts["510402"]
    )
    return ElevatorFactory(
        registration_code="31105104022012070003",
        rescue_code="12345",
        district=districts["510402"],
        address="东区炳草岗大街1号阳光花园3栋1单元",
        building_name="阳光花园",
        maintenance_firm=firm,
    )
