"""The staff side of complaints: routing, handling, escalation, who sees what (page, API, export, photo), masking."""

import csv
import io
import random
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role
from complaints.choices import EventKind, Status
from complaints.demo import seed_complaints
from complaints.models import Complaint, ComplaintEvent
from complaints.services import (
    complaint_respond,
    complaint_submit,
    complaint_transition,
    complaints_escalate,
)
from complaints.tasks import escalate_complaints_task
from departments.choices import Category
from departments.models import RoutingRule, SectorRule
from notifications.models import Notification
from registry.choices import BuildingKind, OrganizationKind

from ..factories import JPEG, ElevatorFactory, OrganizationFactory, user_with_role

pytestmark = pytest.mark.django_db
QUEUE = reverse("complaints:staff_list")
API = "/api/v1/complaints/"


def submit(elevator=None, category=Category.BREAKDOWN, **extra) -> Complaint:
    extra.setdefault("description", "电梯经常停在两层之间。")
    return complaint_submit(elevator=elevator, category=category, **extra)


def action_url(complaint, action: str) -> str:
    return reverse("complaints:staff_action", args=[complaint.pk, action])


def login(client, user):
    if user is not None:
        client.force_login(user)
    return client


# -------------------------------------------------------- routing (docs/rules.md "Complaint routing", plan §2(8))

# Written out from docs/rules.md "Complaint routing" rather than read from departments.plan, so that the table is
# checked, not echoed.
LEAD = {
    Category.ENTRAPMENT: "scjgj",
    Category.BREAKDOWN: "scjgj",
    Category.MAINTENANCE_QUALITY: "scjgj",
    Category.INSPECTION_OVERDUE: "scjgj",
    Category.USE_MANAGEMENT: "scjgj",
    Category.VANDALISM: "gaj",
    Category.NO_SIGNAL: "txb",
    Category.SELECTION: "zrzyghj",
    Category.CIVIL_WORKS: "zjj",
    Category.RETROFIT: "zjj",
    Category.MAINTENANCE_FUND: "zjj",
    Category.FIRE_ELEVATOR: "yjglj",
    Category.INSURANCE: "ybj",
}


def test_every_category_has_a_lead_department():
    assert set(LEAD) == set(Category.values)


@pytest.mark.parametrize("category, lead", sorted(LEAD.items()))
def test_each_category_goes_to_its_lead_department_and_the_district_government_is_co_responsible(
    plan, xiqu, category, lead
):
    elevator = ElevatorFactory(district=xiqu, building_kind=BuildingKind.RESIDENTIAL)
    complaint = submit(elevator, category=category)
    assert complaint.department == plan[lead]
    # 属地: the elevator's district government, and no sector department for a residential building.
    assert set(complaint.co_departments.all()) == {plan["xq"]}


@pytest.mark.parametrize(
    "kind, sector",
    [
        (BuildingKind.SCHOOL, "jytyj"),
        (BuildingKind.HOSPITAL, "wjw"),
        (BuildingKind.TRANSPORT, "jtysj"),
        (BuildingKind.MALL, "swj"),
        (BuildingKind.TOURIST, "wglj"),
    ],
)
def test_crowded_places_also_notify_their_sector_department(plan, dongqu, kind, sector):
    complaint = submit(ElevatorFactory(district=dongqu, building_kind=kind), category=Category.VANDALISM)
    assert complaint.department == plan["gaj"]
    assert set(complaint.co_departments.all()) == {plan["dq"], plan[sector]}


def test_a_sector_department_that_also_leads_is_named_once_as_the_lead(plan, dongqu):
    SectorRule.objects.filter(building_kind=BuildingKind.MALL).update(department=plan["gaj"])
    complaint = submit(ElevatorFactory(district=dongqu, building_kind=BuildingKind.MALL), category=Category.VANDALISM)
    assert complaint.department == plan["gaj"] and set(complaint.co_departments.all()) == {plan["dq"]}


def test_a_category_without_a_routing_rule_is_refused_and_nothing_is_filed(plan, dongqu):
    RoutingRule.objects.filter(category=Category.NO_SIGNAL).delete()
    with pytest.raises(ValidationError) as refused:
        submit(ElevatorFactory(district=dongqu), category=Category.NO_SIGNAL)
    assert "没有分派规则" in refused.value.message_dict["category"][0]
    assert not Complaint.objects.exists()


