"""Inspection pages and API: flows, scoping, files, query counts."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from inspections import services
from inspections.choices import ApplicationStatus
from inspections.models import InspectionApplication

from ..factories import PDF, make_application, make_inspection

TODAY = timezone.localdate()


def login(client, user):
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_page_flow_apply_schedule_record(client, world):
    elevator = world["a"]
    c = login(client, world["users"]["use_unit"])
    body = c.get(reverse("inspections:my_elevators")).content.decode()
    assert elevator.registration_code in body and "申报检验" in body
    response = c.post(
        reverse("inspections:apply", args=[elevator.pk]),
        {
            "kind": "periodic",
            "agency": world["agency"].pk,
            "wished_from": TODAY + timedelta(days=2),
            "wished_to": TODAY + timedelta(days=9),
            "site_contact": "王经理",
            "site_phone": "13800000000",
        },
        follow=True,
    )
    assert "已向市特检所提交检验申报" in response.content.decode()
    application = InspectionApplication.objects.get()
    assert "已申报" in c.get(reverse("inspections:my_elevators")).content.decode()

    c = login(client, world["users"]["inspection"])
    assert elevator.address in c.get(reverse("inspections:applications")).content.decode()
    c.post(reverse("inspections:application_action", args=[application.pk, "accept"]))
    c.post(
        reverse("inspections:application_action", args=[application.pk, "schedule"]),
        {"scheduled_on": TODAY, "inspectors": [world["inspector"].pk]},
    )
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SCHEDULED
    assert elevator.address[:14] in c.get(reverse("inspections:calendar")).content.decode()
    response = c.post(
        reverse("inspections:record_result", args=[application.pk]),
        {
            "inspected_on": TODAY,
            "result": "passed",
            "report_no": "PZH-2026-001",
            "inspectors": [world["inspector"].pk],
            "report_file": SimpleUploadedFile("r.pdf", PDF, content_type="application/pdf"),
            "defects-TOTAL_FORMS": 3,
            "defects-INITIAL_FORMS": 0,
            "defects-0-description": "轿厢照明不足",
            "defects-0-deadline": TODAY + timedelta(days=30),
        },
        follow=True,
    )
    assert "检验结果已录入：合格" in response.content.decode()
    elevator.refresh_from_db()
    public = client.get(f"/e/{elevator.registration_code}/").content.decode()
    assert elevator.inspection_valid_until.isoformat() in public


@pytest.mark.django_db
def test_form_errors_name_the_field(client, world):
    c = login(client, world["users"]["use_unit"])
    response = c.post(
        reverse("inspections:apply", args=[world["a"].pk]),
        {
            "kind": "periodic",
            "agency": world["agency"].pk,
            "wished_from": TODAY + timedelta(days=5),
            "wished_to": TODAY + timedelta(days=1),
            "site_contact": "",
            "site_phone": "abc",
        },
    )
    body = response.content.decode()
    assert "期望检验日期（止）：期望检验日期（止）不能早于（起）。" in body
    assert "联系电话：请输入有效的电话号码。" in body and "现场联系人：该字段是必填项。" in body


@pytest.mark.django_db
def test_wrong_state_action_shows_a_clear_message(client, world):
    application = make_application(world)
    services.application_reject(user=world["users"]["inspection"], application=application, reason="资料不全")
    c = login(client, world["users"]["inspection"])
    body = c.post(
        reverse("inspections:application_action", args=[application.pk, "accept"]), follow=True
    ).content.decode()
    assert "申报当前状态为“不予受理”，不能受理。" in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who, expected",
    [
        ("use_unit", 200),
        ("maintenance", 200),
        ("inspection", 200),
        ("other_inspection", 404),
        ("district", 200),
        ("city", 200),
    ],
)
def test_report_download_matrix(client, world, who, expected):
    inspection = make_inspection(world, report_file=SimpleUploadedFile("r.pdf", PDF))
    response = login(client, world["users"][who]).get(reverse("inspections:report_download", args=[inspection.pk]))
    assert response.status_code == expected
    if expected == 200:
        assert b"".join(response.streaming_content) == PDF


@pytest.mark.django_db
def test_anonymous_cannot_download_a_report(client, world):
    inspection = make_inspection(world, report_file=SimpleUploadedFile("r.pdf", PDF))
    response = client.get(reverse("inspections:report_download", args=[inspection.pk]))
    assert response.status_code == 302
    assert client.get(f"/media/{inspection.report_file.name}").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who, sees",
    [
        ("use_unit", True),
        ("maintenance", True),
        ("inspection", True),
        ("other_inspection", False),
        ("district", True),
        ("city", True),
    ],
)
def test_application_visibility_matrix(client, world, who, sees):
    application = make_application(world)
    c = login(client, world["users"][who])
    assert (c.get(reverse("inspections:application_detail", args=[application.pk])).status_code == 200) is sees
    ids = [a["id"] for a in c.get("/api/v1/inspection-applications/").json()["results"]]
    assert (application.pk in ids) is sees


@pytest.mark.django_db
def test_overview_counts_match_the_lists_they_link_to(client, world, dongqu):
    from ..factories import ElevatorFactory

    ElevatorFactory(district=dongqu, inspection_valid_until=TODAY - timedelta(days=1))
    ElevatorFactory(district=dongqu, inspection_valid_until=TODAY + timedelta(days=30))
    c = login(client, world["users"]["city"])
    response = c.get(reverse("inspections:overview"))
    row = next(r for r in response.context["rows"] if r["district_id"] == dongqu.pk)
    for key, status in [("overdue", "expired"), ("expiring", "expiring")]:
        listed = c.get(
            reverse("registry:elevator_list"),
            {"district_id": dongqu.pk, "status": "in_use", "inspection_status": status},
        )
        assert listed.context["page"].paginator.count == row[key] == 1


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["use_unit", "maintenance", "inspection"])
def test_overview_is_for_regulators(client, world, who):
    assert login(client, world["users"][who]).get(reverse("inspections:overview")).status_code == 403


@pytest.mark.django_db
def test_api_flow_and_errors(client, world):
    c = login(client, world["users"]["use_unit"])
    payload = {
        "elevator": world["a"].pk,
        "kind": "periodic",
        "agency": world["agency"].pk,
        "wished_from": str(TODAY + timedelta(days=1)),
        "wished_to": str(TODAY + timedelta(days=8)),
        "site_contact": "王",
        "site_phone": "13800000000",
    }
    created = c.post("/api/v1/inspection-applications/", payload, content_type="application/json")
    assert created.status_code == 201, created.content
    again = c.post("/api/v1/inspection-applications/", payload, content_type="application/json")
    assert again.status_code == 400 and "已有一份未办结" in again.content.decode()
    pk = created.json()["id"]
    assert c.post(f"/api/v1/inspection-applications/{pk}/accept/").status_code == 403

    c = login(client, world["users"]["inspection"])
    response = c.post(
        f"/api/v1/inspection-applications/{pk}/schedule/",
        {"scheduled_on": str(TODAY), "inspectors": [world["inspector"].pk]},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["status"] == "scheduled"
    response = c.post(f"/api/v1/inspection-applications/{pk}/reject/", {"reason": "x"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": ["申报当前状态为“已排期”，不能不予受理。"]}
    response = c.post(
        "/api/v1/inspections/",
        {
            "application": pk,
            "inspected_on": str(TODAY),
            "result": "passed",
            "report_no": "API-1",
            "inspectors": [world["inspector"].pk],
            "defects": [{"description": "底坑有积水", "deadline": str(TODAY + timedelta(days=10))}],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["valid_until"] and response.json()["defects"][0]["description"] == "底坑有积水"
    # Without an application scheduled with this agency, no result can be recorded on an elevator.
    bad = c.post(
        "/api/v1/inspections/",
        {
            "elevator": world["a"].pk,
            "kind": "periodic",
            "inspected_on": str(TODAY),
            "result": "failed",
            "report_no": "API-2",
            "inspectors": [world["inspector"].pk],
        },
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["application"] == ["请提供本机构已排期的检验申报。"]
    world["a"].refresh_from_db()
    assert not world["a"].inspection_failed


@pytest.mark.django_db
def test_api_lists_have_constant_query_counts(client, world, django_assert_num_queries):
    from ..factories import ElevatorFactory

    c = login(client, world["users"]["city"])

    def add(n):
        for _ in range(n):
            elevator = ElevatorFactory(use_unit=world["use_a"], maintenance_firm=world["firm_a"])
            application = make_application(world, elevator=elevator)
            services.application_schedule(
                user=world["users"]["inspection"],
                application=application,
                scheduled_on=TODAY,
                inspectors=[world["inspector"]],
            )
            make_inspection(
                world, application=application, elevator=elevator, defects=[{"description": "x", "deadline": TODAY}]
            )

    add(2)
    # session, user, count, page of applications joined to elevator, inspectors prefetch
    with django_assert_num_queries(5):
        assert c.get("/api/v1/inspection-applications/").json()["count"] == 2
    # session, user, count, page of inspections joined to elevator, inspectors and defects prefetches
    with django_assert_num_queries(6):
        c.get("/api/v1/inspections/")
    add(5)
    with django_assert_num_queries(5):
        assert c.get("/api/v1/inspection-applications/").json()["count"] == 7
    with django_assert_num_queries(6):
        c.get("/api/v1/inspections/")


@pytest.mark.django_db
def test_pages_have_constant_query_counts(client, world, django_assert_num_queries):
    from ..factories import ElevatorFactory

    c = login(client, world["users"]["use_unit"])
    ElevatorFactory.create_batch(2, use_unit=world["use_a"])
    # session, user, count, page of elevators (with the open-application EXISTS), unread count
    with django_assert_num_queries(5):
        c.get(reverse("inspections:my_elevators"))
    ElevatorFactory.create_batch(20, use_unit=world["use_a"])
    with django_assert_num_queries(5):
        c.get(reverse("inspections:my_elevators"))
    c = login(client, world["users"]["inspection"])
    make_application(world)
    # session, user, count, page of applications joined to elevator, district, use unit and agency, unread count
    with django_assert_num_queries(5):
        c.get(reverse("inspections:applications"))


@pytest.mark.django_db
@pytest.mark.parametrize("who, sees", [("city", True), ("district", True)])
def test_admin_lists_inspections_in_scope_and_refuses_changes(client, world, who, sees):
    inspection = make_inspection(world)
    user = world["users"][who]
    user.is_staff = True
    user.save()
    c = login(client, user)
    assert (inspection.report_no in c.get("/admin/inspections/inspection/").content.decode()) is sees
    response = c.post(f"/admin/inspections/inspection/{inspection.pk}/change/", {"result": "failed"})
    assert response.status_code in (200, 403)
    inspection.refresh_from_db()
    assert inspection.result == "passed"
