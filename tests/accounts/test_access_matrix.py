"""Who sees what (docs/rules.md), as a matrix: each role against pages, API list/detail/write, exports, admin."""

import csv
import io

import pytest
from django.urls import reverse

ROLES = ["anonymous", "city", "district", "use_unit", "maintenance", "inspection", "department", "rescue_centre"]


def client_for(client, world, role):
    if role != "anonymous":
        client.force_login(world["users"][role])
    return client


def csv_codes(response) -> set[str]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return {row[0] for row in list(csv.reader(io.StringIO(body)))[1:]}


# Elevator A is in 东区, used by the use unit's organisation and maintained by the firm's; B is in 米易县.
VISIBLE = {
    "city": {"a", "b"},
    "district": {"a"},
    "use_unit": {"a"},
    "maintenance": {"a"},
    "inspection": set(),
    "department": set(),
    # The 96333 centre takes calls for every elevator by its rescue code (rescue pages, below) but has no registry.
    "rescue_centre": set(),
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_elevator_list_page(client, world, role):
    response = client_for(client, world, role).get(reverse("registry:elevator_list"))
    if role == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif not VISIBLE[role]:
        assert response.status_code == 403
    else:
        assert response.status_code == 200
        shown = {key for key in ("a", "b") if world[key].registration_code in response.content.decode()}
        assert shown == VISIBLE[role]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("key", ["a", "b"])
def test_elevator_detail_page(client, world, role, key):
    response = client_for(client, world, role).get(reverse("registry:elevator_detail", args=[world[key].pk]))
    if role == "anonymous":
        expected = 302
    elif not VISIBLE[role]:
        expected = 403
    else:
        expected = 200 if key in VISIBLE[role] else 404
    assert response.status_code == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, expected",
    [
        ("anonymous", 302),
        ("city", 200),
        ("district", 200),
        ("use_unit", 403),
        ("maintenance", 403),
        ("inspection", 404),
        ("department", 404),
    ],
)
def test_elevator_edit_page(client, world, role, expected):
    response = client_for(client, world, role).get(reverse("registry:elevator_edit", args=[world["a"].pk]))
    assert response.status_code == expected


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_api_elevator_list(client, world, role):
    response = client_for(client, world, role).get("/api/v1/elevators/")
    if role == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    codes = {item["registration_code"] for item in response.json()["results"]}
    assert codes == {world[key].registration_code for key in VISIBLE[role]}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_api_elevator_detail_out_of_scope_is_not_found(client, world, role):
    response = client_for(client, world, role).get(f"/api/v1/elevators/{world['b'].pk}/")
    if role == "anonymous":
        assert response.status_code == 401
    else:
        assert response.status_code == (200 if "b" in VISIBLE[role] else 404)


def new_elevator_payload(world, district_code="510402"):
    from registry.models import District

    district = District.objects.get(code=district_code)
    return {
        "registration_code": f"3110{district_code}2015030042",
        "rescue_code": "88888",
        "elevator_type": "3110",
        "district": district.pk,
        "address": "新地址1号",
        "use_unit": world["use_a"].pk,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, district_code, expected",
    [
        ("anonymous", "510402", 401),
        ("city", "510402", 201),
        ("city", "510403", 201),
        ("district", "510402", 201),
        ("district", "510403", 403),
        ("use_unit", "510402", 403),
        ("maintenance", "510402", 403),
        ("inspection", "510402", 403),
        ("department", "510402", 403),
    ],
)
def test_api_elevator_create(client, world, role, district_code, expected):
    response = client_for(client, world, role).post(
        "/api/v1/elevators/", new_elevator_payload(world, district_code), content_type="application/json"
    )
    assert response.status_code == expected, response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, key, expected",
    [
        ("city", "b", 200),
        ("district", "a", 200),
        ("district", "b", 404),
        ("use_unit", "a", 403),
        ("maintenance", "a", 403),
        ("inspection", "a", 404),
        ("department", "a", 404),
        ("anonymous", "a", 401),
    ],
)
def test_api_elevator_update(client, world, role, key, expected):
    response = client_for(client, world, role).patch(
        f"/api/v1/elevators/{world[key].pk}/", {"address": "改后地址"}, content_type="application/json"
    )
    assert response.status_code == expected, response.content


