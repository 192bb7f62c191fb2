"""Two answers of accounts.access that pages used to work out themselves: the districts a user may pick, and
the menu."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from accounts import access

pytestmark = pytest.mark.django_db

FIVE = ["510402", "510403", "510411", "510421", "510422"]


@pytest.mark.parametrize(
    "role, codes",
    [
        ("city", FIVE),
        ("district", ["510402"]),  # 东区's regulator
        # Organisation staff see rows by their organisation, which may lie anywhere: every district to filter by.
        ("use_unit", FIVE),
        ("maintenance", FIVE),
        ("department", FIVE),
    ],
)
def test_districts_for(world, role, codes):
    assert [d.code for d in access.districts_for(world["users"][role])] == codes


def test_districts_for_nobody_signed_in(world):
    assert not access.districts_for(AnonymousUser()).exists()


@pytest.mark.parametrize("role, codes", [("city", FIVE), ("district", ["510402"])])
def test_every_district_picker_asks_districts_for(client, world, role, codes):
    client.force_login(world["users"][role])

    def context(url):
        return client.get(url, follow=True).context  # the dashboard sends a district regulator to its district

    pages = {
        "dashboard": context(reverse("dashboards:board"))["districts"],
        "key monitoring": context(reverse("monitoring:key_list"))["districts"],
        "三无": context(reverse("monitoring:sanwu"))["districts"],
        "faults": context(reverse("faults:list"))["districts"],
        "complaints": context(reverse("complaints:staff_list"))["districts"],
        "new elevator": context(reverse("registry:elevator_create"))["form"].fields["district"].queryset,
    }
    assert {name: [d.code for d in districts] for name, districts in pages.items()} == dict.fromkeys(pages, codes)


REGULATOR_MENU = {
    "registry",
    "applications",
    "calendar",
    "inspection_overview",
    "maintenance",
    "contracts",
    "faults",
    "regulator",
    "complaints",
    "plan_tasks",
    "rescue",
    "duty_roster",
    "preparedness",
    "compliance",
}
MENU = {
    "city": REGULATOR_MENU,
    "district": REGULATOR_MENU,
    "use_unit": {
        "registry",
        "my_elevators",
        "applications",
        "maintenance",
        "contracts",
        "faults",
        "complaints",
        "rescue",
        "preparedness",
        "compliance",
    },
    "maintenance": {
        "registry",
        "my_elevators",
        "maintenance",
        "contracts",
        "faults",
        "complaints",
        "rescue",
        "duty_roster",
        "preparedness",
    },
    "rescue_centre": {"rescue", "duty_roster"},
    "inspection": {"applications", "calendar"},
    "department": {"complaints", "plan_tasks"},
}


@pytest.mark.parametrize("role", sorted(MENU))
def test_menu_for(client, world, role):
    menu = access.menu_for(world["users"][role])
    assert {key for key, shown in menu.items() if shown} == MENU[role]
    client.force_login(world["users"][role])
    assert client.get(reverse("start"), follow=True).context["menu"] == menu


def test_no_menu_for_nobody_signed_in(client):
    assert access.menu_for(AnonymousUser()) == {}
    assert client.get("/").context["menu"] == {}
