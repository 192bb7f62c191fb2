"""Departments: the public "who handles what" page (plan §2(8)), the plan's tasks and their progress, the API."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts import access
from accounts.choices import Role
from departments.choices import Category
from departments.models import Department, PlanTask, RoutingRule, TaskProgress
from departments.services import task_progress_add

from ..factories import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(plan):
    return PlanTask.objects.get(number=2)


# ---------------------------------------------------------------- public page


def test_public_page_shows_every_category_with_its_department_and_clause(client, plan):
    response = client.get(reverse("departments:who_handles_what"))
    assert response.status_code == 200
    html = response.content.decode()
    rules = RoutingRule.objects.select_related("department")
    assert rules.count() == len(Category.choices)
    for rule in rules:
        assert str(rule.get_category_display()) in html
        assert rule.department.name in html
        assert rule.clause in html


def test_public_page_states_district_and_sector_co_responsibility(client, plan):
    html = client.get(reverse("departments:who_handles_what")).content.decode()
    assert "属地责任" in html
    for name in (
        "攀枝花市教育和体育局",
        "攀枝花市卫生健康委员会",
        "攀枝花市交通运输局",
        "攀枝花市商务局",
        "攀枝花市文化广播电视和旅游局",
    ):
        assert name in html


def test_public_page_lists_every_department_with_its_duties(client, plan):
    html = client.get(reverse("departments:who_handles_what")).content.decode()
    for department in Department.objects.all():
        assert department.name in html
        assert department.duties in html


def test_public_page_shows_no_personal_data(client, plan):
    supervisor = user_with_role(
        Role.DEPARTMENT, first_name="晓明", last_name="王", phone="13912345678", username="wang.supervisor"
    )
    Department.objects.filter(code="scjgj").update(supervisor=supervisor)
    html = client.get(reverse("departments:who_handles_what"), {"category": Category.BREAKDOWN}).content.decode()
    for private in ("晓明", "13912345678", "wang.supervisor"):
        assert private not in html


def test_lookup_shows_department_phone_clause_and_complaint_link(client, plan):
    Department.objects.filter(code="txb").update(public_phone="0812-3333333")
    response = client.get(reverse("departments:who_handles_what"), {"category": Category.NO_SIGNAL})
    result = response.content.decode().split('id="lookup-result"')[1].split("</section>")[0]
    assert "攀枝花市通信发展办公室" in result
    assert "0812-3333333" in result
    assert "方案第二部分第（八）项" in result
    assert "/complaints/new/?category=no_signal" in result


def test_lookup_ignores_an_unknown_category(client, plan):
    response = client.get(reverse("departments:who_handles_what"), {"category": "nonsense"})
    assert response.status_code == 200 and 'id="lookup-result"' not in response.content.decode()


def test_public_page_query_count(client, plan, django_assert_num_queries):
    # departments joined to district, routing rules, sector rules (anonymous: no session, no unread count)
    with django_assert_num_queries(3):
        client.get(reverse("departments:who_handles_what"), {"category": Category.VANDALISM})


# ---------------------------------------------------------------- plan tasks: access matrix


@pytest.mark.parametrize(
    "who, status",
    [
        ("city", 200),
        ("district", 200),
        ("department", 200),
        ("use_unit", 403),
        ("maintenance", 403),
        ("inspection", 403),
    ],
)
def test_tasks_pages_are_for_regulators_and_departments(client, world, task, who, status):
    client.force_login(world["users"][who])
    assert client.get(reverse("departments:tasks")).status_code == status
    assert client.get(reverse("departments:task_detail", args=[task.number])).status_code == status


def test_tasks_pages_send_anonymous_visitors_to_login(client, task):
    for url in (reverse("departments:tasks"), reverse("departments:task_detail", args=[task.number])):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    response = client.post(reverse("departments:task_detail", args=[task.number]), {"note": "x"})
    assert response.status_code == 302 and not TaskProgress.objects.exists()


@pytest.mark.parametrize(
    "who, allowed, district_code",
    [
        ("city", True, None),  # city regulators write city-level notes
        ("district", True, "510402"),  # district forced to 东区, the regulator's own
        ("department", True, None),  # city departments write city-level notes
        ("use_unit", False, None),
        ("maintenance", False, None),
        ("inspection", False, None),
    ],
)
def test_adding_progress_through_the_page(client, world, task, who, allowed, district_code):
    client.force_login(world["users"][who])
    response = client.post(reverse("departments:task_detail", args=[task.number]), {"note": "完成维保企业信息公开"})
    if not allowed:
        assert response.status_code == 403 and not TaskProgress.objects.exists()
        return
    assert response.status_code == 302
    note = TaskProgress.objects.get()
    assert (note.task, note.author, note.note) == (task, world["users"][who], "完成维保企业信息公开")
    assert (note.district.code if note.district else None) == district_code


@pytest.mark.parametrize(
    "who, target, allowed",
    [
        ("city", None, True),
        ("city", "510403", True),
        ("district", None, True),
        ("district", "510402", True),
        ("district", "510403", False),
        ("department", None, True),
        ("department", "510402", False),
        ("use_unit", None, False),
        ("maintenance", None, False),
        ("inspection", None, False),
    ],
)
def test_task_progress_add_enforces_who_reports_for_which_district(world, districts, task, who, target, allowed):
    district = districts[target] if target else None
    if allowed:
        note = task_progress_add(user=world["users"][who], task=task, note="进展", district=district)
        assert note.pk and (district is None or note.district == district)
    else:
        with pytest.raises(PermissionDenied):
            task_progress_add(user=world["users"][who], task=task, note="进展", district=district)
        assert not TaskProgress.objects.exists()


def test_anonymous_cannot_report_or_view(task):
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    assert not access.can_view_plan_tasks(anonymous)
    assert not access.can_report_task_progress(anonymous, None)
    with pytest.raises(PermissionDenied):
        task_progress_add(user=anonymous, task=task, note="进展")


def test_district_government_staff_report_for_their_district(plan, districts, task):
    staff = user_with_role(Role.DEPARTMENT, organization=plan["dq"].organization)
    assert task_progress_add(user=staff, task=task, note="进展").district == districts["510402"]
    with pytest.raises(PermissionDenied):
        task_progress_add(user=staff, task=task, note="进展", district=districts["510403"])


def test_blank_note_is_refused(client, world, task):
    client.force_login(world["users"]["city"])
    response = client.post(reverse("departments:task_detail", args=[task.number]), {"note": "  "})
    assert response.status_code == 200 and not TaskProgress.objects.exists()


# ---------------------------------------------------------------- plan tasks: content and queries


def test_tasks_page_lists_14_tasks_with_latest_note_per_district(client, world, task):
    for note in ("旧的全市进展", "新的全市进展"):
        task_progress_add(user=world["users"]["city"], task=task, note=note)
    task_progress_add(user=world["users"]["district"], task=task, note="东区进展")
    client.force_login(world["users"]["department"])
    html = client.get(reverse("departments:tasks")).content.decode()
    for number in range(1, 15):
        assert reverse("departments:task_detail", args=[number]) in html
    assert "新的全市进展" in html and "东区进展" in html and "旧的全市进展" not in html
    assert "攀枝花市市场监督管理局" in html and "各县（区）政府" in html


def test_task_detail_shows_all_notes(client, world, task):
    for note in ("第一次", "第二次"):
        task_progress_add(user=world["users"]["district"], task=task, note=note)
    client.force_login(world["users"]["city"])
    html = client.get(reverse("departments:task_detail", args=[task.number])).content.decode()
    assert "第一次" in html and "第二次" in html


def test_tasks_page_query_count_does_not_grow_with_notes(client, world, plan, django_assert_num_queries):
    client.force_login(world["users"]["city"])
    # session, user, tasks, responsible city departments, latest note per task and district (window function,
    # joined to district and author), unread-notification count (base.html)
    with django_assert_num_queries(6):
        client.get(reverse("departments:tasks"))
    for task in PlanTask.objects.all():
        task_progress_add(user=world["users"]["city"], task=task, note="全市")
        task_progress_add(user=world["users"]["district"], task=task, note="东区")
    with django_assert_num_queries(6):
        client.get(reverse("departments:tasks"))


# ---------------------------------------------------------------- API


def test_api_lists_departments_publicly(client, plan, django_assert_num_queries):
    # count, page of departments joined to district, routing rules, sector rules
    with django_assert_num_queries(4):
        response = client.get("/api/v1/departments/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == Department.objects.count()
    police = next(d for d in body["results"] if d["code"] == "gaj")
    assert police["duties"] and police["district"] is None
    assert [c["category"] for c in police["lead_categories"]] == [Category.VANDALISM]
    assert "supervisor" not in police


def test_api_filters_and_retrieve(client, plan, districts):
    dongqu = client.get("/api/v1/departments/", {"district": "510402"}).json()["results"]
    assert [d["name"] for d in dongqu] == ["东区人民政府"] and dongqu[0]["district"] == districts["510402"].pk
    found = client.get("/api/v1/departments/", {"q": "通信"}).json()["results"]
    assert [d["code"] for d in found] == ["txb"]
    school = client.get(f"/api/v1/departments/{plan['jytyj'].pk}/").json()
    assert school["sector_building_kinds"] == ["school"]


def test_api_is_read_only(client, plan):
    client.force_login(user_with_role(Role.CITY_REGULATOR))
    assert client.post("/api/v1/departments/", {"code": "x", "name": "x"}).status_code == 405