def test_a_complaint_by_address_is_routed_by_its_district(plan, xiqu):
    complaint = submit(None, category=Category.NO_SIGNAL, address="西区某小区", district=xiqu)
    assert complaint.department == plan["txb"] and set(complaint.co_departments.all()) == {plan["xq"]}


def test_the_routing_table_is_data_an_admin_change_applies_to_new_complaints(plan, dongqu):
    RoutingRule.objects.filter(category=Category.NO_SIGNAL).update(department=plan["jxj"])
    complaint = submit(ElevatorFactory(district=dongqu), category=Category.NO_SIGNAL)
    assert complaint.department == plan["jxj"]


def test_city_admin_edits_the_routing_table_and_a_district_regulator_only_reads_it(client, plan):
    rule = RoutingRule.objects.get(category=Category.NO_SIGNAL)
    district_user = user_with_role(Role.DISTRICT_REGULATOR, is_staff=True)
    url = reverse("admin:departments_routingrule_change", args=[rule.pk])
    login(client, district_user)
    assert client.get(reverse("admin:departments_routingrule_changelist")).status_code == 200
    client.post(url, {"category": rule.category, "department": plan["jxj"].pk, "clause": "x"})
    rule.refresh_from_db()
    assert rule.department == plan["txb"]
    login(client, user_with_role(Role.CITY_REGULATOR, is_staff=True))
    response = client.post(url, {"category": rule.category, "department": plan["jxj"].pk, "clause": "x"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.department == plan["jxj"]


# ---------------------------------------------------------------- handling (docs/rules.md "Complaint handling")


@pytest.fixture
def filed(world, plan, xiqu):
    """`world`, with a complaint about its 东区 lift `a` led by 住建局 and a 西区 one led by 公安局.

    Its users are world's (with the plan, that includes zjj, gaj and dq_gov, 东区's co-responsible government),
    and "anonymous" (None).
    """
    complaint = submit(
        world["a"],
        category=Category.MAINTENANCE_FUND,
        contact_name="王小明",
        contact_phone="13800001234",
        contact_email="wang@example.com",
        photos=[("car.jpg", JPEG)],
    )
    other = submit(
        ElevatorFactory(district=xiqu), category=Category.VANDALISM, contact_name="李四", contact_phone="13900005678"
    )
    users = {"anonymous": None, **world["users"]}
    return {**world, "complaint": complaint, "other": other, "users": users, "plan": plan}


def test_lead_department_accepts_starts_and_resolves_and_the_resident_sees_the_answer(client, filed):
    complaint, zjj = filed["complaint"], filed["users"]["zjj"]
    login(client, zjj)
    body = client.post(action_url(complaint, "accept"), follow=True).content.decode()
    assert f"已受理投诉{complaint.tracking_no}" in body
    client.post(action_url(complaint, "start"))
    answer = {"text": "已指导业委会续筹维修资金。"}
    body = client.post(action_url(complaint, "resolve"), answer, follow=True).content.decode()
    assert "答复已在查询页面公开" in body
    complaint.refresh_from_db()
    assert complaint.status == Status.RESOLVED and complaint.answer == "已指导业委会续筹维修资金。"
    assert complaint.accepted_at and complaint.resolved_at
    public = client.get(reverse("complaints:track", args=[complaint.tracking_no])).content.decode()
    assert "已指导业委会续筹维修资金。" in public


def test_transitions_are_refused_for_the_wrong_role_with_a_clear_message(filed):
    complaint, users = filed["complaint"], filed["users"]
    for who in ("use_unit", "maintenance", "dq_gov", "gaj"):
        with pytest.raises(PermissionDenied, match="只有牵头部门可以办理该投诉。"):
            complaint_transition(user=users[who], complaint=complaint, action="accept")
    complaint.refresh_from_db()
    assert complaint.status == Status.SUBMITTED


def test_transitions_are_refused_in_the_wrong_state_with_a_clear_message(filed):
    complaint, zjj = filed["complaint"], filed["users"]["zjj"]
    with pytest.raises(ValidationError, match="投诉当前状态为“已提交”，不能执行该操作。"):
        complaint_transition(user=zjj, complaint=complaint, action="resolve", text="答复")
    with pytest.raises(ValidationError, match="请填写不予受理的原因。"):
        complaint_transition(user=zjj, complaint=complaint, action="reject", text="  ")
    complaint_transition(user=zjj, complaint=complaint, action="accept")
    with pytest.raises(ValidationError, match="投诉当前状态为“已受理”，不能执行该操作。"):
        complaint_transition(user=zjj, complaint=complaint, action="accept")
    with pytest.raises(ValidationError, match="请填写答复内容。"):
        complaint_transition(user=zjj, complaint=complaint, action="resolve", text="")
    complaint_transition(user=zjj, complaint=complaint, action="reject", text="重复投诉")
    with pytest.raises(ValidationError, match="投诉当前状态为“不予受理”"):
        complaint_transition(user=zjj, complaint=complaint, action="start")


def test_page_shows_refusals_as_messages_and_changes_nothing(client, filed):
    complaint, users = filed["complaint"], filed["users"]
    body = login(client, users["use_unit"]).post(action_url(complaint, "accept"), follow=True).content.decode()
    assert "只有牵头部门可以办理该投诉。" in body
    login(client, users["zjj"])
    body = client.post(action_url(complaint, "resolve"), {"text": ""}, follow=True).content.decode()
    assert "投诉当前状态为“已提交”，不能执行该操作。" in body
    client.post(action_url(complaint, "accept"))
    body = client.post(action_url(complaint, "reject"), {"text": ""}, follow=True).content.decode()
    assert "请填写不予受理的原因。" in body
    assert client.post(action_url(complaint, "close")).status_code == 404
    assert client.get(action_url(complaint, "accept")).status_code == 405
    complaint.refresh_from_db()
    assert complaint.status == Status.ACCEPTED


def test_detail_offers_the_forms_each_party_may_use(client, filed):
    complaint, users = filed["complaint"], filed["users"]
    detail = reverse("complaints:staff_detail", args=[complaint.pk])
    accept = reverse("complaints:staff_action", args=[complaint.pk, "accept"])
    resolve = reverse("complaints:staff_action", args=[complaint.pk, "resolve"])
    respond = reverse("complaints:staff_respond", args=[complaint.pk])
    body = login(client, users["zjj"]).get(detail).content.decode()
    assert accept in body and respond in body and resolve not in body  # resolving needs accepting first
    for who in ("use_unit", "maintenance", "dq_gov"):
        body = login(client, users[who]).get(detail).content.decode()
        assert accept not in body and respond in body, who


def test_use_unit_firm_and_co_department_respond_and_others_cannot(client, filed):
    complaint, users = filed["complaint"], filed["users"]
    respond = reverse("complaints:staff_respond", args=[complaint.pk])
    body = (
        login(client, users["use_unit"])
        .post(respond, {"text": "已安排维修。", "public": "on"}, follow=True)
        .content.decode()
    )
    assert "回复已保存，并在查询页面公开。" in body
    login(client, users["dq_gov"]).post(respond, {"text": "社区已跟进。"})
    body = login(client, users["maintenance"]).post(respond, {"text": ""}, follow=True).content.decode()
    assert "请填写回复内容。" in body
    responses = ComplaintEvent.objects.filter(complaint=complaint, kind=EventKind.RESPONSE)
    assert [(e.text, e.public) for e in responses] == [("已安排维修。", True), ("社区已跟进。", False)]
    with pytest.raises(PermissionDenied, match="您的单位不能回复该投诉。"):
        complaint_respond(user=users["inspection"], complaint=complaint, text="x")
    assert login(client, users["gaj"]).post(respond, {"text": "x"}).status_code == 404


def test_api_actions_go_through_the_services_with_the_same_messages(client, filed):
    complaint, users = filed["complaint"], filed["users"]
    base = f"{API}{complaint.pk}/"
    login(client, users["use_unit"])
    refused = client.post(f"{base}accept/")
    assert refused.status_code == 403 and refused.json()["detail"] == "只有牵头部门可以办理该投诉。"
    answered = client.post(f"{base}respond/", {"text": "已安排维修。"}, content_type="application/json")
    assert answered.status_code == 201 and answered.json()["public"] is True
    login(client, users["zjj"])
    assert client.post(f"{base}accept/").json()["status"] == Status.ACCEPTED
    empty = client.post(f"{base}resolve/", {}, content_type="application/json")
    assert empty.status_code == 400 and empty.json() == {"answer": ["请填写答复内容。"]}
    assert client.post(f"{base}start/").json()["status"] == Status.IN_PROGRESS
    resolved = client.post(f"{base}resolve/", {"answer": "已处理。"}, content_type="application/json").json()
    assert resolved["status"] == Status.RESOLVED and resolved["answer"] == "已处理。"
    assert [e["kind"] for e in resolved["events"]].count(EventKind.RESPONSE) == 1
    again = client.post(f"{base}reject/", {"reason": "重复"}, content_type="application/json")
    assert again.status_code == 400 and "不能执行该操作" in again.json()["detail"][0]


# ---------------------------------------------------------------- escalation


@pytest.fixture
def overdue(filed):
    """The 住建局 complaint not accepted in time; 住建局 has a supervisor."""
    supervisor = user_with_role(Role.CITY_REGULATOR)
    filed["plan"]["zjj"].supervisor = supervisor
    filed["plan"]["zjj"].save(update_fields=["supervisor"])
    Complaint.objects.filter(pk=filed["complaint"].pk).update(accept_deadline=timezone.now() - timedelta(hours=1))
    return {**filed, "supervisor": supervisor}


def test_overdue_complaints_escalate_once_to_the_supervisor_even_when_the_job_runs_twice(overdue):
    now = timezone.now()
    assert complaints_escalate(now=now) == 1
    assert complaints_escalate(now=now + timedelta(hours=1)) == 0
    escalate_complaints_task.delay()  # the hourly job, eager in tests
    call_command("escalate_complaints", stdout=io.StringIO())
    complaint = overdue["complaint"]
    complaint.refresh_from_db()
    assert complaint.escalated_at is not None
    assert ComplaintEvent.objects.filter(complaint=complaint, kind=EventKind.ESCALATION).count() == 1
    notes = Notification.objects.filter(recipient=overdue["supervisor"])
    assert notes.count() == 1 and complaint.tracking_no in notes.get().body
    overdue["other"].refresh_from_db()
    assert overdue["other"].escalated_at is None  # still within its deadline


def test_answer_deadline_also_escalates_and_the_queue_marks_overdue_complaints(client, overdue):
    other, city = overdue["other"], overdue["users"]["city"]
    complaint_transition(user=city, complaint=other, action="accept")
    Complaint.objects.filter(pk=other.pk).update(resolve_deadline=timezone.now() - timedelta(minutes=5))
    assert complaints_escalate(now=timezone.now()) == 2
    body = login(client, city).get(QUEUE, {"overdue": "true"}).content.decode()
    assert body.count('class="table-danger"') == 2 and body.count("已超期") == 2 and "已督办" in body


def test_the_escalation_job_is_scheduled_hourly():
    entry = django_settings.CELERY_BEAT_SCHEDULE["complaint-escalation"]
    assert entry["task"] == "complaints.tasks.escalate_complaints_task"
    assert entry["schedule"].hour == set(range(24))


# ---------------------------------------------------------------- who sees what (docs/rules.md "Who sees what")

# role: (sees the 东区 complaint, may handle it); the 公安局 user sees only the 西区 vandalism complaint.
SEES = {"city": True, "district": True, "zjj": True, "gaj": False, "use_unit": True, "maintenance": True}
HANDLES = {"city", "district", "zjj"}
ROLES = ["anonymous", "city", "district", "zjj", "gaj", "use_unit", "maintenance", "inspection"]


def expected_page(who: str, allowed: int = 200) -> int:
    return {"anonymous": 302, "inspection": 403}.get(who, allowed)


@pytest.mark.parametrize("who", ROLES)
def test_matrix_queue_page(client, filed, who):
    response = login(client, filed["users"][who]).get(QUEUE, {"status": ""})
    assert response.status_code == expected_page(who)
    if response.status_code == 200:
        body = response.content.decode()
        assert (filed["complaint"].tracking_no in body) is SEES[who]
        assert (filed["other"].tracking_no in body) is (who in ("city", "gaj"))


@pytest.mark.parametrize("who", ROLES)
def test_matrix_detail_page(client, filed, who):
    response = login(client, filed["users"][who]).get(reverse("complaints:staff_detail", args=[filed["complaint"].pk]))
    assert response.status_code == expected_page(who, 200 if SEES.get(who) else 404)


@pytest.mark.parametrize("who", ROLES)
def test_matrix_api_list(client, filed, who):
    response = login(client, filed["users"][who]).get(API)
    assert response.status_code == {"anonymous": 401, "inspection": 403}.get(who, 200)
    if response.status_code == 200:
        numbers = {row["tracking_no"] for row in response.json()["results"]}
        assert (filed["complaint"].tracking_no in numbers) is SEES[who]
        assert (filed["other"].tracking_no in numbers) is (who in ("city", "gaj"))


@pytest.mark.parametrize("who", ROLES)
def test_matrix_api_action(client, filed, who):
    response = login(client, filed["users"][who]).post(f"{API}{filed['complaint'].pk}/accept/")
    expected = {"anonymous": 401, "inspection": 403, "gaj": 404}.get(who, 200 if who in HANDLES else 403)
    assert response.status_code == expected
    filed["complaint"].refresh_from_db()
    assert (filed["complaint"].status == Status.ACCEPTED) is (expected == 200)


@pytest.mark.parametrize("who", ROLES)
def test_matrix_csv_export_is_scoped_and_masked(client, filed, who):
    response = login(client, filed["users"][who]).get(QUEUE, {"export": "csv", "status": ""})
    assert response.status_code == expected_page(who)
    if response.status_code == 200:
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(body)))
        assert rows[0][0] == "查询编号"
        assert (filed["complaint"].tracking_no in body) is SEES[who]
        assert "王小明" not in body and "13800001234" not in body and "李四" not in body
        if SEES[who]:
            assert "王**" in body and "138****1234" in body


