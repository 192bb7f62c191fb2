import pytest


@pytest.fixture
def parties(world):
    """`world`, with side A also under the names the inspection tests gave it before `world` held them all
    (elevator, use_unit, firm, use_unit_user, ...). Only for test files written against those names; new tests
    take `world`."""
    users = world["users"]
    return {
        **world,
        "elevator": world["a"],
        "use_unit": world["use_a"],
        "firm": world["firm_a"],
        "use_unit_user": users["use_unit"],
        "firm_user": users["maintenance"],
        "agency_user": users["inspection"],
        "other_agency_user": users["other_inspection"],
        "regulator": users["district"],
        "city": users["city"],
    }
