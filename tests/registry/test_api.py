from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.choices import Role
from accounts.models import ApiToken

from ..factories import ElevatorFactory, OrganizationFactory, user_with_role

TODAY = timezone.localdate()


@pytest.fixture
def api(client, db):
    client.force_login(user_with_role(Role.CITY_REGULATOR))
    return client


def codes(response):
    return {item["registration_code"] for item in response.json()["results"]}


def test_elevator_list_query_count_does_not_grow_with_rows(api, django_assert_num_queries):
    ElevatorFactory.create_batch(2)
    # session, user, count, one page of elevators joined to district, use unit and firm
    with django_assert_num_queries(4):
        api.get("/api/v1/elevators/")
    ElevatorFactory.create_batch(40)
    with django_assert_num_queries(4):
        response = api.get("/api/v1/elevators/")
    assert response.json()["count"] == 42 and len(response.json()["results"]) == 42


def test_list_pages_by_50(api):
    ElevatorFactory.create_batch(51)
    page1 = api.get("/api/v1/elevators/").json()
    assert len(page1["results"]) == 50 and page1["next"]
    assert len(api.get(page1["next"]).json()["results"]) == 1


def test_filters(api, dongqu, xiqu):
    old = ElevatorFactory(
        district=dongqu, commission_date=TODAY - timedelta(days=6000), building_kind="school", elevator_type="3310"
    )
    new = ElevatorFactory(district=xiqu, commission_date=TODAY - timedelta(days=100), status="suspended")
    expired = ElevatorFactory(district=xiqu, inspection_valid_until=TODAY - timedelta(days=1))
    assert codes(api.get("/api/v1/elevators/", {"district": "510402"})) == {old.registration_code}
    assert codes(api.get("/api/v1/elevators/", {"district_id": xiqu.pk})) == {
        new.registration_code,
        expired.registration_code,
    }
    assert codes(api.get("/api/v1/elevators/", {"elevator_type": "3310"})) == {old.registration_code}
    assert codes(api.get("/api/v1/elevators/", {"status": "suspended"})) == {new.registration_code}
    assert codes(api.get("/api/v1/elevators/", {"building_kind": "school"})) == {old.registration_code}
    assert codes(api.get("/api/v1/elevators/", {"use_unit_id": old.use_unit_id})) == {old.registration_code}
    assert codes(api.get("/api/v1/elevators/", {"maintenance_firm_id": new.maintenance_firm_id})) == {
        new.registration_code
    }
    before = (TODAY - timedelta(days=15 * 365)).isoformat()
    assert codes(api.get("/api/v1/elevators/", {"commissioned_before": before})) == {old.registration_code}
    after = (TODAY - timedelta(days=200)).isoformat()
    assert codes(api.get("/api/v1/elevators/", {"commissioned_after": after})) == {new.registration_code}
    assert codes(api.get("/api/v1/elevators/", {"inspection_status": "expired"})) == {expired.registration_code}


def test_type_and_district_filters_take_several_values(api, dongqu, xiqu):
    lift = ElevatorFactory(elevator_type="3110", district=dongqu)
    escalator = ElevatorFactory(elevator_type="3310", district=xiqu)
    ElevatorFactory(elevator_type="3120", district=dongqu)
    assert codes(api.get("/api/v1/elevators/", {"elevator_type": ["3110", "3310"]})) == {
        lift.registration_code,
        escalator.registration_code,
    }
    assert codes(api.get("/api/v1/elevators/", {"district": ["510402", "510403"], "elevator_type": "3310"})) == {
        escalator.registration_code
    }
    response = api.get("/api/v1/elevators/", {"district": "999999"})
    assert response.status_code == 400 and "district" in response.json()


def test_bad_filter_value_is_a_clear_400(api):
    response = api.get("/api/v1/elevators/", {"commissioned_after": "not-a-date"})
    assert response.status_code == 400 and "commissioned_after" in response.json()


def test_q_search(api):
    a = ElevatorFactory(address="仁和区宝兴路5号", rescue_code="54321")
    ElevatorFactory(address="米易县新河街1号")
    assert codes(api.get("/api/v1/elevators/", {"q": "宝兴路"})) == {a.registration_code}
    assert codes(api.get("/api/v1/elevators/", {"q": "54321"})) == {a.registration_code}
    assert codes(api.get("/api/v1/elevators/", {"q": a.registration_code[:12]})) >= {a.registration_code}
    assert codes(api.get("/api/v1/elevators/", {"q": a.use_unit.name})) == {a.registration_code}