@pytest.mark.parametrize("who", ROLES)
def test_matrix_photo_download(client, filed, who):
    photo = filed["complaint"].photos.get()
    response = login(client, filed["users"][who]).get(reverse("complaints:staff_photo", args=[photo.pk]))
    assert response.status_code == {"anonymous": 302}.get(who, 200 if SEES.get(who) else 404)
    if response.status_code == 200:
        assert b"".join(response.streaming_content) == JPEG and response["Content-Type"] == "image/jpeg"


@pytest.mark.parametrize("who", ["city", "district", "zjj", "use_unit", "maintenance"])
def test_personal_data_is_masked_in_lists_for_everyone_and_shown_in_detail_only_to_handlers(client, filed, who):
    complaint = filed["complaint"]
    login(client, filed["users"][who])
    queue = client.get(QUEUE).content.decode()
    assert "王**" in queue and "138****1234" in queue
    assert "王小明" not in queue and "13800001234" not in queue
    listed = next(r for r in client.get(API).json()["results"] if r["id"] == complaint.pk)
    assert (listed["contact_name"], listed["contact_phone"], listed["contact_email"]) == (
        "王**",
        "138****1234",
        "w***@example.com",
    )
    detail = client.get(reverse("complaints:staff_detail", args=[complaint.pk])).content.decode()
    retrieved = client.get(f"{API}{complaint.pk}/").json()
    handler = who in HANDLES
    assert ("13800001234" in detail) is handler and ("wang@example.com" in detail) is handler
    assert ("138****1234" in detail) is not handler
    assert retrieved["contact_phone"] == ("13800001234" if handler else "138****1234")
    assert retrieved["contact_masked"] is not handler


