"""The registry's integrity under a hostile or careless regulator (issue 14): an organisation keeps the kind its
users, elevators and contracts need; a district regulator registers certified people only for the district's
organisations; an elevator's maintenance firm follows its active contract only."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts import access
from maintenance.services import contract_create
from registry.models import Elevator, ImportJob, Organization, Person
from registry.services import elevator_save, organization_save

from ..factories import ElevatorFactory, OrganizationFactory


def _staff(client, user):
    user.is_staff = True
    user.save()
    client.force_login(user)
    return client


def _kind_error(organization: Organization, kind: str) -> str:
    organization.kind = kind
    with pytest.raises(ValidationError) as caught:
        organization.full_clean()
    return " ".join(caught.value.message_dict["kind"])


# ---------------------------------------------------------------- an organisation keeps the kind it is needed as


@pytest.mark.django_db
def test_a_firm_with_a_login_and_elevators_cannot_become_a_use_unit(world):
    message = _kind_error(world["firm_a"], "use_unit")
    assert "“安达维保”的用户账号、电梯需要它是维保单位，不能改为使用单位" in message


@pytest.mark.django_db
def test_a_use_unit_with_a_login_cannot_become_anything_else(world):
    assert "用户账号" in _kind_error(world["use_b"], "maintenance")
    assert "用户账号" in _kind_error(world["agency"], "use_unit")


@pytest.mark.django_db
def test_a_firm_with_only_a_contract_keeps_its_kind(world):
    firm = OrganizationFactory(name="新到维保", kind="maintenance")
    starts = timezone.localdate() + timedelta(days=30)  # pending: the elevator's firm is not yet set
    elevator = ElevatorFactory(use_unit=world["use_a"], maintenance_firm=None)
    contract_create(
        user=world["users"]["city"],
        number="HT-INTEGRITY-1",
        use_unit=world["use_a"],
        firm=firm,
        starts_on=starts,
        ends_on=starts + timedelta(days=365),
        elevators=[elevator],
    )
    elevator.refresh_from_db()
    assert elevator.maintenance_firm_id is None
    message = _kind_error(firm, "installer")
    assert message == "“新到维保”的维保合同需要它是维保单位，不能改为安装单位；请先调整这些记录。"


@pytest.mark.django_db
def test_an_organisation_nothing_needs_may_change_kind(world):
    spare = OrganizationFactory(name="闲置单位", kind="maintenance")
    spare.kind = "use_unit"
    organization_save(organization=spare, changed_by=world["users"]["city"])
    spare.refresh_from_db()
    assert spare.kind == "use_unit"
    # Other changes of a needed organisation still save.
    firm = world["firm_a"]
    firm.address = "新地址1号"
    organization_save(organization=firm, changed_by=world["users"]["city"])


@pytest.mark.django_db
def test_the_api_refuses_the_kind_change_naming_the_field(client, world):
    client.force_login(world["users"]["city"])
    response = client.patch(
        f"/api/v1/organizations/{world['firm_a'].pk}/", {"kind": "use_unit"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "不能改为使用单位" in response.json()["kind"][0]
    assert Organization.objects.get(pk=world["firm_a"].pk).kind == "maintenance"


@pytest.mark.django_db
def test_the_registry_page_refuses_the_kind_change(client, world):
    client.force_login(world["users"]["district"])
    firm = world["firm_a"]
    data = {"name": firm.name, "kind": "use_unit", "district": firm.district_id, "is_active": "on"}
    response = client.post(f"/registry/organizations/{firm.pk}/edit/", data)
    assert response.status_code == 200
    assert "不能改为使用单位" in str(response.context["form"].errors["kind"])
    assert Organization.objects.get(pk=firm.pk).kind == "maintenance"


@pytest.mark.django_db
def test_the_admin_refuses_the_kind_change(client, world):
    firm = world["firm_a"]
    _staff(client, world["users"]["city"])
    data = {"name": firm.name, "kind": "use_unit", "district": firm.district_id, "is_active": "on"}
    response = client.post(f"/admin/registry/organization/{firm.pk}/change/", data)
    assert response.status_code == 200
    assert "不能改为使用单位" in str(response.context["adminform"].form.errors["kind"])
    assert Organization.objects.get(pk=firm.pk).kind == "maintenance"


# ---------------------------------------------------------------- certified people only for the district's firms


@pytest.mark.django_db
def test_a_district_regulator_adds_workers_only_to_the_districts_firms(client, world):
    _staff(client, world["users"]["district"])
    form = client.get("/admin/registry/person/add/").context["adminform"].form
    choices = set(form.fields["organization"].queryset)
    assert world["firm_a"] in choices and world["firm_b"] not in choices  # 蜀通维保 is in 米易县
    data = {
        "name": "外区师傅",
        "kind": "maintenance_worker",
        "organization": world["firm_b"].pk,
        "certificate_no": "TS-OTHER-DISTRICT",
        "certificate_valid_until": "2030-01-01",
    }
    response = client.post("/admin/registry/person/add/", data)
    assert response.status_code == 200 and "organization" in response.context["adminform"].form.errors
    assert not Person.objects.filter(certificate_no="TS-OTHER-DISTRICT").exists()
    data.update(organization=world["firm_a"].pk, certificate_no="TS-OWN-DISTRICT")
    assert client.post("/admin/registry/person/add/", data).status_code == 302
    assert Person.objects.get(certificate_no="TS-OWN-DISTRICT").organization == world["firm_a"]


@pytest.mark.django_db
def test_the_organisation_autocomplete_of_a_person_is_scoped(client, world):
    _staff(client, world["users"]["district"])
    params = {"app_label": "registry", "model_name": "person", "field_name": "organization", "term": "维保"}
    names = {row["text"] for row in client.get("/admin/autocomplete/", params).json()["results"]}
    assert "安达维保" in names and "蜀通维保" not in names
    _staff(client, world["users"]["city"])
    names = {row["text"] for row in client.get("/admin/autocomplete/", params).json()["results"]}
    assert {"安达维保", "蜀通维保"} <= names


@pytest.mark.django_db
def test_saving_a_person_to_another_districts_firm_is_refused(world):
    district, city = world["users"]["district"], world["users"]["city"]
    moved = Person(organization=world["firm_b"], name="x", kind="maintenance_worker")
    assert not access.can_change_person(district, moved)
    assert access.can_change_person(district, world["worker_a"]) and access.can_change_person(city, moved)
    assert not access.can_change_person(world["users"]["maintenance"], world["worker_a"])


# ---------------------------------------------------------------- the maintenance firm follows the active contract


@pytest.mark.django_db
def test_the_registry_form_has_no_maintenance_firm(client, world):
    client.force_login(world["users"]["district"])
    elevator = world["a"]
    url = reverse("registry:elevator_edit", args=[elevator.pk])
    form = client.get(url).context["form"]
    assert "maintenance_firm" not in form.fields
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data.update(address="新地址7号", maintenance_firm=world["firm_b"].pk)
    assert client.post(url, data).status_code == 302
    elevator.refresh_from_db()
    assert elevator.address == "新地址7号" and elevator.maintenance_firm == world["firm_a"]


@pytest.mark.django_db
def test_the_api_maintenance_firm_is_read_only(client, world):
    client.force_login(world["users"]["district"])
    url = f"/api/v1/elevators/{world['a'].pk}/"
    response = client.patch(url, {"maintenance_firm": world["firm_b"].pk}, content_type="application/json")
    assert response.status_code == 200 and response.json()["maintenance_firm"] == world["firm_a"].pk
    created = client.post(
        "/api/v1/elevators/",
        {
            "registration_code": "31105104022012070071",
            "elevator_type": "3110",
            "district": world["a"].district_id,
            "address": "新楼1号",
            "maintenance_firm": world["firm_a"].pk,
        },
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["maintenance_firm"] is None
    assert Elevator.objects.get(registration_code="31105104022012070071").maintenance_firm is None


@pytest.mark.django_db
def test_the_admin_shows_the_maintenance_firm_read_only(client, world):
    _staff(client, world["users"]["district"])
    url = f"/admin/registry/elevator/{world['a'].pk}/change/"
    response = client.get(url)
    form = response.context["adminform"].form
    assert "maintenance_firm" not in form.fields and "安达维保" in response.content.decode()
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data.update(address="新地址8号", maintenance_firm=world["firm_b"].pk)
    assert client.post(url, data).status_code == 302
    elevator = Elevator.objects.get(pk=world["a"].pk)
    assert elevator.address == "新地址8号" and elevator.maintenance_firm == world["firm_a"]


@pytest.mark.django_db
def test_a_users_write_through_the_service_keeps_the_firm(world):
    elevator = world["b"]
    elevator.maintenance_firm = world["firm_a"]
    with pytest.raises(ValidationError) as caught:
        elevator_save(elevator=elevator, changed_by=world["users"]["city"])
    assert "维保单位随生效的维保合同确定" in caught.value.message_dict["maintenance_firm"][0]
    assert Elevator.objects.get(pk=elevator.pk).maintenance_firm == world["firm_b"]


@pytest.mark.django_db
def test_the_import_refuses_a_maintenance_firm(client, world):
    client.force_login(world["users"]["city"])
    template = client.get(reverse("registry:import_template", args=["elevators"])).content.decode("utf-8-sig")
    assert "维保单位" not in template
    csv = "注册代码,电梯类型,所在区县,安装地址,维保单位\n31105104022012070072,3110,东区,新楼2号,安达维保\n"
    upload = SimpleUploadedFile("lifts.csv", csv.encode())
    client.post(reverse("registry:import_upload"), {"kind": "elevators", "file": upload})
    job = ImportJob.objects.get()
    assert job.status == "failed"
    assert job.errors == [
        {
            "row": 2,
            "field": "维保单位",
            "message": "维保单位随生效的维保合同确定，导入时请留空；电梯登记后再登记维保合同。",
        }
    ]
    assert not Elevator.objects.filter(registration_code="31105104022012070072").exists()


@pytest.mark.django_db
def test_a_contract_that_starts_hands_the_firm_the_elevator(world):
    elevator = ElevatorFactory(use_unit=world["use_a"], maintenance_firm=None)
    today = timezone.localdate()
    contract_create(
        user=world["users"]["district"],
        number="HT-INTEGRITY-2",
        use_unit=world["use_a"],
        firm=world["firm_a"],
        starts_on=today,
        ends_on=today + timedelta(days=365),
        elevators=[elevator],
    )
    elevator.refresh_from_db()
    assert elevator.maintenance_firm == world["firm_a"]


def test_a_person_signs_in_only_with_a_login_of_their_own_organisation(client, world):
    """Issue 14: a district regulator could link a certified person to any login through the admin."""
    person = world["worker_b"]  # 蜀通维保 (米易县)
    person.user = world["users"]["maintenance"]  # a login of 安达维保
    with pytest.raises(ValidationError) as error:
        person.full_clean()
    assert "user" in error.value.message_dict
    person.user = world["users"]["maintenance_b"]
    person.full_clean()
