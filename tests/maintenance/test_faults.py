"""Faults and entrapment rescue: the rules (TSG T5002 §5 arrival limits, 条例 §64 accidents), the services,
the statistics, the pages and the API, scoping by role, and query counts."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from maintenance.choices import FaultCause, FaultKind, FaultSource
from maintenance.faults import rules, selectors, services
from maintenance.filtersets import FaultFilterSet
from maintenance.models import Fault

from ..factories import FaultFactory, OrganizationFactory, bulk_elevators


def entrapment(elevator, *, arrived_after=None, released_after=None, **extra) -> Fault:
    """An entrapment reported three hours ago, with arrival and release given in minutes after the report."""
    fault = FaultFactory.build(elevator=elevator, entrapment=True, **extra)
    if arrived_after is not None:
        fault.arrived_at = fault.reported_at + timedelta(minutes=arrived_after)
    if released_after is not None:
        fault.released_at = fault.reported_at + timedelta(minutes=released_after)
    fault.save()
    return fault


def login(client, user):
    client.force_login(user)
    return client


TODAY = timezone.localdate()
MONTH = (TODAY - timedelta(days=29), TODAY)


# ---------------------------------------------------------------- rules


@pytest.mark.django_db
@pytest.mark.parametrize(
    "code, limit",
    [("510402", 30), ("510403", 30), ("510411", 30), ("510421", 60), ("510422", 60), ("510400", 60), (None, 60)],
)
def test_arrival_limit_is_30_minutes_in_city_districts_and_60_in_the_counties(code, limit):
    assert rules.arrival_limit_minutes(code) == limit


@pytest.mark.django_db
@pytest.mark.parametrize(
    "key, minutes, in_time",
    [("a", 29, True), ("a", 30, True), ("a", 31, False), ("b", 59, True), ("b", 60, True), ("b", 61, False)],
)
def test_arrival_within_limit_edges_per_district(world, key, minutes, in_time):
    # a is in 东区 (30 minutes), b in 米易县 (60 minutes); arriving exactly at the limit is in time.
    fault = entrapment(world[key], arrived_after=minutes)
    fault = Fault.objects.select_related("elevator__district").get(pk=fault.pk)
    assert rules.arrival_minutes(fault) == minutes
    assert rules.arrived_within_limit(fault) is in_time
    # The database aggregate applies the same rule.
    stats = selectors.fault_statistics(user=world["users"]["city"], since=MONTH[0], until=MONTH[1])
    row = next(r for r in stats.rows if r.district_id == world[key].district_id)
    assert (row.entrapments, row.within_limit, row.late) == (1, int(in_time), int(not in_time))
    late = selectors.late_entrapments(user=world["users"]["city"], since=MONTH[0], until=MONTH[1])
    assert list(late) == ([] if in_time else [fault])


@pytest.mark.django_db
def test_arrival_limit_is_for_entrapments_and_unknown_until_arrival(world):
    assert rules.arrived_within_limit(entrapment(world["a"])) is None
    assert (
        rules.arrived_within_limit(entrapment(world["a"], kind=FaultKind.DOOR, trapped_people=0, arrived_after=90))
        is None
    )


@pytest.mark.django_db
@pytest.mark.parametrize("minutes, accident", [(119, False), (120, True), (121, True)])
def test_trapped_two_hours_or_more_is_an_accident(world, minutes, accident):
    fault = entrapment(world["a"], arrived_after=20, released_after=minutes)
    assert rules.is_accident(fault) is accident
    found = selectors.accidents_by_firm(since=MONTH[0], until=MONTH[1])
    assert found == ({world["firm_a"].pk: [fault]} if accident else {})


@pytest.mark.django_db
def test_an_entrapment_open_under_two_hours_and_long_repairs_are_not_accidents(world):
    still_trapped = entrapment(world["a"], reported_at=timezone.now() - timedelta(minutes=100))
    long_repair = entrapment(world["a"], kind=FaultKind.STOPPED, trapped_people=0, released_after=600)
    assert not rules.is_accident(still_trapped) and not rules.is_accident(long_repair)
    assert selectors.accidents_by_firm(since=MONTH[0], until=MONTH[1]) == {}


@pytest.mark.django_db
def test_failures_by_firm_leave_out_external_causes_and_stay_with_the_firm_of_the_time(world):
    entrapment(world["a"], cause=FaultCause.DOOR_SYSTEM)
    entrapment(world["a"], cause=FaultCause.UNKNOWN, kind=FaultKind.STOPPED, trapped_people=0)
    entrapment(world["a"], cause=FaultCause.EXTERNAL)  # a power cut is not the firm's failure
    entrapment(world["b"], cause=FaultCause.CONTROL_SYSTEM, reported_at=timezone.now() - timedelta(days=60))
    # The elevator changes firm afterwards: its past faults stay with firm A.
    world["a"].maintenance_firm = world["firm_b"]
    world["a"].save()
    assert selectors.failures_by_firm(since=MONTH[0], until=MONTH[1]) == {world["firm_a"].pk: 2}
    assert selectors.failures_by_firm(since=TODAY - timedelta(days=90), until=TODAY) == {
        world["firm_a"].pk: 2,
        world["firm_b"].pk: 1,
    }


# ---------------------------------------------------------------- services


@pytest.mark.django_db
def test_report_charges_the_elevators_firm_at_that_time(world):
    fault = services.fault_report(
        user=world["users"]["use_unit"],
        elevator=world["a"],
        source=FaultSource.COMPLAINT,
        kind=FaultKind.ENTRAPMENT,
        reported_at=timezone.now(),
        trapped_people=2,
    )
    assert fault.firm == world["firm_a"] and fault.created_by == world["users"]["use_unit"]
    assert fault.cause == FaultCause.UNKNOWN
    world["a"].maintenance_firm = world["firm_b"]
    world["a"].save()
    fault.refresh_from_db()
    assert fault.firm == world["firm_a"]
    assert fault.history.first().history_user == world["users"]["use_unit"]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["maintenance_b", "use_unit_b", "inspection", "department"])
def test_report_is_refused_outside_the_elevators_parties(world, who):
    with pytest.raises(PermissionDenied, match="只有该电梯的维保单位、使用单位或辖区监管部门可以登记故障"):
        services.fault_report(
            user=world["users"][who],
            elevator=world["a"],
            source=FaultSource.FIRM,
            kind=FaultKind.DOOR,
            reported_at=timezone.now(),
        )


@pytest.mark.django_db
def test_report_refuses_future_times_contradictions_and_duplicates(world):
    user, now = world["users"]["maintenance"], timezone.now()
    base = {"user": user, "elevator": world["a"], "source": FaultSource.IOT}
    with pytest.raises(ValidationError) as exc:
        services.fault_report(**base, kind=FaultKind.ENTRAPMENT, reported_at=now + timedelta(hours=1))
    assert exc.value.message_dict == {"reported_at": ["报告时间不能晚于当前时间。"]}
    with pytest.raises(ValidationError) as exc:
        services.fault_report(**base, kind=FaultKind.DOOR, reported_at=now, trapped_people=2)
    assert exc.value.message_dict == {"kind": ["有人被困时，故障类型应为“困人”。"]}
    first = services.fault_report(**base, kind=FaultKind.ENTRAPMENT, reported_at=now, external_ref="IOT-1")
    with pytest.raises(ValidationError) as exc:
        services.fault_report(**base, kind=FaultKind.ENTRAPMENT, reported_at=now, external_ref="IOT-1")
    assert exc.value.message_dict == {"external_ref": [f"外部编号“IOT-1”已登记（故障 #{first.pk}），请勿重复上报。"]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "times, field, message",
    [
        ({"dispatched_at": -5}, "dispatched_at", "派出时间不能早于报告时间"),
        ({"dispatched_at": 10, "arrived_at": 5}, "arrived_at", "到达时间不能早于派出时间"),
        ({"arrived_at": 20, "released_at": 15}, "released_at", "解救/恢复时间不能早于到达时间"),
        ({"released_at": 60 * 24}, "released_at", "解救/恢复时间不能晚于当前时间"),
    ],
)
def test_timings_out_of_order_are_refused_naming_the_field(world, times, field, message):
    fault = entrapment(world["a"])
    values = {f: fault.reported_at + timedelta(minutes=m) for f, m in times.items()}
    with pytest.raises(ValidationError) as exc:
        services.fault_update_timings(user=world["users"]["maintenance"], fault=fault, **values)
    assert list(exc.value.message_dict) == [field] and message in exc.value.message_dict[field][0]
    fault.refresh_from_db()
    assert fault.dispatched_at is None and fault.arrived_at is None and fault.released_at is None


@pytest.mark.django_db
def test_an_earlier_step_written_later_is_checked_against_the_recorded_ones(world):
    fault = entrapment(world["a"], arrived_after=20)
    with pytest.raises(ValidationError) as exc:
        services.fault_update_timings(
            user=world["users"]["maintenance"], fault=fault, dispatched_at=fault.reported_at + timedelta(minutes=25)
        )
    assert list(exc.value.message_dict) == ["dispatched_at"]
    assert "派出时间不能晚于到达时间" in exc.value.message_dict["dispatched_at"][0]


@pytest.mark.django_db
def test_timings_in_steps_with_gaps_and_the_cause(world):
    fault = entrapment(world["a"])
    user = world["users"]["maintenance"]
    services.fault_update_timings(user=user, fault=fault, arrived_at=fault.reported_at + timedelta(minutes=12))
    services.fault_update_timings(
        user=user, fault=fault, released_at=fault.reported_at + timedelta(minutes=30), cause=FaultCause.DOOR_SYSTEM
    )
    fault.refresh_from_db()
    assert fault.dispatched_at is None and fault.cause == FaultCause.DOOR_SYSTEM
    assert rules.arrival_minutes(fault) == 12


@pytest.mark.django_db
def test_a_recorded_time_is_corrected_only_by_a_regulator(world):
    fault = entrapment(world["a"], arrived_after=45)
    earlier = fault.reported_at + timedelta(minutes=25)
    with pytest.raises(ValidationError, match="到达时间已记录为"):
        services.fault_update_timings(user=world["users"]["maintenance"], fault=fault, arrived_at=earlier)
    # Sending the same value again (a retry) is fine.
    services.fault_update_timings(user=world["users"]["maintenance"], fault=fault, arrived_at=fault.arrived_at)
    services.fault_update_timings(user=world["users"]["district"], fault=fault, arrived_at=earlier)
    fault.refresh_from_db()
    assert fault.arrived_at == earlier
    assert fault.history.first().history_user == world["users"]["district"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who, allowed",
    [
        ("maintenance", True),
        ("use_unit", True),
        ("district", True),
        ("city", True),
        ("maintenance_b", False),
        ("use_unit_b", False),
        ("inspection", False),
        ("department", False),
    ],
)
def test_who_may_update_timings(world, who, allowed):
    fault = entrapment(world["a"])

    def call():
        return services.fault_update_timings(
            user=world["users"][who], fault=fault, arrived_at=fault.reported_at + timedelta(minutes=10)
        )

    if allowed:
        call()
        fault.refresh_from_db()
        assert fault.arrived_at is not None
    else:
        with pytest.raises(PermissionDenied):
            call()


@pytest.mark.django_db
def test_the_new_firm_sees_but_does_not_update_the_old_firms_fault(world):
    fault = entrapment(world["a"])
    world["a"].maintenance_firm = world["firm_b"]
    world["a"].save()
    from accounts import access

    assert fault in access.faults_for(world["users"]["maintenance_b"])
    assert not access.can_update_fault(world["users"]["maintenance_b"], fault)
    assert access.can_update_fault(world["users"]["maintenance"], fault)


# ---------------------------------------------------------------- statistics


@pytest.mark.django_db
def test_statistics_are_zero_safe_without_elevators_or_faults(districts, django_assert_num_queries):
    from accounts.choices import Role

    from ..factories import user_with_role

    city = user_with_role(Role.CITY_REGULATOR)
    with django_assert_num_queries(3):  # elevators in use per district, entrapment aggregates, districts
        stats = selectors.fault_statistics(user=city, since=MONTH[0], until=MONTH[1])
    assert [r.code for r in stats.rows] == ["510402", "510403", "510411", "510421", "510422"]
    assert [r.limit_minutes for r in stats.rows] == [30, 30, 30, 60, 60]
    for row in stats.rows + [stats.total]:
        assert (row.elevators, row.entrapments, row.within_limit, row.accidents) == (0, 0, 0, 0)
        assert row.within_rate is None and row.mean_arrival_minutes is None and row.per_100_per_month is None
    # An empty or reversed period does not divide by zero either.
    stats = selectors.fault_statistics(user=city, since=TODAY, until=TODAY - timedelta(days=3))
    assert stats.months == 0 and stats.total.per_100_per_month is None


@pytest.mark.django_db
def test_statistics_with_elevators_but_no_faults(world):
    stats = selectors.fault_statistics(user=world["users"]["city"], since=MONTH[0], until=MONTH[1])
    assert stats.total.elevators == 2 and stats.total.per_100_per_month == 0
    assert stats.total.within_rate is None and stats.total.mean_arrival_minutes is None


@pytest.mark.django_db
def test_statistics_per_district_and_city(world, django_assert_num_queries):
    a, b = world["a"], world["b"]
    bulk_elevators(3, district=a.district)  # 东区: 4 elevators in use
    bulk_elevators(1, district=a.district, status="scrapped")  # not in use: not in the denominator
    entrapment(a, arrived_after=20, released_after=40)
    entrapment(a, arrived_after=40, released_after=130)  # late and an accident
    entrapment(a, released_after=60)  # no arrival recorded: not in time
    entrapment(a, kind=FaultKind.DOOR, trapped_people=0, arrived_after=90)  # not an entrapment
    entrapment(a, reported_at=timezone.now() - timedelta(days=45), arrived_after=5)  # outside the period
    entrapment(b, arrived_after=50, released_after=70)  # 米易县: in time within 60 minutes
    with django_assert_num_queries(3):
        stats = selectors.fault_statistics(user=world["users"]["city"], since=MONTH[0], until=MONTH[1])
    rows = {r.code: r for r in stats.rows}
    dongqu, miyi, months = rows["510402"], rows["510421"], 30 / rules.DAYS_PER_MONTH
    assert (dongqu.elevators, dongqu.entrapments, dongqu.arrived, dongqu.within_limit) == (4, 3, 2, 1)
    assert (dongqu.late, dongqu.not_arrived, dongqu.accidents) == (1, 1, 1)
    assert dongqu.within_rate == pytest.approx(1 / 3) and dongqu.mean_arrival_minutes == pytest.approx(30)
    assert dongqu.per_100_per_month == pytest.approx(3 * 100 / 4 / months)
    assert (miyi.limit_minutes, miyi.within_limit, miyi.within_rate) == (60, 1, 1.0)
    assert rows["510403"].entrapments == 0 and rows["510403"].within_rate is None
    total = stats.total
    assert (total.elevators, total.entrapments, total.within_limit, total.accidents) == (5, 4, 2, 1)
    assert total.within_rate == 0.5 and total.mean_arrival_minutes == pytest.approx((20 + 40 + 50) / 3)
    assert total.per_100_per_month == pytest.approx(4 * 100 / 5 / months)

    # A district regulator gets the district's row only.
    district = selectors.fault_statistics(user=world["users"]["district"], since=MONTH[0], until=MONTH[1])
    assert [r.code for r in district.rows] == ["510402"] and district.total.entrapments == 3


# ---------------------------------------------------------------- pages


@pytest.mark.django_db
def test_phone_report_by_rescue_code_then_one_tap_steps(client, world):
    c = login(client, world["users"]["maintenance"])
    page = c.get(reverse("faults:new"))
    assert page.status_code == 200 and "96333" in page.content.decode()
    response = c.post(
        reverse("faults:new"),
        {
            "elevator_code": world["a"].rescue_code,
            "kind": "entrapment",
            "trapped_people": 2,
            "source": "hotline",
            "cause": "unknown",
            "reported_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
        follow=True,
    )
    fault = Fault.objects.get()
    assert fault.elevator == world["a"] and fault.firm == world["firm_a"] and fault.trapped_people == 2
    assert "已登记困人" in response.content.decode()
    for step, label in (("dispatched", "已派出"), ("arrived", "已到达"), ("released", "已解救")):
        assert f'value="{step}">{label}<' in c.get(reverse("faults:detail", args=[fault.pk])).content.decode()
        c.post(reverse("faults:stamp", args=[fault.pk]), {"step": step})
    fault.refresh_from_db()
    assert fault.reported_at <= fault.dispatched_at <= fault.arrived_at <= fault.released_at
    # A second tap does not move the time.
    released = fault.released_at
    body = c.post(reverse("faults:stamp", args=[fault.pk]), {"step": "released"}, follow=True).content.decode()
    assert "解救/恢复时间已记录为" in body
    fault.refresh_from_db()
    assert fault.released_at == released


@pytest.mark.django_db
def test_report_form_refuses_an_elevator_outside_the_users_scope(client, world):
    c = login(client, world["users"]["maintenance"])
    body = c.post(
        reverse("faults:new"),
        {
            "elevator_code": world["b"].registration_code,
            "kind": "door",
            "trapped_people": 0,
            "source": "firm",
            "cause": "unknown",
            "reported_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
    ).content.decode()
    assert "注册代码或应急救援识别码：未找到代码为" in body and "不在您的管辖范围内" in body
    assert not Fault.objects.exists()


@pytest.mark.django_db
def test_detail_form_shows_out_of_order_times_on_the_field(client, world):
    fault = entrapment(world["a"], arrived_after=20)
    c = login(client, world["users"]["use_unit"])
    dispatched = timezone.localtime(fault.reported_at + timedelta(minutes=25)).strftime("%Y-%m-%dT%H:%M")
    body = c.post(
        reverse("faults:detail", args=[fault.pk]), {"dispatched_at": dispatched, "cause": "unknown"}
    ).content.decode()
    assert "派出时间：派出时间不能晚于到达时间" in body


@pytest.mark.django_db
def test_firm_b_cannot_read_or_update_firm_as_fault(client, world):
    fault = entrapment(world["a"])
    c = login(client, world["users"]["maintenance_b"])
    assert c.get(reverse("faults:detail", args=[fault.pk])).status_code == 404
    assert c.post(reverse("faults:detail", args=[fault.pk]), {"cause": "external"}).status_code == 404
    assert c.post(reverse("faults:stamp", args=[fault.pk]), {"step": "arrived"}).status_code == 404
    assert c.get(f"/api/v1/faults/{fault.pk}/").status_code == 404
    response = c.post(
        f"/api/v1/faults/{fault.pk}/timings/",
        {"arrived_at": timezone.now().isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert fault.elevator.registration_code not in c.get(reverse("faults:list")).content.decode()
    fault.refresh_from_db()
    assert fault.arrived_at is None and fault.cause == FaultCause.UNKNOWN


ROLES = ["anonymous", "city", "district", "use_unit", "maintenance", "maintenance_b", "inspection", "department"]
# Fault on a: 东区, use unit A, firm A. Fault on b: 米易县, use unit B, firm B.
VISIBLE = {
    "city": {"a", "b"},
    "district": {"a"},
    "use_unit": {"a"},
    "maintenance": {"a"},
    "maintenance_b": {"b"},
    "inspection": set(),
    "department": set(),
}


def client_for(client, world, role):
    return client if role == "anonymous" else login(client, world["users"][role])


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_list_page_matrix(client, world, role):
    entrapment(world["a"])
    entrapment(world["b"])
    response = client_for(client, world, role).get(reverse("faults:list"))
    if role == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif not VISIBLE[role]:
        assert response.status_code == 403  # faults hang off elevators these roles do not see
    else:
        assert response.status_code == 200
        body = response.content.decode()
        assert {k for k in ("a", "b") if world[k].registration_code in body} == VISIBLE[role]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_api_list_matrix(client, world, role):
    entrapment(world["a"])
    entrapment(world["b"])
    response = client_for(client, world, role).get("/api/v1/faults/")
    if role == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    shown = {item["registration_code"] for item in response.json()["results"]}
    assert shown == {world[k].registration_code for k in VISIBLE[role]}


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
def test_statistics_page_is_for_regulators(client, world, role, expected):
    assert client_for(client, world, role).get(reverse("faults:stats")).status_code == expected


@pytest.mark.django_db
def test_statistics_page_shows_limits_and_marks_late_arrivals(client, world):
    late = entrapment(world["a"], arrived_after=31)
    entrapment(world["b"], arrived_after=59)
    c = login(client, world["users"]["city"])
    body = c.get(reverse("faults:stats"), {"since": MONTH[0], "until": MONTH[1]}).content.decode()
    assert "30 分钟" in body and "60 分钟" in body
    assert reverse("faults:detail", args=[late.pk]) in body and "超时到达：31 / 30 分钟" in body
    body = c.get(reverse("faults:stats"), {"since": MONTH[1], "until": MONTH[0]}).content.decode()
    assert "截止日期：截止日期不能早于起始日期。" in body


@pytest.mark.django_db
def test_list_page_filters_and_marks_late_arrivals(client, world):
    late = entrapment(world["a"], arrived_after=45)
    old_door = entrapment(
        world["b"], kind=FaultKind.DOOR, trapped_people=0, reported_at=timezone.now() - timedelta(days=40)
    )
    c = login(client, world["users"]["city"])
    body = c.get(reverse("faults:list")).content.decode()
    assert "超时到达：45 / 30 分钟" in body

    def only(params):
        data = QueryDict(mutable=True)
        data.update(params)
        return {f.pk for f in FaultFilterSet(data, queryset=Fault.objects.all()).qs}

    assert only({"kind": "entrapment"}) == {late.pk}
    assert only({"district": "510421"}) == {old_door.pk}
    assert only({"reported_after": TODAY - timedelta(days=1)}) == {late.pk}
    assert only({"reported_before": TODAY - timedelta(days=30)}) == {old_door.pk}
    body = c.get(reverse("faults:list"), {"kind": "door", "district": "510421"}).content.decode()
    assert world["b"].registration_code in body and world["a"].registration_code not in body


@pytest.mark.django_db
def test_list_page_has_a_constant_query_count(client, world, django_assert_num_queries):
    c = login(client, world["users"]["city"])
    for _ in range(2):
        entrapment(world["a"], arrived_after=20)
    # session, user, count, page of faults joined to elevator, district and firm, districts for the filter,
    # unread-notification count (base template)
    with django_assert_num_queries(6):
        assert c.get(reverse("faults:list")).status_code == 200
    for elevator in bulk_elevators(10, district=world["a"].district, maintenance_firm=world["firm_a"]):
        entrapment(elevator, arrived_after=40)
    with django_assert_num_queries(6):
        body = c.get(reverse("faults:list")).content.decode()
    assert body.count("超时到达：40 / 30 分钟") == 2 * 10  # each row as a phone card and a table row


# ---------------------------------------------------------------- API


@pytest.mark.django_db
def test_api_list_has_a_constant_query_count(client, world, django_assert_num_queries):
    c = login(client, world["users"]["maintenance"])
    entrapment(world["a"])
    # session, user, count, page of faults joined to elevator, district and firm
    with django_assert_num_queries(4):
        assert c.get("/api/v1/faults/").json()["count"] == 1
    for elevator in bulk_elevators(12, district=world["a"].district, maintenance_firm=world["firm_a"]):
        entrapment(elevator)
    with django_assert_num_queries(4):
        assert c.get("/api/v1/faults/").json()["count"] == 13


@pytest.mark.django_db
def test_api_create_from_an_iot_system_by_code(client, world):
    c = login(client, world["users"]["maintenance"])
    reported = (timezone.now() - timedelta(minutes=3)).isoformat()
    response = c.post(
        "/api/v1/faults/",
        {
            "elevator_code": world["a"].registration_code,
            "source": "iot",
            "kind": "entrapment",
            "reported_at": reported,
            "external_ref": "DT-77",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["firm"] == world["firm_a"].pk and data["district"] == "510402"
    assert data["arrival_limit_minutes"] == 30 and data["arrived_within_limit"] is None
    retry = c.post(
        "/api/v1/faults/",
        {
            "elevator": world["a"].pk,
            "source": "iot",
            "kind": "entrapment",
            "reported_at": reported,
            "external_ref": "DT-77",
        },
        content_type="application/json",
    )
    assert retry.status_code == 400 and "external_ref" in retry.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, payload_key, expected",
    [
        ("maintenance", "a", 201),
        ("city", "b", 201),
        ("district", "a", 201),
        ("district", "b", 400),
        ("maintenance_b", "a", 400),
        ("use_unit", "a", 201),
        ("inspection", "a", 400),
        ("anonymous", "a", 401),
    ],
)
def test_api_create_matrix(client, world, role, payload_key, expected):
    response = client_for(client, world, role).post(
        "/api/v1/faults/",
        {
            "elevator": world[payload_key].pk,
            "source": "hotline",
            "kind": "stopped",
            "reported_at": timezone.now().isoformat(),
        },
        content_type="application/json",
    )
    assert response.status_code == expected, response.content
    if expected == 400:
        assert "elevator" in response.json()  # an elevator out of scope is not disclosed


@pytest.mark.django_db
def test_api_timings_in_order_and_refused_out_of_order(client, world):
    fault = entrapment(world["b"])
    c = login(client, world["users"]["maintenance_b"])
    url = f"/api/v1/faults/{fault.pk}/timings/"
    arrived = fault.reported_at + timedelta(minutes=61)
    response = c.post(
        url,
        {
            "dispatched_at": (fault.reported_at + timedelta(minutes=2)).isoformat(),
            "arrived_at": arrived.isoformat(),
            "cause": "control_system",
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["arrived_within_limit"] is False and response.json()["arrival_minutes"] == 61
    response = c.post(
        url, {"released_at": (arrived - timedelta(minutes=1)).isoformat()}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "解救/恢复时间不能早于到达时间" in response.json()["released_at"][0]


@pytest.mark.django_db
def test_api_timings_by_a_viewer_who_may_not_update_is_forbidden(client, world):
    fault = entrapment(world["a"])
    world["a"].maintenance_firm = world["firm_b"]
    world["a"].save()
    c = login(client, world["users"]["maintenance_b"])  # sees the elevator's faults now, but the fault is firm A's
    response = c.post(
        f"/api/v1/faults/{fault.pk}/timings/",
        {"arrived_at": timezone.now().isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 403 and "只有该故障的维保单位" in response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params, keys",
    [
        ({"kind": "entrapment"}, {"a"}),
        ({"kind": ["entrapment", "door"]}, {"a", "b"}),
        ({"source": "iot"}, {"b"}),
        ({"district": "510421"}, {"b"}),
        ({"q": "31105104212015"}, {"b"}),
        ({"q": "IOT-9"}, {"b"}),
    ],
)
def test_api_filters(client, world, params, keys):
    entrapment(world["a"])
    entrapment(world["b"], kind=FaultKind.DOOR, trapped_people=0, source=FaultSource.IOT, external_ref="IOT-9")
    data = login(client, world["users"]["city"]).get("/api/v1/faults/", params).json()
    assert {item["registration_code"] for item in data["results"]} == {world[k].registration_code for k in keys}


@pytest.mark.django_db
def test_api_filters_by_elevator_and_dates(client, world):
    recent = entrapment(world["a"])
    old = entrapment(world["a"], reported_at=timezone.now() - timedelta(days=20))
    c = login(client, world["users"]["city"])

    def ids(**p):
        return {i["id"] for i in c.get("/api/v1/faults/", p).json()["results"]}

    assert ids(elevator_id=world["a"].pk) == {recent.pk, old.pk} and ids(elevator_id=world["b"].pk) == set()
    assert ids(reported_after=TODAY - timedelta(days=10)) == {recent.pk}
    assert ids(reported_before=TODAY - timedelta(days=10)) == {old.pk}
    assert c.get("/api/v1/faults/", {"reported_after": "not-a-date"}).status_code == 400


@pytest.mark.django_db
def test_a_new_firm_of_another_district_is_charged_from_its_first_day(world):
    other = OrganizationFactory(kind="maintenance", district=world["b"].district)
    world["b"].maintenance_firm = other
    world["b"].save()
    fault = services.fault_report(
        user=world["users"]["city"],
        elevator=world["b"],
        source=FaultSource.HOTLINE,
        kind=FaultKind.ENTRAPMENT,
        reported_at=timezone.now(),
        trapped_people=1,
    )
    assert fault.firm == other


@pytest.mark.django_db
def test_only_steps_after_the_latest_recorded_one_can_be_stamped(world):
    fault = entrapment(world["a"])
    assert services.stampable_steps(fault) == ["dispatched", "arrived", "released"]
    fault.arrived_at = fault.reported_at + timedelta(minutes=10)
    assert services.stampable_steps(fault) == ["released"]
    fault.released_at = fault.reported_at + timedelta(minutes=20)
    assert services.stampable_steps(fault) == []


@pytest.mark.django_db
def test_detail_form_after_a_stamp_adds_the_release_without_touching_the_stamped_time(client, world):
    fault = entrapment(world["a"], reported_at=timezone.now() - timedelta(minutes=50))
    c = login(client, world["users"]["maintenance"])
    c.post(reverse("faults:stamp", args=[fault.pk]), {"step": "arrived"})
    fault.refresh_from_db()
    arrived = fault.arrived_at
    shown = timezone.localtime(arrived).strftime("%Y-%m-%dT%H:%M:%S")
    assert f'value="{shown}"' in c.get(reverse("faults:detail", args=[fault.pk])).content.decode()
    response = c.post(
        reverse("faults:detail", args=[fault.pk]),
        {
            "arrived_at": shown,
            "released_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M:%S"),
            "cause": "door_system",
        },
    )
    assert response.status_code == 302
    fault.refresh_from_db()
    assert fault.arrived_at == arrived and fault.released_at is not None and fault.cause == "door_system"


def test_fault_list_exports_what_the_user_may_see(client, world):
    import csv
    import io
    from datetime import timedelta

    from django.utils import timezone

    from maintenance.models import Fault

    now = timezone.now()
    for key in ("a", "b"):
        Fault.objects.create(
            elevator=world[key],
            firm=world[f"firm_{key}"],
            source="firm",
            kind="entrapment",
            reported_at=now - timedelta(hours=1),
        )
    client.force_login(world["users"]["district"])  # 东区: elevator a only
    response = client.get("/faults/", {"export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][0] == "注册代码" and [r[0] for r in rows[1:]] == [world["a"].registration_code]