def test_inspection_agencies_have_no_complaint_admin_of_their_own(client, filed):
    user = user_with_role(Role.INSPECTION, is_staff=True)
    assert login(client, user).get(reverse("admin:complaints_complaint_changelist")).status_code == 403


def test_admin_lists_complaints_in_scope_read_only_and_partner_keys_only_for_superusers(client, filed):
    district_user = filed["users"]["district"]
    district_user.is_staff = True
    district_user.save()
    body = login(client, district_user).get(reverse("admin:complaints_complaint_changelist")).content.decode()
    assert filed["complaint"].tracking_no in body and filed["other"].tracking_no not in body
    change = reverse("admin:complaints_complaint_change", args=[filed["complaint"].pk])
    client.post(change, {"status": Status.CLOSED})
    filed["complaint"].refresh_from_db()
    assert filed["complaint"].status == Status.SUBMITTED
    assert client.get(reverse("admin:complaints_partnerkey_changelist")).status_code == 403


# ---------------------------------------------------------------- filters, paging, query counts


def test_department_queue_defaults_to_open_complaints_and_filters_work(client, filed):
    complaint, zjj = filed["complaint"], filed["users"]["zjj"]
    done = submit(ElevatorFactory(district=filed["a"].district), category=Category.RETROFIT)
    complaint_transition(user=zjj, complaint=done, action="reject", text="不属于电梯问题")
    login(client, zjj)
    body = client.get(QUEUE).content.decode()
    assert complaint.tracking_no in body and done.tracking_no not in body
    body = client.get(QUEUE, {"status": ""}).content.decode()
    assert complaint.tracking_no in body and done.tracking_no in body
    body = client.get(QUEUE, {"status": "", "category": Category.RETROFIT}).content.decode()
    assert complaint.tracking_no not in body and done.tracking_no in body
    body = client.get(QUEUE, {"status": "", "q": complaint.tracking_no}).content.decode()
    assert complaint.tracking_no in body and done.tracking_no not in body


