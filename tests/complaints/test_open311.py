"""Open311 GeoReport v2 conformance (http://wiki.open311.org/GeoReport_v2): field names, filters, errors, posting
through a partner key, routing, and that no personal data is ever published."""

import json
import xml.etree.ElementTree as ET
from datetime import UTC, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from complaints import open311
from complaints.choices import Source, Status
from complaints.models import Complaint, PartnerKey
from complaints.services import complaint_submit
from departments.choices import Category
from departments.models import RoutingRule

pytestmark = pytest.mark.django_db

SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
POST_FIELDS = ["service_request_id", "service_notice", "account_id"]
KEY = "k" * 40


def url(name: str, fmt: str = "json", **kwargs) -> str:
    return reverse(name, kwargs={"fmt": fmt, **kwargs})


def get(client, name, fmt="json", params=None, **kwargs):
    return client.get(url(name, fmt, **kwargs), params or {})


def parse(response) -> list[dict]:
    """The body as a list of {field: text} rows, JSON or spec XML alike."""
    if response["Content-Type"].startswith("text/xml"):
        root = ET.fromstring(response.content)
        return [{child.tag: child.text for child in item} for item in root]
    return json.loads(response.content)


def xml_root(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)


def assert_spec_error(response, code: int, fmt: str = "json") -> str:
    assert response.status_code == code
    if fmt == "xml":
        root = xml_root(response)
        assert root.tag == "errors" and [item.tag for item in root] == ["error"]
        assert [child.tag for child in root[0]] == ["code", "description"]
        assert root[0].findtext("code") == str(code)
        return root[0].findtext("description")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = json.loads(response.content)
    assert list(body[0]) == ["code", "description"] and body[0]["code"] == code and body[0]["description"]
    return body[0]["description"]


@pytest.fixture
def partner(db):
    return PartnerKey.objects.create(name="12345市民热线", key=KEY)


def file_at(districts, *, category=Category.VANDALISM, days_ago=0, status=None, **extra) -> Complaint:
    """A complaint by address (no elevator, so never merged as a duplicate), filed `days_ago`."""
    complaint = complaint_submit(
        elevator=None,
        address=extra.pop("address", "西区清香坪某小区2栋"),
        district=districts["510403"],
        category=category,
        description=extra.pop("description", "电梯按钮被砸坏。"),
        **extra,
    )
    changes = {"created_at": timezone.now() - timedelta(days=days_ago)}
    if status:
        changes["status"] = status
    Complaint.objects.filter(pk=complaint.pk).update(**changes)
    complaint.refresh_from_db()
    return complaint


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["service_request_id"] for row in parse(response)]


# --- GET services ------------------------------------------------------------------------------------------------


def test_services_json_lists_every_category_with_the_spec_fields_and_its_department(
    client, plan, django_assert_num_queries
):
    with django_assert_num_queries(1):  # the routing table with its departments' names
        response = get(client, "open311_services")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    services = json.loads(response.content)
    assert [s["service_code"] for s in services] == Category.values
    assert all(list(s) == SERVICE_FIELDS for s in services)
    vandalism = next(s for s in services if s["service_code"] == Category.VANDALISM)
    assert vandalism["service_name"] == "破坏电梯设施"
    assert vandalism["group"] == plan["gaj"].name  # plan §2(8): vandalism → 市公安局
    assert vandalism["metadata"] is False and vandalism["type"] == "realtime"
    assert vandalism["description"] and vandalism["keywords"]


def test_services_xml_has_the_spec_elements(client, plan):
    root = xml_root(get(client, "open311_services", "xml"))
    assert root.tag == "services" and {item.tag for item in root} == {"service"}
    assert len(root) == len(Category.values)
    for service in root:
        assert [child.tag for child in service] == SERVICE_FIELDS
    first = root[0]
    assert first.findtext("metadata") == "false" and first.findtext("type") == "realtime"
    assert first.findtext("group") == plan["scjgj"].name


# --- GET requests: fields ----------------------------------------------------------------------------------------


def test_request_json_has_exactly_the_spec_fields(client, elevator, plan):
    elevator.latitude, elevator.longitude = "26.582300", "101.718600"
    elevator.save()
    complaint = complaint_submit(elevator=elevator, category=Category.BREAKDOWN, description="电梯停在两层之间。")
    [row] = parse(get(client, "open311_requests"))
    assert list(row) == REQUEST_FIELDS
    assert row["service_request_id"] == complaint.tracking_no
    assert row["status"] == "open" and row["status_notes"] is None
    assert row["service_code"] == "breakdown" and row["service_name"] == "电梯故障、停梯"
    assert row["description"] == "电梯停在两层之间。"
    assert row["agency_responsible"] == plan["scjgj"].name
    assert "96333" in row["service_notice"]  # plan §2(10): someone may be trapped
    assert row["requested_datetime"] == timezone.localtime(complaint.created_at).isoformat(timespec="seconds")
    assert row["requested_datetime"].endswith("+08:00")
    assert row["expected_datetime"] == timezone.localtime(complaint.resolve_deadline).isoformat(timespec="seconds")
    assert row["updated_datetime"]
    assert row["address"] == elevator.address and row["address_id"] == elevator.registration_code
    assert row["zipcode"] == "" and row["media_url"] == ""
    assert (row["lat"], row["long"]) == (26.5823, 101.7186)


