import pytest


@pytest.fixture
def firms(world):
    """`world`, with its users also under the names the maintenance tests gave them before `world` held them all
    (firm_a, firm_b, use_a, use_b). Only for test files written against those names; new tests take `world`."""
    users = world["users"]
    return {
        **world,
        "dongqu": world["a"].district,
        "miyi": world["b"].district,
        "users": {
            **users,
            "firm_a": users["maintenance"],
            "firm_b": users["maintenance_b"],
            "use_a": users["use_unit"],
            "use_b": users["use_unit_b"],
        },
    }