@pytest.mark.django_db
def test_district_regulator_cannot_move_an_elevator_out_of_the_district(client, world, xiqu):
    client.force_login(world["users"]["district"])
    response = client.patch(
        f"/api/v1/elevators/{world['a'].pk}/", {"district": xiqu.pk}, content_type="application/json"
    )
    assert response.status_code == 403
    world["a"].refresh_from_db()
    assert world["a"].district.code == "510402"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_elevator_export_is_scoped(client, world, role):
    response = client_for(client, world, role).get(reverse("registry:elevator_list"), {"export": "csv"})
    if role == "anonymous":
        assert response.status_code == 302
    elif not VISIBLE[role]:
        assert response.status_code == 403
    else:
        assert csv_codes(response) == {world[key].registration_code for key in VISIBLE[role]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, can_write",
    [
        ("city", True),
        ("district", True),
        ("use_unit", False),
        ("maintenance", False),
        ("inspection", False),
        ("department", False),
    ],
)
def test_api_organizations_read_for_all_signed_in_write_for_regulators(client, world, role, can_write):
    c = client_for(client, world, role)
    assert c.get("/api/v1/organizations/").status_code == 200
    response = c.post(
        "/api/v1/organizations/",
        {"name": f"新单位{role}", "kind": "use_unit", "district": world["a"].district_id},
        content_type="application/json",
    )
    assert response.status_code == (201 if can_write else 403), response.content


@pytest.mark.django_db
def test_anonymous_cannot_list_organizations(client, world):
    assert client.get("/api/v1/organizations/").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, expected",
    [
        ("anonymous", 302),
        ("city", 200),
        ("district", 200),
        ("use_unit", 403),
        ("maintenance", 403),
        ("inspection", 403),
        ("department", 403),
    ],
)
def test_import_page(client, world, role, expected):
    assert client_for(client, world, role).get(reverse("registry:import_upload")).status_code == expected


@pytest.mark.django_db
@pytest.mark.parametrize("role, expected", [("city", {"a", "b"}), ("district", {"a"})])
def test_admin_elevator_changelist_is_scoped(client, world, role, expected):
    user = world["users"][role]
    user.is_staff = True
    user.save()
    client.force_login(user)
    body = client.get("/admin/registry/elevator/").content.decode()
    assert {key for key in ("a", "b") if world[key].registration_code in body} == expected
    other = "b" if role == "district" else None
    if other:
        assert client.get(f"/admin/registry/elevator/{world[other].pk}/change/").status_code in (302, 404)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["use_unit", "maintenance", "inspection", "department"])
def test_admin_is_closed_to_non_regulators_even_if_staff(client, world, role):
    user = world["users"][role]
    user.is_staff = True
    user.save()
    client.force_login(user)
    assert client.get("/admin/registry/elevator/").status_code == 403


@pytest.mark.django_db
def test_an_import_report_is_only_for_its_owner_and_city_staff(client, world):
    from registry.models import ImportJob

    job = ImportJob.objects.create(
        kind="elevators",
        original_name="x.csv",
        created_by=world["users"]["district"],
        errors=[{"row": 2, "field": "注册代码", "message": "坏"}],
        status="failed",
    )
    url = reverse("registry:import_report", args=[job.pk])
    for role, expected in [("district", 200), ("city", 200), ("use_unit", 404), ("maintenance", 404)]:
        client.logout()
        client.force_login(world["users"][role])
        assert client.get(url).status_code == expected, role


# ---------------------------------------------------------------- writes stay inside a district (review findings)


@pytest.mark.django_db
def test_district_regulator_cannot_create_or_move_an_organisation_into_another_district(client, world, xiqu):
    client.force_login(world["users"]["district"])
    created = client.post(
        "/api/v1/organizations/",
        {"name": "越界单位", "kind": "use_unit", "district": xiqu.pk},
        content_type="application/json",
    )
    assert created.status_code == 403
    moved = client.patch(
        f"/api/v1/organizations/{world['use_a'].pk}/", {"district": xiqu.pk}, content_type="application/json"
    )
    assert moved.status_code == 403
    world["use_a"].refresh_from_db()
    assert world["use_a"].district.code == "510402"