def test_request_xml_has_exactly_the_spec_elements(client, districts, plan):
    complaint = file_at(districts)
    root = xml_root(get(client, "open311_requests", "xml"))
    assert root.tag == "service_requests" and [item.tag for item in root] == ["request"]
    assert [child.tag for child in root[0]] == REQUEST_FIELDS
    assert root[0].findtext("service_request_id") == complaint.tracking_no
    assert root[0].findtext("agency_responsible") == plan["gaj"].name
    assert root[0].findtext("lat") == "" and root[0].findtext("address_id") == ""  # no elevator, no coordinates


def test_a_single_request_is_a_one_element_list_in_both_formats(client, districts, plan):
    complaint = file_at(districts)
    other = file_at(districts, category=Category.SELECTION)
    for fmt in ("json", "xml"):
        response = get(client, "open311_request", fmt, service_request_id=complaint.tracking_no)
        assert response.status_code == 200
        assert [row["service_request_id"] for row in parse(response)] == [complaint.tracking_no]
    assert other.tracking_no not in response.content.decode()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_request_id_is_a_404_spec_error(client, plan, fmt):
    response = get(client, "open311_request", fmt, service_request_id="TS202401010000000000")
    assert "TS202401010000000000" in assert_spec_error(response, 404, fmt)


# --- GET requests: filters and status ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status, open311_status",
    [
        (Status.SUBMITTED, "open"),
        (Status.ACCEPTED, "open"),
        (Status.IN_PROGRESS, "open"),
        (Status.RESOLVED, "closed"),
        (Status.CLOSED, "closed"),
        (Status.REJECTED, "closed"),
        (Status.MERGED, "closed"),
    ],
)
def test_status_maps_onto_open_and_closed(client, districts, plan, status, open311_status):
    file_at(districts, status=status)
    [row] = parse(get(client, "open311_requests"))
    assert row["status"] == open311_status
    assert [r["status"] for r in parse(get(client, "open311_requests", params={"status": open311_status}))] == [
        open311_status
    ]
    other = "closed" if open311_status == "open" else "open"
    assert parse(get(client, "open311_requests", params={"status": other})) == []


def test_status_notes_carry_the_public_answer_or_the_reject_reason(client, districts, plan):
    answered = file_at(districts, status=Status.RESOLVED)
    Complaint.objects.filter(pk=answered.pk).update(answer="已修复按钮。")
    rejected = file_at(districts, category=Category.SELECTION, status=Status.REJECTED)
    Complaint.objects.filter(pk=rejected.pk).update(reject_reason="不属于电梯问题。")
    notes = {row["service_request_id"]: row["status_notes"] for row in parse(get(client, "open311_requests"))}
    assert notes == {answered.tracking_no: "已修复按钮。", rejected.tracking_no: "不属于电梯问题。"}


def test_default_is_the_last_90_days_newest_first(client, districts, plan):
    old = file_at(districts, days_ago=91)
    older = file_at(districts, category=Category.SELECTION, days_ago=30)
    newer = file_at(districts, category=Category.NO_SIGNAL, days_ago=1)
    assert ids(get(client, "open311_requests")) == [newer.tracking_no, older.tracking_no]
    assert old.tracking_no not in ids(get(client, "open311_requests", params={"status": "closed,open"}))


def test_at_most_max_requests_are_returned(client, districts, plan, monkeypatch):
    monkeypatch.setattr(open311, "MAX_REQUESTS", 2)
    made = [file_at(districts, category=c, days_ago=n) for n, c in enumerate(Category.values[5:8])]
    assert ids(get(client, "open311_requests")) == [made[0].tracking_no, made[1].tracking_no]


def test_service_request_id_takes_several_ids_and_overrides_the_other_filters(client, districts, plan):
    a = file_at(districts, days_ago=200, status=Status.CLOSED)
    b = file_at(districts, category=Category.SELECTION)
    file_at(districts, category=Category.NO_SIGNAL)
    response = get(
        client,
        "open311_requests",
        params={
            "service_request_id": f"{a.tracking_no}, {b.tracking_no}",
            "status": "open",
            "service_code": "no_signal",
        },
    )
    assert ids(response) == [b.tracking_no, a.tracking_no]