def test_api_filters(client, filed):
    complaint, other, plan = filed["complaint"], filed["other"], filed["plan"]
    login(client, filed["users"]["city"])

    def numbers(**params):
        return {r["tracking_no"] for r in client.get(API, params).json()["results"]}

    assert numbers(district="510403") == {other.tracking_no}
    assert numbers(department_id=plan["zjj"].pk) == {complaint.tracking_no}
    assert numbers(category=Category.VANDALISM) == {other.tracking_no}
    assert numbers(q=complaint.tracking_no) == {complaint.tracking_no}
    assert numbers(status="open") == {complaint.tracking_no, other.tracking_no}
    assert numbers(status="resolved") == set()
    assert numbers(overdue="true") == set()
    Complaint.objects.filter(pk=other.pk).update(accept_deadline=timezone.now() - timedelta(minutes=1))
    assert numbers(overdue="true") == {other.tracking_no}
    assert client.get(API, {"status": "nonsense"}).status_code == 400


def test_queue_pages_by_50_and_exports_xlsx(client, filed):
    city = filed["users"]["city"]
    for n in range(50):
        submit(None, category=Category.SELECTION, address=f"东区某小区{n}栋", district=filed["a"].district)
    login(client, city)
    assert "第 2 / 2 页" in client.get(QUEUE, {"page": 2}).content.decode()
    response = client.get(QUEUE, {"export": "xlsx"})
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )


