"""The drill and emergency plan pages, exports, downloads and API: every role against each, the forms' messages
(photos named again after a failed submit), the due list counting what preparedness.rules counts, query counts."""

import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from preparedness.choices import ComplianceState, DrillScenario, DrillStatus
from preparedness.models import Drill, EmergencyPlan
from preparedness.rules import drill_counted_from, drill_state
from preparedness.services.drills import Upload, drill_plan, drill_record, emergency_plan_file
from registry.models import Elevator

from ..factories import PDF, ElevatorFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "city", "district", "use_unit", "maintenance", "inspection", "department", "rescue_centre"]
# Who opens the preparedness pages at all (access.can_view_preparedness); the rest get 403, anonymous the login.
VIEWERS = {"city", "district", "use_unit", "maintenance"}
DRILL_PAGES = ["preparedness:drill_detail", "preparedness:drill_record", "preparedness:drill_cancel"]


def real_jpeg(colour="red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def drill(world):
    return drill_plan(
        user=world["users"]["use_unit"],
        use_unit=world["use_a"],
        planned_on=timezone.localdate(),
        scenario=DrillScenario.ENTRAPMENT,
        elevators=[world["a"]],
    )


@pytest.fixture
def held(world, drill):
    return drill_record(
        user=world["users"]["use_unit"],
        drill=drill,
        held_on=timezone.localdate(),
        use_unit_participants="陈安全",
        firm_participants="王师傅",
        release_minutes=9,
        findings="",
        improvements="",
        photos=[Upload("p.jpg", real_jpeg())],
    )


@pytest.fixture
def emergency_plan(world):
    return emergency_plan_file(
        user=world["users"]["use_unit"],
        use_unit=world["use_a"],
        title="困人应急专项预案",
        version="V1",
        adopted_on=timezone.localdate(),
        document=Upload("p.pdf", PDF),
        elevators=[world["a"]],
    )


def as_role(client, world, role):
    if role != "anonymous":
        client.force_login(world["users"][role])
    return client


def expect(response, status):
    if status == 302:
        assert response.status_code == 302 and "login" in response["Location"], response.status_code
    else:
        assert response.status_code == status, response.status_code


def page_status(role, allowed):
    if role == "anonymous":
        return 302
    if role not in VIEWERS:
        return 403
    return 200 if role in allowed else 404


class TestPermissionMatrix:
    @pytest.mark.parametrize("role", ROLES)
    @pytest.mark.parametrize("name", ["preparedness:plans", "preparedness:drills", "preparedness:drills_due"])
    @pytest.mark.parametrize("export", ["", "csv", "xlsx"])
    def test_lists_and_exports(self, client, world, held, emergency_plan, role, name, export):
        response = as_role(client, world, role).get(reverse(name), {"export": export} if export else {})
        expect(response, page_status(role, VIEWERS))

    @pytest.mark.parametrize("role", sorted(VIEWERS))
    def test_lists_show_only_the_scope(self, client, world, held, emergency_plan, role):
        as_role(client, world, role)
        drills = client.get(reverse("preparedness:drills")).context["page"].paginator.count
        plans = client.get(reverse("preparedness:plans")).context["page"].paginator.count
        assert drills == 1
        assert plans == 1  # the firm reads the plans covering elevators it maintains (access.emergency_plans_for)

    @pytest.mark.parametrize("role", ["use_unit_b", "maintenance_b"])
    def test_other_use_units_and_firms_see_none(self, client, world, held, emergency_plan, role):
        as_role(client, world, role)
        for name in ("preparedness:drills", "preparedness:plans"):
            assert client.get(reverse(name)).context["page"].paginator.count == 0
        assert world["a"].pk not in {e.pk for e in client.get(reverse("preparedness:drills_due")).context["page"]}

    @pytest.mark.parametrize("role", [*ROLES, "use_unit_b", "maintenance_b"])
    @pytest.mark.parametrize(
        "name", ["preparedness:drill_detail", "preparedness:drill_record", "preparedness:drill_cancel"]
    )
    def test_a_drill_and_its_actions(self, client, world, drill, role, name):
        response = as_role(client, world, role).get(reverse(name, args=[drill.pk]))
        if role in ("use_unit_b", "maintenance_b"):
            assert response.status_code == 404
        else:
            expect(response, page_status(role, VIEWERS))

    @pytest.mark.parametrize("role", [*ROLES, "use_unit_b", "maintenance_b"])
    def test_a_drill_photo(self, client, world, held, role):
        photo = held.photos.get()
        response = as_role(client, world, role).get(reverse("preparedness:drill_photo", args=[photo.pk]))
        if role in ("use_unit_b", "maintenance_b"):
            assert response.status_code == 404
        else:
            expect(response, page_status(role, VIEWERS))
        if response.status_code == 200:
            assert response["Content-Type"] == "image/jpeg"

    @pytest.mark.parametrize("role", [*ROLES, "use_unit_b", "maintenance_b"])
    @pytest.mark.parametrize("name", ["preparedness:plan_detail", "preparedness:plan_document"])
    def test_a_plan_and_its_document(self, client, world, emergency_plan, role, name):
        response = as_role(client, world, role).get(reverse(name, args=[emergency_plan.pk]))
        if role in ("use_unit_b", "maintenance_b"):
            assert response.status_code == 404  # another use unit's plan, or one covering none of the firm's elevators
        else:
            expect(response, page_status(role, VIEWERS))
        if response.status_code == 200 and name.endswith("document"):
            assert response["Content-Type"] == "application/pdf"

    @pytest.mark.parametrize(
        ("role", "status"),
        [
            ("anonymous", 302),
            ("city", 200),
            ("district", 200),
            ("use_unit", 200),
            ("maintenance", 403),
            ("inspection", 403),
            ("department", 403),
            ("rescue_centre", 403),
        ],
    )
    def test_who_opens_the_new_plan_form(self, client, world, role, status):
        expect(as_role(client, world, role).get(reverse("preparedness:plan_new")), status)

    @pytest.mark.parametrize(
        ("role", "status"),
        [
            ("anonymous", 302),
            ("city", 200),
            ("district", 200),
            ("use_unit", 200),
            ("maintenance", 200),
            ("inspection", 403),
            ("department", 403),
            ("rescue_centre", 403),
        ],
    )
    def test_who_opens_the_new_drill_form(self, client, world, role, status):
        expect(as_role(client, world, role).get(reverse("preparedness:drill_new")), status)

    @pytest.mark.parametrize(
        ("role", "status"),
        [
            ("anonymous", (401, 403)),
            ("city", (200,)),
            ("district", (200,)),
            ("use_unit", (200,)),
            ("maintenance", (200,)),
            ("inspection", (403,)),
            ("department", (403,)),
            ("rescue_centre", (403,)),
        ],
    )
    @pytest.mark.parametrize("url", ["/api/v1/drills/", "/api/v1/emergency-plans/"])
    def test_api_lists(self, client, world, held, emergency_plan, role, status, url):
        assert as_role(client, world, role).get(url).status_code in status

    @pytest.mark.parametrize("role", ["city", "district", "use_unit", "maintenance", "use_unit_b", "maintenance_b"])
    def test_api_detail_and_record_out_of_scope_is_404(self, client, world, drill, role):
        as_role(client, world, role)
        detail = client.get(f"/api/v1/drills/{drill.pk}/")
        body = {"held_on": str(timezone.localdate()), "use_unit_participants": "甲", "firm_participants": "乙"}
        body["release_minutes"] = 5
        recorded = client.post(f"/api/v1/drills/{drill.pk}/record/", body, content_type="application/json")
        if role.endswith("_b"):
            assert detail.status_code == recorded.status_code == 404
        else:
            assert detail.status_code == 200 and recorded.status_code == 200, recorded.content
            assert recorded.json()["status"] == DrillStatus.HELD


class TestDrillPages:
    def test_plan_a_drill_then_record_it_with_photos(self, client, world):
        client.force_login(world["users"]["maintenance"])
        response = client.post(
            reverse("preparedness:drill_new"),
            {"planned_on": str(timezone.localdate()), "scenario": "entrapment", "elevators": [world["a"].pk]},
        )
        drill = Drill.objects.get()
        assert response.status_code == 302 and drill.firm == world["firm_a"] and drill.use_unit == world["use_a"]
        url = reverse("preparedness:drill_record", args=[drill.pk])
        form = client.get(url).content.decode()
        assert "每张最大10MB" in form  # the limit is said before the upload
        # A failed submit: the photos are named so the user chooses them again.
        bad = client.post(
            url,
            {
                "held_on": str(timezone.localdate()),
                "use_unit_participants": "",
                "firm_participants": "王师傅",
                "release_minutes": 8,
                "photos": [_file("现场1.jpg", real_jpeg())],
            },
        )
        body = bad.content.decode()
        assert bad.status_code == 200 and "照片未保存，请重新选择" in body and "现场1.jpg" in body
        assert 'href="#id_use_unit_participants">使用单位参加人员：' in body  # the summary links to the field
        good = client.post(
            url,
            {
                "held_on": str(timezone.localdate()),
                "use_unit_participants": "陈安全",
                "firm_participants": "王师傅",
                "release_minutes": 8,
                "photos": [_file("现场1.jpg", real_jpeg()), _file("现场2.png", _png())],
            },
        )
        assert good.status_code == 302
        drill.refresh_from_db()
        assert drill.status == DrillStatus.HELD and drill.photos.count() == 2
        world["a"].refresh_from_db()
        assert world["a"].last_drill_on == timezone.localdate()
        # Recording it again is refused with a clear message.
        again = client.get(url, follow=True)
        assert "不能再记录" in again.content.decode()

    def test_a_non_photo_is_refused_naming_it(self, client, world, drill):
        client.force_login(world["users"]["use_unit"])
        response = client.post(
            reverse("preparedness:drill_record", args=[drill.pk]),
            {
                "held_on": str(timezone.localdate()),
                "use_unit_participants": "甲",
                "firm_participants": "乙",
                "release_minutes": 3,
                "photos": [_file("a.jpg", PDF)],
            },
        )
        body = response.content.decode()
        assert "“a.jpg”不是JPEG或PNG照片" in body and "照片未保存，请重新选择" in body

    def test_cancel_with_reason(self, client, world, drill):
        client.force_login(world["users"]["use_unit"])
        url = reverse("preparedness:drill_cancel", args=[drill.pk])
        assert "取消原因" in client.post(url, {"reason": ""}).content.decode()
        response = client.post(url, {"reason": "暴雨停电，改期"}, follow=True)
        assert "暴雨停电，改期" in response.content.decode()
        drill.refresh_from_db()
        assert drill.status == DrillStatus.CANCELLED

    def test_a_regulator_picks_the_use_unit_first(self, client, world):
        client.force_login(world["users"]["district"])
        first = client.get(reverse("preparedness:drill_new")).content.decode()
        assert "先选择使用单位" in first and world["use_a"].name in first and world["use_b"].name not in first
        form = client.get(reverse("preparedness:drill_new"), {"use_unit": world["use_a"].pk}).content.decode()
        assert world["a"].registration_code in form
        assert client.get(reverse("preparedness:drill_new"), {"use_unit": world["use_b"].pk}).status_code == 404

    def test_a_firm_with_many_elevators_picks_the_use_unit_first(self, client, world, monkeypatch):
        from preparedness.views import drills as views

        monkeypatch.setattr(views, "FIRM_PICKS_UNIT_ABOVE", 0)
        other = ElevatorFactory(maintenance_firm=world["firm_a"])
        client.force_login(world["users"]["maintenance"])
        first = client.get(reverse("preparedness:drill_new")).content.decode()
        assert "先选择使用单位" in first and world["use_a"].name in first and other.use_unit.name in first
        assert world["use_b"].name not in first  # not a use unit it maintains for
        form = client.get(reverse("preparedness:drill_new"), {"use_unit": world["use_a"].pk}).content.decode()
        assert world["a"].registration_code in form and other.registration_code not in form
        assert client.get(reverse("preparedness:drill_new"), {"use_unit": world["use_b"].pk}).status_code == 404

    @pytest.mark.parametrize("role", ["city", "district", "use_unit", "maintenance"])
    def test_linked_from_an_elevator_the_form_has_it_ticked(self, client, world, role):
        client.force_login(world["users"][role])
        form = client.get(reverse("preparedness:drill_new"), {"elevator": world["a"].pk}).context["form"]
        assert [e.pk for e in form.initial["elevators"]] == [world["a"].pk]
        assert "checked" in str(form["elevators"])

    def test_drills_of_two_use_units_at_once_are_refused(self, client, world):
        other = ElevatorFactory(maintenance_firm=world["firm_a"])
        client.force_login(world["users"]["maintenance"])
        response = client.post(
            reverse("preparedness:drill_new"),
            {"planned_on": str(timezone.localdate()), "scenario": "fire", "elevators": [world["a"].pk, other.pk]},
        )
        assert "一次演练只能包含同一使用单位的电梯" in response.content.decode()
        assert not Drill.objects.exists()

    def test_filters_and_an_elevators_history(self, client, world, held):
        client.force_login(world["users"]["city"])
        url = reverse("preparedness:drills")
        assert client.get(url, {"status": "held"}).context["page"].paginator.count == 1
        assert client.get(url, {"status": "planned"}).context["page"].paginator.count == 0
        assert client.get(url, {"scenario": "fire"}).context["page"].paginator.count == 0
        assert client.get(url, {"district": world["a"].district_id}).context["page"].paginator.count == 1
        assert client.get(url, {"district": world["b"].district_id}).context["page"].paginator.count == 0
        today = timezone.localdate()
        assert client.get(url, {"since": str(today), "until": str(today)}).context["page"].paginator.count == 1
        assert client.get(url, {"since": str(today + timedelta(days=1))}).context["page"].paginator.count == 0
        assert client.get(url, {"elevator_id": world["a"].pk}).context["page"].paginator.count == 1
        assert client.get(url, {"elevator_id": world["b"].pk}).context["page"].paginator.count == 0
        csv = b"".join(client.get(url, {"export": "csv"}).streaming_content).decode("utf-8-sig")
        assert world["a"].registration_code in csv and "陈安全" in csv


class TestApiDrills:
    def test_plan_record_cancel(self, client, world):
        client.force_login(world["users"]["maintenance"])
        body = {"elevators": [world["a"].pk], "planned_on": str(timezone.localdate()), "scenario": "entrapment"}
        created = client.post("/api/v1/drills/", body, content_type="application/json")
        assert created.status_code == 201, created.content
        pk = created.json()["id"]
        assert created.json()["firm"] == world["firm_a"].pk
        record = client.post(
            f"/api/v1/drills/{pk}/record/",
            {
                "held_on": str(timezone.localdate()),
                "use_unit_participants": "陈安全",
                "firm_participants": "王师傅",
                "release_minutes": 7,
                "photos": [_file("a.jpg", real_jpeg())],
            },
        )
        assert record.status_code == 200, record.content
        assert len(record.json()["photos"]) == 1
        twice = client.post(f"/api/v1/drills/{pk}/cancel/", {"reason": "x"}, content_type="application/json")
        assert twice.status_code == 400 and "status" in twice.json()
        client.force_login(world["users"]["maintenance_b"])
        assert client.post("/api/v1/drills/", body, content_type="application/json").status_code == 400


class TestDueList:
    def test_counts_exactly_what_the_rules_count(self, client, world):
        today = timezone.localdate()
        extra = [ElevatorFactory(district=world["a"].district, use_unit=world["use_a"]) for _ in range(3)]
        Elevator.objects.filter(pk=extra[0].pk).update(last_drill_on=today - timedelta(days=400))  # overdue
        Elevator.objects.filter(pk=extra[1].pk).update(last_drill_on=today - timedelta(days=170))  # due soon
        Elevator.objects.filter(pk=extra[2].pk).update(last_drill_on=today)  # ok
        client.force_login(world["users"]["city"])
        url = reverse("preparedness:drills_due")
        expected: dict[str, set] = {s: set() for s in ("overdue", "due_soon", "ok")}
        for e in Elevator.objects.filter(status="in_use", district=world["a"].district):
            counted = drill_counted_from(
                last_drill_on=e.last_drill_on,
                commission_date=e.commission_date,
                registered_on=timezone.localdate(e.created_at),
            )
            expected[drill_state(counted_from=counted, today=today)].add(e.pk)
        for state, pks in expected.items():
            page = client.get(url, {"district": world["a"].district_id, "state": state}).context["page"]
            assert {e.pk for e in page.object_list} == pks, state
        assert extra[0].pk in expected[ComplianceState.OVERDUE]
        assert extra[1].pk in expected[ComplianceState.DUE_SOON]
        assert client.get(url, {"state": "nonsense"}).status_code == 200  # an unknown state filters nothing

    def test_a_firm_sees_the_elevators_it_maintains(self, client, world):
        client.force_login(world["users"]["maintenance"])
        page = client.get(reverse("preparedness:drills_due")).context["page"]
        assert [e.pk for e in page.object_list] == [world["a"].pk]


class TestQueryCounts:
    def _drills(self, world, n):
        for i in range(n):
            emergency_plan_file(
                user=world["users"]["use_unit"],
                use_unit=world["use_a"],
                title="预案",
                version=f"V{EmergencyPlan.objects.count() + 1}",
                adopted_on=date(2026, 10, 1),
                document=Upload("p.pdf", PDF),
                elevators=[world["a"]],
            )
            e = ElevatorFactory(use_unit=world["use_a"], maintenance_firm=world["firm_a"])
            d = drill_plan(
                user=world["users"]["use_unit"],
                use_unit=world["use_a"],
                planned_on=date(2026, 11, 1) + timedelta(days=i),
                scenario=DrillScenario.FIRE,
                elevators=[e, world["a"]],
            )
            drill_record(
                user=world["users"]["use_unit"],
                drill=d,
                held_on=date(2026, 11, 1) + timedelta(days=i),
                use_unit_participants="甲",
                firm_participants="乙",
                release_minutes=None,
                findings="",
                improvements="",
                photos=[Upload("p.jpg", real_jpeg())],
                today=date(2026, 12, 1),
            )

    def test_lists_do_not_grow_with_rows(self, client, world, django_assert_num_queries):
        client.force_login(world["users"]["city"])
        self._drills(world, 1)
        for n in (1, 4):
            if n == 4:
                self._drills(world, 3)
            # session, user, count, page of drills joined to use unit, firm and plan, their elevators (prefetch),
            # the districts of the filter, unread notifications
            with django_assert_num_queries(7):
                client.get(reverse("preparedness:drills"))
            # session, user, count, page of elevators joined to district, use unit and firm, districts, unread
            with django_assert_num_queries(6):
                client.get(reverse("preparedness:drills_due"))
            # session, user, count, page of plans, districts, unread
            with django_assert_num_queries(6):
                client.get(reverse("preparedness:plans"))
            # session, user, count, page of drills with their joins, their elevators and photos (prefetches)
            with django_assert_num_queries(6):
                assert client.get("/api/v1/drills/").json()["count"] == n
            # session, user, count, page of plans, their elevators (prefetch)
            with django_assert_num_queries(5):
                client.get("/api/v1/emergency-plans/")


def _file(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def _png():
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(out, format="PNG")
    return out.getvalue()