def test_service_code_filter_takes_one_or_several_codes(client, districts, plan):
    vandalism = file_at(districts)
    selection = file_at(districts, category=Category.SELECTION)
    file_at(districts, category=Category.NO_SIGNAL)
    assert ids(get(client, "open311_requests", params={"service_code": "vandalism"})) == [vandalism.tracking_no]
    assert set(ids(get(client, "open311_requests", params={"service_code": "vandalism,selection"}))) == {
        vandalism.tracking_no,
        selection.tracking_no,
    }


def test_start_and_end_date_select_by_requested_datetime(client, districts, plan):
    early = file_at(districts, days_ago=40)
    middle = file_at(districts, category=Category.SELECTION, days_ago=20)
    late = file_at(districts, category=Category.NO_SIGNAL, days_ago=2)
    now = timezone.localtime()
    start, end = (now - timedelta(days=30)).isoformat(), (now - timedelta(days=10)).isoformat()
    assert ids(get(client, "open311_requests", params={"start_date": start, "end_date": end})) == [middle.tracking_no]
    assert ids(get(client, "open311_requests", params={"start_date": start})) == [late.tracking_no, middle.tracking_no]
    # UTC ("Z") and a bare w3c date work too; a bare end date includes that whole day.
    start_utc = (now - timedelta(days=45)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    end_day = (now - timedelta(days=20)).date().isoformat()
    assert ids(get(client, "open311_requests", params={"start_date": start_utc, "end_date": end_day})) == [
        middle.tracking_no,
        early.tracking_no,
    ]
    assert ids(get(client, "open311_requests", params={"end_date": end})) == [middle.tracking_no, early.tracking_no]


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "yesterday"},
        {"end_date": "2024-13-01"},
        {"status": "pending"},
        {"service_code": "potholes"},
        {"start_date": "2024-01-01T00:00:00+08:00", "end_date": "2024-06-01T00:00:00+08:00"},
    ],
)  # over 90 days
def test_bad_filters_are_a_400_spec_error(client, plan, params):
    assert_spec_error(get(client, "open311_requests", params=params), 400)


def test_request_list_is_one_query(client, elevator, districts, plan, django_assert_num_queries):
    complaint_submit(elevator=elevator, category=Category.BREAKDOWN, description="停梯")
    for category in Category.values[5:9]:
        file_at(districts, category=category)
    with django_assert_num_queries(1):  # complaints joined with department, elevator and merged-into complaint
        assert len(ids(get(client, "open311_requests"))) == 5


# --- POST requests -----------------------------------------------------------------------------------------------


def post(client, fmt="json", **fields):
    data = {
        "api_key": KEY,
        "service_code": Category.BREAKDOWN,
        "address_id": "31105104022012070003",
        "description": "电梯经常停在两层之间。",
        "first_name": "小明",
        "last_name": "王",
        "phone": "13800001234",
        "email": "wang@example.com",
        "lat": "26.58",
        "long": "101.71",
    }
    data.update(fields)
    return client.post(url("open311_requests", fmt), {k: v for k, v in data.items() if v is not None})


def test_partner_posts_a_request_stored_as_open311_and_routed(elevator, plan, partner):
    client = Client(enforce_csrf_checks=True)  # partners have no CSRF token: the endpoint is exempt
    response = post(client)
    assert response.status_code == 200, response.content
    [body] = json.loads(response.content)
    assert list(body) == POST_FIELDS and body["account_id"] is None
    complaint = Complaint.objects.get()
    assert body["service_request_id"] == complaint.tracking_no
    assert plan["scjgj"].name in body["service_notice"]
    assert complaint.source == Source.OPEN311 and complaint.partner == "12345市民热线"
    assert complaint.elevator == elevator and complaint.district == elevator.district
    # Plan §2(8): breakdowns → 市市场监管局; the district government is co-responsible (属地).
    assert complaint.department == plan["scjgj"] and plan["dq"] in complaint.co_departments.all()
    assert (complaint.contact_name, complaint.contact_phone, complaint.contact_email) == (
        "王小明",
        "13800001234",
        "wang@example.com",
    )


def test_post_answers_in_xml_and_takes_the_rescue_code_as_address_id(client, elevator, plan, partner):
    root = xml_root(post(client, "xml", address_id=elevator.rescue_code))
    assert root.tag == "service_requests" and [child.tag for child in root[0]] == POST_FIELDS
    assert root[0].findtext("service_request_id") == Complaint.objects.get().tracking_no
    assert root[0].find("account_id") is not None and root[0].findtext("account_id") == ""