def _more_complaints(district, n):
    for _ in range(n):
        submit(ElevatorFactory(district=district), category=Category.MAINTENANCE_QUALITY)


def test_queue_page_query_count_does_not_grow_with_rows(client, filed, django_assert_num_queries):
    login(client, filed["users"]["city"])
    # session, user, count, one page of complaints joined to district, department and elevator (with the
    # deadline annotations), districts for the filter, unread notifications in the menu (base.html)
    with django_assert_num_queries(6):
        client.get(QUEUE)
    _more_complaints(filed["a"].district, 12)
    with django_assert_num_queries(6):
        response = client.get(QUEUE)
    assert response.status_code == 200 and response.content.decode().count("complaints/queue/") >= 14


def test_api_list_query_count_does_not_grow_with_rows(client, filed, django_assert_num_queries):
    login(client, filed["users"]["city"])
    # session, user, count, one page of complaints joined to district, department, elevator and the merged-into
    # complaint, their co-responsible departments (one prefetch)
    with django_assert_num_queries(5):
        client.get(API)
    _more_complaints(filed["a"].district, 12)
    with django_assert_num_queries(5):
        response = client.get(API)
    assert response.json()["count"] == 14


# ---------------------------------------------------------------- demo data


def test_demo_complaints_cover_every_state_and_seeding_twice_adds_nothing(plan, districts):
    city = user_with_role(Role.CITY_REGULATOR, username="city")
    user_with_role(Role.DEPARTMENT, organization=plan["zjj"].organization, username="jianshe")
    use_unit = OrganizationFactory(kind=OrganizationKind.USE_UNIT, district=districts["510402"])
    user_with_role(Role.USE_UNIT, organization=use_unit, username="wuye")
    for _ in range(12):
        ElevatorFactory(district=districts["510402"], use_unit=use_unit)
    for kind in BuildingKind.values:
        for _ in range(4):
            ElevatorFactory(district=districts["510403"], building_kind=kind)
    made = seed_complaints(today=timezone.localdate(), rng=random.Random(2019))
    assert made == Complaint.objects.count() >= 35
    assert set(Complaint.objects.values_list("status", flat=True)) == set(Status.values)
    assert Complaint.objects.filter(escalated_at__isnull=False).exists()
    assert Complaint.objects.filter(trapped_now=True).exists()
    assert Complaint.objects.filter(status=Status.CLOSED, rating__isnull=False).exists()
    assert set(Complaint.objects.filter(department=plan["zjj"]).values_list("category", flat=True)) == {
        Category.RETROFIT,
        Category.MAINTENANCE_FUND,
        Category.CIVIL_WORKS,
    }
    plan["scjgj"].refresh_from_db()
    assert plan["scjgj"].supervisor == city
    assert seed_complaints(today=timezone.localdate(), rng=random.Random(2019)) == 0
    assert Complaint.objects.count() == made