@pytest.mark.django_db
def test_district_regulator_imports_only_rows_of_the_district(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from registry.imports import import_job_start
    from registry.models import Organization

    csv = "单位名称,单位类型,所在区县\n东区新单位,使用单位,东区\n西区新单位,使用单位,西区\n".encode("utf-8-sig")
    job = import_job_start(
        user=world["users"]["district"], kind="organizations", uploaded_file=SimpleUploadedFile("o.csv", csv)
    )
    assert job.status == "failed"
    assert job.errors == [{"row": 3, "field": "所在区县", "message": "您只能导入本辖区的数据。"}]
    assert not Organization.objects.filter(name__endswith="新单位").exists()


@pytest.mark.django_db
def test_district_regulator_cannot_register_a_contract_in_another_district(client, world):
    client.force_login(world["users"]["district"])
    response = client.post(
        "/api/v1/maintenance-contracts/",
        {
            "number": "HT-X",
            "use_unit": world["use_b"].pk,
            "firm": world["firm_a"].pk,
            "starts_on": "2026-01-01",
            "ends_on": "2027-01-01",
            "elevators": [world["b"].pk],
        },
        content_type="application/json",
    )
    assert response.status_code in (400, 403)
    world["b"].refresh_from_db()
    assert world["b"].maintenance_firm == world["firm_b"]


@pytest.mark.django_db
def test_admin_history_pages_are_scoped(client, world):
    from registry.services import elevator_save

    user = world["users"]["district"]
    user.is_staff = True
    user.save()
    world["b"].address = "米易县改过的地址"
    elevator_save(elevator=world["b"], changed_by=world["users"]["city"])
    client.force_login(user)
    assert client.get(f"/admin/registry/elevator/{world['b'].pk}/history/").status_code == 404
    history_id = world["b"].history.first().history_id
    assert client.get(f"/admin/registry/elevator/{world['b'].pk}/history/{history_id}/").status_code == 404
    assert client.get(f"/admin/registry/elevator/{world['a'].pk}/history/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, lands_on",
    [
        ("city", "/dashboard/"),
        ("district", "/dashboard/"),
        ("use_unit", "/inspections/my-elevators/"),
        ("maintenance", "/maintenance/records/"),
        ("inspection", "/inspections/applications/"),
        ("department", "/complaints/queue/"),
    ],
)
def test_each_role_lands_on_a_page_it_may_use_after_signing_in(client, world, role, lands_on):
    client.force_login(world["users"][role])
    response = client.get("/accounts/start/", follow=True)
    assert response.redirect_chain[0][0] == lands_on
    assert response.status_code == 200


@pytest.mark.django_db
def test_scope_key_names_the_rows_a_user_sees():
    """Users who see the same rows share a scope key (cached figures are keyed by it); others never do."""
    from django.contrib.auth.models import AnonymousUser

    from accounts import access
    from accounts.choices import Role

    from ..factories import user_with_role

    city_a, city_b = user_with_role(Role.CITY_REGULATOR), user_with_role(Role.CITY_REGULATOR)
    district = user_with_role(Role.DISTRICT_REGULATOR)
    firm = user_with_role(Role.MAINTENANCE)
    assert access.scope_key(city_a) == access.scope_key(city_b) == "city"
    assert access.scope_key(district) == f"district-{district.district_id}"
    assert access.scope_key(firm) == f"maintenance-{firm.organization_id}"
    assert access.scope_key(AnonymousUser()) is None
    assert len({access.scope_key(u) for u in (city_a, district, firm)}) == 3


# The contract page follows access.can_manage_contracts, as the service and the API do: the use unit registers its
# own contracts, regulators those of use units in their scope (a district regulator's within the district).
CONTRACT_PAGE = {
    "anonymous": 302,
    "city": 200,
    "district": 200,
    "use_unit": 200,
    "maintenance": 403,
    "inspection": 403,
    "department": 403,
    "rescue_centre": 403,
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_contract_page(client, world, role):
    from accounts import access

    response = client_for(client, world, role).get(reverse("maintenance:contract_new"))
    assert response.status_code == CONTRACT_PAGE[role]
    if role != "anonymous":
        assert access.can_manage_contracts(world["users"][role]) is (CONTRACT_PAGE[role] == 200)
        listing = client.get(reverse("maintenance:contracts"))
        assert (reverse("maintenance:contract_new") in listing.content.decode()) is (CONTRACT_PAGE[role] == 200)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, use_unit, expected",
    [
        ("city", "use_a", 200),
        ("city", "use_b", 200),
        ("district", "use_a", 200),
        ("district", "use_b", 404),  # 米易县's use unit is outside 东区's regulator's scope
        ("use_unit", "use_a", 200),
        ("use_unit", "use_b", 404),
    ],
)
def test_contract_page_use_unit_choice_is_scoped(client, world, role, use_unit, expected):
    url = reverse("maintenance:contract_new") + f"?use_unit={world[use_unit].pk}"
    response = client_for(client, world, role).get(url)
    assert response.status_code == expected
    if expected == 200:
        assert world[use_unit].name in response.content.decode()


@pytest.mark.django_db
def test_regulators_pick_among_the_use_units_of_their_scope(client, world):
    body = client_for(client, world, "district").get(reverse("maintenance:contract_new")).content.decode()
    assert world["use_a"].name in body and world["use_b"].name not in body
    client.logout()
    body = client_for(client, world, "city").get(reverse("maintenance:contract_new")).content.decode()
    assert world["use_a"].name in body and world["use_b"].name in body


@pytest.mark.django_db
def test_a_use_unit_goes_straight_to_the_form_for_itself(client, world):
    response = client_for(client, world, "use_unit").get(reverse("maintenance:contract_new"))
    assert 'name="number"' in response.content.decode()
    assert world["a"].address in response.content.decode()


@pytest.mark.django_db
def test_district_regulator_registers_a_contract_on_the_page_within_the_district(client, world):
    from maintenance.models import MaintenanceContract

    client_for(client, world, "district")
    form = {
        "number": "HT-DQ-1",
        "firm": world["firm_a"].pk,
        "starts_on": "2026-01-01",
        "ends_on": "2027-01-01",
        "elevators": [world["a"].pk],
    }
    url = reverse("maintenance:contract_new")
    response = client.post(f"{url}?use_unit={world['use_a'].pk}", form)
    assert response.status_code == 302, response.content.decode()
    assert MaintenanceContract.objects.get(number="HT-DQ-1").use_unit == world["use_a"]
    # Another district's use unit: not found, and nothing written.
    response = client.post(f"{url}?use_unit={world['use_b'].pk}", {**form, "number": "HT-XQ-1"})
    assert response.status_code == 404
    assert not MaintenanceContract.objects.filter(number="HT-XQ-1").exists()


# The rescue pages (rescue/views.py): the console for the 96333 centre, regulators, firms and use units; the phone
# form and the outbox for the centre and regulators; the roster for firms (and read-only for the centre and
# regulators). RESCUE_ROLES adds the centre's operator to ROLES.
RESCUE_ROLES = ROLES
RESCUE_PAGES = {
    "rescue:console": {"city", "district", "use_unit", "maintenance", "rescue_centre"},
    "rescue:feed": {"city", "district", "use_unit", "maintenance", "rescue_centre"},
    "rescue:new": {"city", "district", "rescue_centre"},
    "rescue:roster": {"city", "district", "maintenance", "rescue_centre"},
    "rescue:shift_new": {"maintenance"},
    "rescue:outbox": {"city", "district", "rescue_centre"},
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", RESCUE_ROLES)
@pytest.mark.parametrize("name", RESCUE_PAGES)
def test_rescue_pages(client, world, role, name):
    response = client_for(client, world, role).get(reverse(name))
    if role == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == (200 if role in RESCUE_PAGES[name] else 403)


@pytest.mark.django_db
@pytest.mark.parametrize("role", RESCUE_ROLES)
@pytest.mark.parametrize("key", ["a", "b"])
def test_rescue_incident_page(client, world, role, key):
    from rescue.services import incident_report

    fault = incident_report(elevator=world[key], source="web").fault
    response = client_for(client, world, role).get(reverse("rescue:incident", args=[fault.pk]))
    if role == "anonymous":
        expected = 302
    else:
        expected = 200 if role == "rescue_centre" or key in VISIBLE[role] else 404
    assert response.status_code == expected


# The incidents API (rescue/api/): those of the rescue console (access.can_view_rescue_console), each in its scope.
INCIDENT_API = {"city", "district", "use_unit", "maintenance", "rescue_centre"}


@pytest.mark.django_db
@pytest.mark.parametrize("role", RESCUE_ROLES)
@pytest.mark.parametrize("key", ["a", "b"])
def test_api_incidents(client, world, role, key):
    from rescue.services import incident_report

    fault = incident_report(elevator=world[key], source="web").fault
    client = client_for(client, world, role)
    listing, detail = client.get("/api/v1/incidents/"), client.get(f"/api/v1/incidents/{fault.pk}/")
    acknowledge = client.post(f"/api/v1/incidents/{fault.pk}/acknowledge/")
    if role == "anonymous":
        assert (listing.status_code, detail.status_code, acknowledge.status_code) == (401, 401, 401)
    elif role not in INCIDENT_API:
        assert (listing.status_code, detail.status_code, acknowledge.status_code) == (403, 403, 403)
    else:
        visible = role == "rescue_centre" or key in VISIBLE[role]
        assert [row["id"] for row in listing.json()["results"]] == ([fault.pk] if visible else [])
        assert detail.status_code == (200 if visible else 404)
        assert acknowledge.status_code == (200 if visible else 404)