def test_an_address_string_needs_a_district_division_code(client, plan, partner, districts):
    # An address naming no district or county (one that does is tests/complaints/test_open311_spec.py).
    fields = {"address_id": None, "address_string": "攀莲镇某小区5栋", "service_code": "retrofit"}
    assert "district" in assert_spec_error(post(client, **fields), 400)
    assert "district" in assert_spec_error(post(client, district="999999", **fields), 400)
    assert post(client, district="510421", **fields).status_code == 200
    complaint = Complaint.objects.get()
    assert complaint.district == districts["510421"] and complaint.elevator is None
    assert complaint.department == plan["zjj"]  # retrofitting lifts → 市住房城乡建设局


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("api_key", [None, "", "wrong", "inactive-key"])
def test_post_without_a_valid_active_key_is_a_403_spec_error(client, elevator, plan, partner, fmt, api_key):
    PartnerKey.objects.create(name="停用系统", key="inactive-key", is_active=False)
    assert_spec_error(post(client, fmt, api_key=api_key), 403, fmt)
    assert not Complaint.objects.exists()


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("service_code", [None, ""])  # an unknown one is a 404: tests/complaints/test_open311_spec.py
def test_post_without_a_known_service_code_is_a_400_spec_error(client, elevator, plan, partner, fmt, service_code):
    assert "service_code" in assert_spec_error(post(client, fmt, service_code=service_code), 400, fmt)
    assert not Complaint.objects.exists()


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"address_id": "99999"}, "address_id"),  # no such elevator
        ({"address_id": None}, "address_id"),  # no location at all
        ({"phone": "12345"}, "phone"),  # the service's rule: an 11-digit mobile number
        ({"email": "not-an-address"}, "email"),
        ({"description": "长" * 2001}, "description"),  # the service's limit
        ({"description": "  "}, "description"),
        ({"lat": "200"}, "lat"),
    ],
)
def test_post_is_validated_like_the_web_form(client, elevator, plan, partner, fields, field):
    assert field in assert_spec_error(post(client, **fields), 400)
    assert not Complaint.objects.exists()


def test_posts_are_rate_limited_per_api_key(client, plan, partner, districts, settings):
    settings.OPEN311_RATE_PER_KEY = "2/m"
    fields = {
        "address_id": None,
        "address_string": "西区某小区",
        "district": "510403",
        "service_code": "vandalism",
        "phone": None,
    }
    assert [post(client, **fields).status_code for _ in range(2)] == [200, 200]
    assert_spec_error(post(client, **fields), 429)
    PartnerKey.objects.create(name="另一系统", key="another-key")
    assert post(client, api_key="another-key", **fields).status_code == 200


# --- Routing -----------------------------------------------------------------------------------------------------


def test_agency_responsible_follows_the_routing_table(client, districts, plan, partner):
    before = file_at(districts)
    RoutingRule.objects.filter(category=Category.VANDALISM).update(department=plan["zjj"])

    services = {s["service_code"]: s["group"] for s in parse(get(client, "open311_services"))}
    assert services[Category.VANDALISM] == plan["zjj"].name
    post(client, address_id=None, address_string="西区某小区", district="510403", service_code="vandalism")
    agencies = {row["service_request_id"]: row["agency_responsible"] for row in parse(get(client, "open311_requests"))}
    after = Complaint.objects.exclude(pk=before.pk).get()
    assert agencies[after.tracking_no] == plan["zjj"].name
    # A complaint already filed stays with the department routed to handle it.
    assert agencies[before.tracking_no] == plan["gaj"].name


# --- Privacy -----------------------------------------------------------------------------------------------------


def test_no_personal_data_in_any_response(client, elevator, plan, partner, districts):
    personal = ["王小明", "13800001234", "wang@example.com", "13911112222", "zhang@example.com", "0812-3334444"]
    filed = file_at(
        districts,
        contact_name="张大伟",
        contact_phone="13911112222",
        contact_email="zhang@example.com",
        description="按钮坏了，请回电13911112222或0812-3334444，邮件zhang@example.com。",
    )
    posted = post(client)
    assert posted.status_code == 200
    responses = [posted, post(client, "xml", service_code=Category.VANDALISM)]
    for fmt in ("json", "xml"):
        responses.append(get(client, "open311_requests", fmt))
        responses.append(get(client, "open311_services", fmt))
        for complaint in Complaint.objects.all():
            responses.append(get(client, "open311_request", fmt, service_request_id=complaint.tracking_no))
    personal.append("张大伟")
    for response in responses:
        assert response.status_code == 200
        body = response.content.decode()
        for value in personal:
            assert value not in body
    [row] = parse(get(client, "open311_request", service_request_id=filed.tracking_no))
    assert row["description"] == "按钮坏了，请回电***或***，邮件***。"
    # The registration code and the rescue code are not phone numbers.
    assert "31105104022012070003" in get(client, "open311_requests").content.decode()