@pytest.mark.parametrize("text", ["阳光", "光", "阳光花园", "ab", "AB", "Ab5"])
def test_q_search_of_every_length_matches_like_icontains(api, text):
    """Two characters go through the bigram index on PostgreSQL (pg_trgm needs three): same answers as icontains."""
    address = ElevatorFactory(address="东区阳光花园3栋aB5号")
    building = ElevatorFactory(building_name="阳光花园", address="西区大渡口街2号")
    ElevatorFactory(address="仁和区宝兴路5号", building_name="宝兴苑")
    expected = {
        e.registration_code
        for e in (address, building)
        if text.upper() in e.address.upper() or text.upper() in e.building_name.upper()
    }
    assert expected
    assert codes(api.get("/api/v1/elevators/", {"q": text})) == expected


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the search indexes are PostgreSQL's")
@pytest.mark.parametrize("text", ["炳草岗", "阳光", "5102"])
def test_q_search_and_filters_can_be_answered_from_indexes(db, text):
    """No sequential scan of the registry is needed for `q` of two or more characters or for the filters
    (bench/README.md); with scans forbidden, the plan must still avoid one."""
    from django.http import QueryDict

    from registry.filtersets import ElevatorFilterSet
    from registry.selectors import elevator_list_queryset

    ElevatorFactory.create_batch(3)
    user = user_with_role(Role.CITY_REGULATOR)
    for params in ({"q": text}, {"district": "510402", "elevator_type": "3110"}):
        data = QueryDict(mutable=True)
        data.update(params)
        qs = ElevatorFilterSet(data, queryset=elevator_list_queryset(user=user)).qs
        sql, sql_params = qs.query.sql_with_params()
        assert "DISTINCT" not in sql
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN SELECT count(*) FROM (" + sql + ") page", sql_params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "Seq Scan on registry_elevator" not in plan, plan


def test_token_authentication(client, db):
    user = user_with_role(Role.CITY_REGULATOR)
    token = ApiToken.objects.create(user=user)  # stored hashed; .key only on this instance
    ElevatorFactory()
    response = client.get("/api/v1/elevators/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200 and response.json()["count"] == 1
    assert client.get("/api/v1/elevators/", HTTP_AUTHORIZATION="Token wrong").status_code == 401


def test_create_reports_code_errors_in_chinese_by_field(api, dongqu):
    response = api.post(
        "/api/v1/elevators/",
        {"registration_code": "31105104032012070003", "elevator_type": "3110", "district": dongqu.pk, "address": "x"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["registration_code"] == ["行政区划代码“510403”（西区）与电梯所在区县（东区）不符。"]


def test_duplicate_code_through_the_api(api):
    existing = ElevatorFactory()
    response = api.post(
        "/api/v1/elevators/",
        {
            "registration_code": existing.registration_code,
            "elevator_type": "3110",
            "district": existing.district_id,
            "address": "x",
        },
        content_type="application/json",
    )
    assert response.status_code == 400 and "registration_code" in response.json()


def test_api_write_is_audited(api):
    elevator = ElevatorFactory()
    api.patch(f"/api/v1/elevators/{elevator.pk}/", {"address": "新地址"}, content_type="application/json")
    assert elevator.history.first().history_user.role == Role.CITY_REGULATOR


def test_organizations_filter_and_search(api, dongqu):
    firm = OrganizationFactory(name="安达电梯", kind="maintenance", district=dongqu, licence_no="TS3351")
    OrganizationFactory(name="别的物业", kind="use_unit")
    response = api.get("/api/v1/organizations/", {"kind": "maintenance", "q": "安达"}).json()
    assert [o["name"] for o in response["results"]] == [firm.name]
    assert api.get("/api/v1/organizations/", {"q": "TS3351"}).json()["count"] == 1


def test_districts_are_public(client, districts):
    response = client.get("/api/v1/districts/").json()
    assert response["count"] == 6
    assert {d["code"] for d in response["results"]} >= {"510402", "510403", "510411", "510421", "510422"}


def test_openapi_schema_and_docs_are_served_locally(admin_client):
    client = admin_client  # signed in: the schema is not public (API_SCHEMA_PUBLIC, tests/test_csp.py)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/v1/elevators/" in schema.content
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs and "cdn" not in docs.lower() and "//unpkg" not in docs
