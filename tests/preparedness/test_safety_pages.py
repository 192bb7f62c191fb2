"""The safety management pages, the regulators' list of use units without a valid safety manager, the rules
document's download and the `safety-managers` API (plan §2(7); 特种设备安全法 §33): every role against each, the
forms' flows, and query counts."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role
from preparedness.models import SafetyAssignment, SafetyManagement
from registry.choices import ElevatorStatus, OrganizationKind, PersonKind
from registry.models import Person

from ..factories import PDF, ElevatorFactory, OrganizationFactory, PersonFactory, user_with_role

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
ROLES = ["anonymous", "city", "district", "use_unit", "maintenance", "inspection", "department", "rescue_centre"]
MANAGERS = {"city", "district", "use_unit"}  # access.can_manage_preparedness for 金江物业 (东区)
REGULATORS = {"city", "district"}


def login(client, world, who):
    if who != "anonymous":
        client.force_login(world["users"][who])


def expect(response, who, allowed, *, refused=403):
    if who == "anonymous":
        assert response.status_code == 302 and "/login" in response["Location"], response.status_code
    elif allowed:
        assert response.status_code == 200, (who, response.status_code)
    else:
        assert response.status_code == refused, (who, response.status_code)


def missing_unit(district, name="无人管理物业"):
    unit = OrganizationFactory(name=name, kind=OrganizationKind.USE_UNIT, district=district)
    ElevatorFactory(use_unit=unit, district=district)
    return unit


# ---------------------------------------------------------------- permission matrix


@pytest.mark.parametrize("who", ROLES)
def test_the_safety_page_of_a_use_unit(world, client, who):
    login(client, world, who)
    response = client.get(reverse("preparedness:safety"), {"use_unit": world["use_a"].pk})
    expect(response, who, who in MANAGERS)
    if who in MANAGERS:
        body = response.content.decode()
        assert "陈安全" in body and world["manager_a"].certificate_no in body


@pytest.mark.parametrize("who", ROLES)
def test_the_missing_list_is_for_regulators(world, client, who):
    missing_unit(world["a"].district)
    login(client, world, who)
    response = client.get(reverse("preparedness:safety_missing"))
    expect(response, who, who in REGULATORS)
    if who in REGULATORS:
        assert "无人管理物业" in response.content.decode()
    export = client.get(reverse("preparedness:safety_missing"), {"export": "csv"})
    if who in REGULATORS:
        assert export.status_code == 200 and "无人管理物业" in b"".join(export.streaming_content).decode()
    else:
        assert export.status_code in (302, 403)


@pytest.mark.parametrize("who", ROLES)
def test_the_rules_document_download(world, client, who):
    management = SafetyManagement.objects.create(use_unit=world["use_a"], principal="金总")
    management.rules_document.save("x.pdf", ContentFile(PDF))
    login(client, world, who)
    response = client.get(reverse("preparedness:safety_rules_document", args=[world["use_a"].pk]))
    expect(response, who, who in MANAGERS)
    if who in MANAGERS:
        assert b"".join(response.streaming_content) == PDF and response["Content-Type"] == "application/pdf"


@pytest.mark.parametrize("who", ROLES)
def test_the_designation_form(world, client, who):
    login(client, world, who)
    url = reverse("preparedness:safety_manager_new", args=[world["use_a"].pk])
    expect(client.get(url), who, who in MANAGERS)
    response = client.post(
        url,
        {
            "name": "孙管理",
            "certificate_no": "TSZ-P-1",
            "certificate_valid_until": (TODAY + timedelta(days=90)).isoformat(),
            "elevators": [world["a"].pk],
        },
    )
    if who in MANAGERS:
        assert response.status_code == 302
        assert Person.objects.get(certificate_no="TSZ-P-1").kind == PersonKind.SAFETY_MANAGER
    else:
        assert response.status_code in (302, 403) and not Person.objects.filter(certificate_no="TSZ-P-1").exists()


@pytest.mark.parametrize("who", ROLES)
def test_withdraw_by_role(world, client, who):
    login(client, world, who)
    response = client.post(reverse("preparedness:safety_manager_withdraw", args=[world["manager_a"].pk]))
    assert response.status_code in ((302,) if who in MANAGERS or who == "anonymous" else (403,))
    assert Person.objects.filter(pk=world["manager_a"].pk).exists() is (who not in MANAGERS)


def test_out_of_scope_use_units_and_managers_are_not_found(world, client):
    client.force_login(world["users"]["district"])  # 东区
    assert client.get(reverse("preparedness:safety"), {"use_unit": world["use_b"].pk}).status_code == 404
    assert client.get(reverse("preparedness:safety_manager_edit", args=[world["manager_b"].pk])).status_code == 404
    assert client.post(reverse("preparedness:safety_manager_withdraw", args=[world["manager_b"].pk])).status_code == 404
    client.force_login(world["users"]["use_unit"])
    assert client.get(reverse("preparedness:safety"), {"use_unit": world["use_b"].pk}).status_code == 404
    # A worker is no safety manager: no edit page for them.
    assert client.get(reverse("preparedness:safety_manager_edit", args=[world["worker_a"].pk])).status_code == 404


# ---------------------------------------------------------------- the page and its forms


def test_a_use_unit_opens_its_own_page_without_picking(world, client):
    client.force_login(world["users"]["use_unit"])
    body = client.get(reverse("preparedness:safety")).content.decode()
    assert "金江物业" in body and "陈安全" in body


def test_a_regulator_picks_a_use_unit_of_the_scope(world, client):
    client.force_login(world["users"]["district"])
    body = client.get(reverse("preparedness:safety")).content.decode()
    assert "金江物业" in body and "米易物业" not in body
    body = client.get(reverse("preparedness:safety"), {"q": "米易"}).content.decode()
    assert "没有找到使用单位" in body


def test_the_page_shows_lapsed_and_expiring_certificates_and_uncovered_elevators(world, client):
    Person.objects.filter(pk=world["manager_a"].pk).update(certificate_valid_until=TODAY - timedelta(days=1))
    PersonFactory(organization=world["use_a"], name="即将到期", certificate_valid_until=TODAY + timedelta(days=30))
    PersonFactory(organization=world["use_a"], name="长期有效", certificate_valid_until=TODAY + timedelta(days=31))
    client.force_login(world["users"]["use_unit"])
    body = client.get(reverse("preparedness:safety")).content.decode()
    rows = {
        name: body[body.index(name) : body.index("</tr>", body.index(name))]
        for name in ("陈安全", "即将到期", "长期有效")
    }
    assert "已过期" in rows["陈安全"]
    assert "30天内到期" in rows["即将到期"]
    assert "已过期" not in rows["长期有效"] and "30天内到期" not in rows["长期有效"]
    # Nobody answers for elevator a (no assignment): it is listed as uncovered.
    assert 'id="uncovered"' in body and world["a"].registration_code in body


def test_a_new_manager_is_offered_all_elevators_ticked(world, client):
    second = ElevatorFactory(use_unit=world["use_a"], district=world["a"].district)
    client.force_login(world["users"]["use_unit"])
    body = client.get(reverse("preparedness:safety_manager_new", args=[world["use_a"].pk])).content.decode()
    for elevator in (world["a"], second):
        assert f'value="{elevator.pk}"' in body
    assert body.count("checked") == 2
    assert world["b"].registration_code not in body


def test_a_lapsed_certificate_is_refused_on_the_form_with_its_date(world, client):
    client.force_login(world["users"]["use_unit"])
    yesterday = TODAY - timedelta(days=1)
    response = client.post(
        reverse("preparedness:safety_manager_new", args=[world["use_a"].pk]),
        {"name": "孙", "certificate_no": "TSZ-P-2", "certificate_valid_until": yesterday.isoformat()},
    )
    body = response.content.decode()
    assert response.status_code == 400 and 'id="error-summary"' in body
    assert "证书已过期" in body and yesterday.isoformat() in body
    assert 'href="#id_certificate_valid_until"' in body


def test_edit_assign_and_withdraw_flow(world, client):
    client.force_login(world["users"]["district"])
    manager = world["manager_a"]
    url = reverse("preparedness:safety_manager_edit", args=[manager.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "name": "陈安全",
            "certificate_no": manager.certificate_no,
            "certificate_valid_until": (TODAY + timedelta(days=200)).isoformat(),
            "phone": "13900000000",
            "login": world["users"]["use_unit"].pk,
            "elevators": [world["a"].pk],
        },
    )
    assert response.status_code == 302
    assert list(SafetyAssignment.objects.filter(person=manager).values_list("elevator", flat=True)) == [world["a"].pk]
    response = client.post(reverse("preparedness:safety_manager_assign", args=[manager.pk]), {"elevators": []})
    assert response.status_code == 302 and not SafetyAssignment.objects.filter(person=manager).exists()
    response = client.post(
        reverse("preparedness:safety_manager_assign", args=[manager.pk]), {"elevators": [world["b"].pk]}
    )
    assert response.status_code == 400  # not one of the unit's elevators: not even a choice
    response = client.post(reverse("preparedness:safety_manager_withdraw", args=[manager.pk]), follow=True)
    assert "已撤销陈安全的安全管理员指定" in response.content.decode()


def test_the_body_form_saves_and_keeps_the_document(world, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world["users"]["use_unit"])
    url = reverse("preparedness:safety_body", args=[world["use_a"].pk])
    doc = SimpleUploadedFile("rules.pdf", PDF, content_type="application/pdf")
    response = client.post(
        url, {"body_name": "安全部", "principal": "金总", "annual_budget": "1000", "rules_document": doc}
    )
    assert response.status_code == 302
    response = client.post(url, {"body_name": "安全部", "principal": "", "annual_budget": ""})
    assert response.status_code == 400 and 'id="error-summary"' in response.content.decode()
    management = SafetyManagement.objects.get(use_unit=world["use_a"])
    assert management.principal == "金总" and management.rules_document
    bad = SimpleUploadedFile("rules.pdf", b"not a pdf at all")
    response = client.post(url, {"body_name": "", "principal": "金总", "rules_document": bad})
    assert response.status_code == 400 and "须为PDF文件" in response.content.decode()


# ---------------------------------------------------------------- the regulators' list


def test_the_missing_list_filters_by_district_paginates_and_exports(world, client, xiqu):
    missing_unit(world["a"].district, "东区无管理")
    missing_unit(xiqu, "西区无管理")
    unit = OrganizationFactory(name="停用物业", kind=OrganizationKind.USE_UNIT, district=xiqu)
    ElevatorFactory(use_unit=unit, district=xiqu, status=ElevatorStatus.SUSPENDED)
    client.force_login(world["users"]["city"])
    body = client.get(reverse("preparedness:safety_missing")).content.decode()
    assert "东区无管理" in body and "西区无管理" in body and "停用物业" not in body and "金江物业" not in body
    body = client.get(reverse("preparedness:safety_missing"), {"district": xiqu.pk}).content.decode()
    assert "西区无管理" in body and "东区无管理" not in body
    export = client.get(reverse("preparedness:safety_missing"), {"district": xiqu.pk, "export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert rows[0][0] == "使用单位" and [r[0] for r in rows[1:]] == ["西区无管理"]
    xlsx = client.get(reverse("preparedness:safety_missing"), {"export": "xlsx"})
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxml")
    # A district regulator sees their district only.
    client.force_login(world["users"]["district"])
    body = client.get(reverse("preparedness:safety_missing")).content.decode()
    assert "东区无管理" in body and "西区无管理" not in body


def test_the_missing_list_pages_with_a_fixed_number_of_queries(world, client, django_assert_num_queries):
    for n in range(55):
        missing_unit(world["a"].district, f"物业{n:02d}")
    client.force_login(world["users"]["city"])
    # 1. session, 2. user, 3. count, 4. districts of the filter's choices, 5. the page of use units with their
    # district, elevators in use and last certificate day, 6. the menu's unread notifications.
    with django_assert_num_queries(6):
        body = client.get(reverse("preparedness:safety_missing")).content.decode()
    assert "第 1 / 2 页" in body


def test_the_safety_page_has_a_fixed_number_of_queries(world, client, django_assert_num_queries):
    for n in range(5):
        person = PersonFactory(organization=world["use_a"], name=f"管理{n}")
        for _ in range(2):
            SafetyAssignment.objects.create(
                person=person, elevator=ElevatorFactory(use_unit=world["use_a"], district=world["a"].district)
            )
    client.force_login(world["users"]["district"])
    # 1. session, 2. user, 3. the regulator's organisation (their district), 4. the use unit, 5. its safety
    # management row, 6. its managers with their logins, 7. their assignments with the elevators, 8. the elevators
    # in use no valid manager answers for, 9. the menu's unread notifications.
    with django_assert_num_queries(9):
        assert client.get(reverse("preparedness:safety"), {"use_unit": world["use_a"].pk}).status_code == 200


# ---------------------------------------------------------------- the API


@pytest.mark.parametrize("who", ROLES)
def test_the_api_by_role(world, client, who):
    login(client, world, who)
    response = client.get("/api/v1/safety-managers/")
    if who == "anonymous":
        assert response.status_code == 401
        return
    if who not in MANAGERS:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    names = {row["name"] for row in response.json()["results"]}
    expected = {"city": {"陈安全", "周安全"}, "district": {"陈安全"}, "use_unit": {"陈安全"}}[who]
    assert names == expected  # and no maintenance worker or inspector


def test_the_api_creates_and_updates_through_the_service(world, client):
    client.force_login(world["users"]["use_unit"])
    response = client.post(
        "/api/v1/safety-managers/",
        {
            "use_unit": world["use_a"].pk,
            "name": "孙管理",
            "certificate_no": "TSZ-A-1",
            "certificate_valid_until": (TODAY + timedelta(days=30)).isoformat(),
            "elevators": [world["a"].pk],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["elevators"] == [world["a"].pk] and data["certificate_valid_today"] is True
    response = client.patch(
        f"/api/v1/safety-managers/{data['id']}/", {"elevators": []}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["elevators"] == []
    lapsed = client.patch(
        f"/api/v1/safety-managers/{data['id']}/",
        {"certificate_valid_until": (TODAY - timedelta(days=1)).isoformat()},
        content_type="application/json",
    )
    assert lapsed.status_code == 400 and "证书已过期" in str(lapsed.json())
    other = client.post(
        "/api/v1/safety-managers/",
        {
            "use_unit": world["use_a"].pk,
            "name": "钱",
            "certificate_no": "TSZ-A-2",
            "certificate_valid_until": (TODAY + timedelta(days=30)).isoformat(),
            "elevators": [world["b"].pk],
        },
        content_type="application/json",
    )
    assert other.status_code == 400 and world["b"].registration_code in str(other.json())
    foreign = client.post(
        "/api/v1/safety-managers/",
        {
            "use_unit": world["use_b"].pk,
            "name": "钱",
            "certificate_no": "TSZ-A-3",
            "certificate_valid_until": (TODAY + timedelta(days=30)).isoformat(),
        },
        content_type="application/json",
    )
    assert foreign.status_code == 403
    assert client.get(f"/api/v1/safety-managers/{world['manager_b'].pk}/").status_code == 404


def test_the_api_list_has_a_fixed_number_of_queries(world, client, django_assert_num_queries):
    for n in range(6):
        person = PersonFactory(organization=world["use_a"], name=f"管理{n}")
        SafetyAssignment.objects.create(person=person, elevator=world["a"])
    client.force_login(world["users"]["city"])
    # 1. session, 2. user, 3. count, 4. the page of managers with their use unit and login, 5. their assignments.
    with django_assert_num_queries(5):
        assert len(client.get("/api/v1/safety-managers/").json()["results"]) == 8


def test_a_use_unit_login_of_another_unit_is_not_offered(world, client):
    other = user_with_role(Role.USE_UNIT, organization=world["use_b"], username="mi-yi-login")
    client.force_login(world["users"]["use_unit"])
    body = client.get(reverse("preparedness:safety_manager_new", args=[world["use_a"].pk])).content.decode()
    assert other.username not in body
