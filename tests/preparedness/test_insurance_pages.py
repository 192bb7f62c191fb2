"""Liability insurance pages, API, import and dashboard (plan §2(12)): who may see what, the other-use-unit refusal
on every path, the import's all-or-nothing, and the query counts of the lists."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from preparedness.choices import ClaimStatus
from preparedness.models import InsuranceClaim, InsurancePolicy
from preparedness.services.insurance import claim_file, policy_register

from ..factories import PDF, ElevatorFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
ROLES = ["anonymous", "city", "district", "use_unit", "maintenance", "inspection", "department", "rescue_centre"]
KEEPERS = {"city", "district", "use_unit"}  # the insured use unit (side A, 东区) and regulators of its scope
REGULATORS = {"city", "district"}


@pytest.fixture
def policy(world):
    return policy_register(
        user=world["users"]["use_unit"],
        insured=world["use_a"],
        insurer="人保财险",
        policy_no="PA-0001",
        elevators=[world["a"]],
        cover_per_person=Decimal("500000"),
        cover_per_accident=Decimal("2000000"),
        starts_on=TODAY - timedelta(days=30),
        ends_on=TODAY + timedelta(days=335),
        document=SimpleUploadedFile("p.pdf", PDF),
    )


@pytest.fixture
def claim(world, policy):
    return claim_file(
        user=world["users"]["use_unit"],
        policy=policy,
        elevator=world["a"],
        occurred_on=TODAY - timedelta(days=3),
        claimed_on=TODAY - timedelta(days=2),
        amount=Decimal("8000"),
    )


def login(client, world, role):
    if role != "anonymous":
        client.force_login(world["users"][role])
    return client


# ---------------------------------------------------------------- the permission matrix

PAGES = [
    ("preparedness:policies", None, "", KEEPERS),
    ("preparedness:policies", None, "?export=csv", KEEPERS),
    ("preparedness:policies", None, "?export=xlsx", KEEPERS),
    ("preparedness:policy_new", None, "", KEEPERS),
    ("preparedness:policy_detail", "policy", "", KEEPERS),
    ("preparedness:policy_edit", "policy", "", KEEPERS),
    ("preparedness:policy_document", "policy", "", KEEPERS),
    ("preparedness:claim_new", "policy", "", KEEPERS),
    ("preparedness:claims", None, "", KEEPERS),
    ("preparedness:claims", None, "?export=csv", KEEPERS),
    ("preparedness:claims", None, "?export=xlsx", KEEPERS),
    ("preparedness:claim_status", "claim", "", KEEPERS),
    ("preparedness:uninsured", None, "", REGULATORS),
    ("preparedness:uninsured", None, "?export=csv", REGULATORS),
    ("preparedness:uninsured", None, "?export=xlsx", REGULATORS),
    ("preparedness:policy_import", None, "", KEEPERS),
    ("preparedness:policy_import_template", None, "", KEEPERS),
]


@pytest.mark.parametrize("role", ROLES)
def test_every_page_export_and_download_by_role(client, world, policy, claim, role):
    login(client, world, role)
    objects = {"policy": policy, "claim": claim}
    for name, obj, query, allowed in PAGES:
        url = reverse(name, args=[objects[obj].pk] if obj else []) + query
        response = client.get(url)
        expected = 302 if role == "anonymous" else 200 if role in allowed else 403
        assert response.status_code == expected, (name, query, role, response.status_code)
        if role == "anonymous":
            assert response["Location"].startswith(reverse("login")), name


def test_another_use_unit_gets_404_for_side_a_rows(client, world, policy, claim):
    client.force_login(world["users"]["use_unit_b"])
    for name, obj in [
        ("preparedness:policy_detail", policy),
        ("preparedness:policy_edit", policy),
        ("preparedness:policy_document", policy),
        ("preparedness:claim_new", policy),
        ("preparedness:claim_status", claim),
    ]:
        assert client.get(reverse(name, args=[obj.pk])).status_code == 404, name
    assert policy.policy_no not in client.get(reverse("preparedness:policies")).content.decode()
    assert client.get(reverse("preparedness:policies") + "?export=csv").getvalue().decode().count("PA-0001") == 0


API = [
    ("insurance-policy-list", None),
    ("insurance-policy-detail", "policy"),
    ("insurance-claim-list", None),
    ("insurance-claim-detail", "claim"),
    ("insurance-coverage-list", None),
]


@pytest.mark.parametrize("role", ROLES)
def test_every_endpoint_by_role(client, world, policy, claim, role):
    login(client, world, role)
    objects = {"policy": policy, "claim": claim}
    for name, obj in API:
        response = client.get(reverse(name, args=[objects[obj].pk] if obj else []))
        if role == "anonymous":
            assert response.status_code in (401, 403), name
        else:
            assert response.status_code == (200 if role in KEEPERS else 403), (name, role)


def test_the_api_writes_refuse_other_roles(client, world, policy, claim):
    for role in ("maintenance", "inspection", "department", "rescue_centre"):
        client.force_login(world["users"][role])
        assert client.post(reverse("insurance-policy-list"), {}, content_type="application/json").status_code == 403
        url = reverse("insurance-claim-status", args=[claim.pk])
        assert client.post(url, {"status": "accepted"}, content_type="application/json").status_code == 403


def test_document_download_is_the_pdf(client, world, policy):
    client.force_login(world["users"]["district"])
    response = client.get(reverse("preparedness:policy_document", args=[policy.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF


# ---------------------------------------------------------------- the other-use-unit refusal, on the page and the API


def policy_post(world, elevators, **extra):
    data = {
        "insurer": "平安财险",
        "policy_no": "PN-1",
        "elevators": [e.pk for e in elevators],
        "cover_per_person": "300000",
        "cover_per_accident": "1000000",
        "starts_on": TODAY.isoformat(),
        "ends_on": (TODAY + timedelta(days=364)).isoformat(),
    }
    data.update(extra)
    return data


def test_the_page_refuses_another_use_units_elevator_naming_it(client, world):
    client.force_login(world["users"]["city"])
    url = reverse("preparedness:policy_new") + f"?use_unit={world['use_a'].pk}"
    page = client.get(url).content.decode()
    assert world["a"].registration_code in page and world["b"].registration_code not in page  # only its own offered
    response = client.post(url, policy_post(world, [world["a"], world["b"]]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="error-summary"' in html and world["b"].registration_code in html and "不能投保" in html
    assert not InsurancePolicy.objects.exists()
    response = client.post(url, policy_post(world, [world["a"]], document=SimpleUploadedFile("p.pdf", PDF)))
    policy = InsurancePolicy.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "preparedness:policy_detail", args=[policy.pk]
    )
    assert policy.document


def test_a_use_unit_cannot_even_name_another_units_elevator_on_the_page(client, world):
    client.force_login(world["users"]["use_unit"])
    url = reverse("preparedness:policy_new")  # a use unit is its own insured: no picker
    response = client.post(url, policy_post(world, [world["a"], world["b"]]))
    assert response.status_code == 200 and "elevators" in response.context["form"].errors
    assert not InsurancePolicy.objects.exists()


def test_a_failed_submit_asks_for_the_file_again(client, world):
    client.force_login(world["users"]["use_unit"])
    response = client.post(
        reverse("preparedness:policy_new"),
        policy_post(world, [world["a"]], cover_per_accident="1", document=SimpleUploadedFile("p.pdf", PDF)),
    )
    assert 'id="file-again"' in response.content.decode()


def test_the_api_refuses_another_use_units_elevator_by_code(client, world):
    client.force_login(world["users"]["city"])
    body = {
        "insurer": "平安财险",
        "policy_no": "API-1",
        "insured": world["use_a"].pk,
        "elevators": [world["a"].registration_code, world["b"].registration_code],
        "cover_per_person": "300000",
        "cover_per_accident": "1000000",
        "starts_on": TODAY.isoformat(),
        "ends_on": (TODAY + timedelta(days=364)).isoformat(),
    }
    response = client.post(reverse("insurance-policy-list"), body, content_type="application/json")
    assert response.status_code == 400
    assert world["b"].registration_code in response.json()["elevators"][0]
    body["elevators"] = [world["a"].registration_code]
    response = client.post(reverse("insurance-policy-list"), body, content_type="application/json")
    assert response.status_code == 201, response.json()
    assert response.json()["elevators"] == [world["a"].registration_code] and response.json()["in_force"] is True
    policy_id = response.json()["id"]
    # A use unit does not see the other side's elevators: their code is unknown to it.
    client.force_login(world["users"]["use_unit"])
    url = reverse("insurance-policy-detail", args=[policy_id])
    response = client.patch(url, {"elevators": [world["b"].registration_code]}, content_type="application/json")
    assert response.status_code == 400 and "elevators" in response.json()
    response = client.patch(
        url, {"ends_on": (TODAY + timedelta(days=400)).isoformat()}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["ends_on"] == (TODAY + timedelta(days=400)).isoformat()


def test_the_api_files_a_claim_and_sets_its_status(client, world, policy):
    client.force_login(world["users"]["use_unit"])
    body = {
        "policy": policy.pk,
        "elevator": world["a"].registration_code,
        "occurred_on": (TODAY - timedelta(days=1)).isoformat(),
        "claimed_on": TODAY.isoformat(),
        "amount": "5000",
    }
    response = client.post(reverse("insurance-claim-list"), body, content_type="application/json")
    assert response.status_code == 201, response.json()
    url = reverse("insurance-claim-status", args=[response.json()["id"]])
    response = client.post(url, {"status": "paid", "paid_amount": "6000"}, content_type="application/json")
    assert response.status_code == 400 and "paid_amount" in response.json()
    response = client.post(url, {"status": "paid", "paid_amount": "4500"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == ClaimStatus.PAID


def test_the_coverage_endpoint(client, world, policy):
    client.force_login(world["users"]["city"])
    data = client.get(reverse("insurance-coverage-list")).json()
    rows = {r["district"]: r for r in data["districts"]}
    assert rows["510402"]["insured"] == 1 and rows["510402"]["rate"] == 1.0
    assert rows["510421"]["insured"] == 0 and rows["510421"]["rate"] == 0.0
    assert rows["510403"]["rate"] is None
    assert data["total"]["in_use"] == 2 and data["total"]["insured"] == 1


# ---------------------------------------------------------------- claims on the page


def test_claim_page_offers_faults_of_the_policys_elevators_and_records_status(client, world, policy):
    from ..factories import FaultFactory

    fault = FaultFactory(elevator=world["a"])
    FaultFactory(elevator=world["b"])
    client.force_login(world["users"]["use_unit"])
    url = reverse("preparedness:claim_new", args=[policy.pk])
    form = client.get(url).context["form"]
    assert list(form.fields["fault"].queryset) == [fault]
    response = client.post(
        url,
        {
            "elevator": world["a"].pk,
            "occurred_on": (TODAY - timedelta(days=1)).isoformat(),
            "claimed_on": (TODAY + timedelta(days=1)).isoformat(),
            "amount": "3000",
            "fault": fault.pk,
        },
    )
    assert "claimed_on" in response.context["form"].errors
    response = client.post(
        url,
        {
            "elevator": world["a"].pk,
            "occurred_on": TODAY.isoformat(),
            "claimed_on": TODAY.isoformat(),
            "amount": "3000",
        },
    )
    assert response.status_code == 302
    claim = InsuranceClaim.objects.get()
    url = reverse("preparedness:claim_status", args=[claim.pk])
    response = client.post(url, {"status": "rejected", "note": ""})
    assert "note" in response.context["form"].errors
    response = client.post(url, {"status": "rejected", "note": "不属于保险责任"})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REJECTED


# ---------------------------------------------------------------- import

HEADER = [
    "保险公司",
    "保单号",
    "被保险人",
    "承保电梯注册代码",
    "每人赔偿限额",
    "每次事故赔偿限额",
    "保险起期",
    "保险止期",
]


def csv_file(rows, header=HEADER):
    text = "\n".join(",".join(f'"{c}"' for c in row) for row in [header, *rows])
    return SimpleUploadedFile("policies.csv", text.encode("utf-8-sig"), content_type="text/csv")


def test_import_is_all_or_nothing_and_reports_every_bad_row(client, world, policy):
    a, b = world["a"].registration_code, world["b"].registration_code
    a2 = ElevatorFactory(use_unit=world["use_a"], district=world["a"].district).registration_code
    OrganizationFactory(name="西区物业", district=world["b"].district)  # a use unit outside 东区
    good = ["人保财险", "N-1", "金江物业", f"{a}、{a2}", "500000", "2000000", "2026-01-01", "2026-12-31"]
    rows = [
        good,  # row 2: fine
        ["人保财险", "N-2", "无此单位", a, "500000", "2000000", "2026-01-01", "2026-12-31"],  # 3 unknown use unit
        ["人保财险", "N-3", "金江物业", "99999999999999999999", "500000", "2000000", "2026-01-01", "2026-12-31"],
        ["人保财险", "N-4", "金江物业", f"{a} {b}", "500000", "2000000", "2026-01-01", "2026-12-31"],  # 5 other unit
        ["人保财险", "N-5", "西区物业", a, "500000", "2000000", "2026-01-01", "2026-12-31"],  # 6 out of scope
        ["人保财险", "N-1", "金江物业", a, "500000", "2000000", "2026-01-01", "2026-12-31"],  # 7 dup in file
        ["人保财险", "PA-0001", "金江物业", a, "500000", "2000000", "2026-01-01", "2026-12-31"],  # 8 on record
        ["人保财险", "N-8", "金江物业", a, "abc", "100", "2026-13-01", "2025-12-31"],  # 9 amounts and dates
        ["人保财险", "N-9", "金江物业", a, "500000", "100000", "2026-01-01", "2025-12-31"],  # 10 cross rules
        ["人保财险", "N-10", "金江物业", a, "10000000000", "0.001", "2026-01-01", "2026-12-31"],  # 11 too big/fine
    ]
    client.force_login(world["users"]["district"])
    response = client.post(reverse("preparedness:policy_import"), {"file": csv_file(rows)})
    assert response.status_code == 200
    errors = response.context["errors"]
    by_row = {}
    for e in errors:
        by_row.setdefault(e["row"], []).append((e["column"], e["message"]))
    assert set(by_row) == {3, 4, 5, 6, 7, 8, 9, 10, 11}
    assert by_row[3] == [("被保险人", "未找到名称或统一社会信用代码为“无此单位”的使用单位。")]
    assert by_row[4][0][0] == "承保电梯注册代码" and "99999999999999999999" in by_row[4][0][1]
    assert by_row[5][0][0] == "承保电梯注册代码" and b in by_row[5][0][1] and a not in by_row[5][0][1]
    assert by_row[6] == [("被保险人", "“西区物业”不在您的管辖范围内。")]
    assert by_row[7][0][0] == "保单号" and "第2行" in by_row[7][0][1]
    assert by_row[8][0][0] == "保单号"
    assert {c for c, _m in by_row[9]} == {"每人赔偿限额", "保险起期", "保险止期"} or {c for c, _m in by_row[9]} >= {
        "每人赔偿限额",
        "保险起期",
    }
    assert {c for c, _m in by_row[10]} == {"每次事故赔偿限额", "保险止期"}
    assert {c for c, _m in by_row[11]} == {"每人赔偿限额", "每次事故赔偿限额"}
    assert InsurancePolicy.objects.count() == 1  # only the fixture's: nothing of the file
    assert "import-errors" in response.content.decode()
    # The good row alone imports, with its two elevators.
    response = client.post(reverse("preparedness:policy_import"), {"file": csv_file([good])})
    assert response.status_code == 302
    imported = InsurancePolicy.objects.get(policy_no="N-1")
    assert sorted(imported.elevators.values_list("registration_code", flat=True)) == sorted([a, a2])
    assert imported.created_by == world["users"]["district"]


def test_import_reads_the_template_and_separators(client, world):
    client.force_login(world["users"]["use_unit"])
    response = client.get(reverse("preparedness:policy_import_template"))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [c.value for c in next(sheet.iter_rows())] == HEADER
    a = world["a"].registration_code
    a2 = ElevatorFactory(use_unit=world["use_a"]).registration_code
    a3 = ElevatorFactory(use_unit=world["use_a"]).registration_code
    rows = [
        ["太保财险", "T-1", "金江物业", f"{a},{a2};{a3}", "1,000,000", "2000000.50", "2026/01/01", "20261231"],
    ]
    response = client.post(reverse("preparedness:policy_import"), {"file": csv_file(rows)})
    assert response.status_code == 302, response.context and response.context["errors"]
    policy = InsurancePolicy.objects.get()
    assert policy.elevators.count() == 3 and policy.cover_per_person == Decimal("1000000")


def test_import_refuses_a_file_missing_columns(client, world):
    client.force_login(world["users"]["use_unit"])
    response = client.post(reverse("preparedness:policy_import"), {"file": csv_file([], header=["保险公司"])})
    assert response.status_code == 200 and "缺少必需的列" in str(response.context["form"].errors)


# ---------------------------------------------------------------- the uninsured list and the dashboard


def test_the_uninsured_list_of_a_district_is_what_the_dashboard_counts(client, world, policy):
    for _ in range(3):
        ElevatorFactory(use_unit=world["use_a"], district=world["a"].district)
    client.force_login(world["users"]["city"])
    board = client.get(reverse("dashboards:board"))
    rows = {r.district.code: r for r in board.context["n"]["insurance"].rows}
    dongqu = rows["510402"]
    assert (dongqu.in_use, dongqu.insured) == (4, 1)
    link = reverse("preparedness:uninsured") + f"?district={dongqu.district.pk}"
    assert link in board.content.decode()
    listed = client.get(link)
    assert listed.context["page"].paginator.count == dongqu.uninsured == 3
    assert world["a"].registration_code not in listed.content.decode()


def test_a_district_regulator_sees_its_own_district_only(client, world, policy):
    client.force_login(world["users"]["district"])
    miyi = world["b"].district
    assert client.get(reverse("preparedness:uninsured") + f"?district={miyi.pk}").status_code == 404
    board = client.get(reverse("dashboards:district", args=["510402"]))
    assert [r.district.code for r in board.context["n"]["insurance"].rows] == ["510402"]


def test_a_new_policy_changes_the_board_at_once(client, world, policy, settings):
    """The coverage is never served from the dashboard cache (its data version does not watch policies)."""
    settings.DASHBOARD_CACHE_SECONDS = 300
    client.force_login(world["users"]["city"])
    before = client.get(reverse("dashboards:board")).context["n"]["insurance"].total.insured
    client.get(reverse("dashboards:board"))  # the figures cached on PostgreSQL
    policy_register(
        user=world["users"]["city"],
        insured=world["use_b"],
        insurer="人保财险",
        policy_no="PB-1",
        elevators=[world["b"]],
        cover_per_person=Decimal("1"),
        cover_per_accident=Decimal("1"),
        starts_on=TODAY,
        ends_on=TODAY,
    )
    assert client.get(reverse("dashboards:board")).context["n"]["insurance"].total.insured == before + 1


# ---------------------------------------------------------------- query counts


def many_policies(world, n):
    for _ in range(n):
        i = InsurancePolicy.objects.count()
        e = ElevatorFactory(use_unit=world["use_a"], district=world["a"].district)
        p = policy_register(
            user=world["users"]["city"],
            insured=world["use_a"],
            insurer="人保财险",
            policy_no=f"M-{i}",
            elevators=[e],
            cover_per_person=Decimal("1"),
            cover_per_accident=Decimal("1"),
            starts_on=TODAY - timedelta(days=5),
            ends_on=TODAY + timedelta(days=5),
        )
        claim_file(
            user=world["users"]["city"],
            policy=p,
            elevator=e,
            occurred_on=TODAY,
            claimed_on=TODAY,
            amount=Decimal("10"),
        )


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # session, user, count, page of policies (insured and district joined), the filter's use units and
        # districts (its choices), unread notifications (base.html)
        ("preparedness:policies", 7),
        # session, user, count, page of claims (policy, insured, elevator joined), unread notifications
        ("preparedness:claims", 5),
        # session, user, districts (coverage rows), coverage grouped by district, the filter's districts, count,
        # page of elevators (district and use unit joined), unread notifications
        ("preparedness:uninsured", 8),
    ],
)
def test_list_pages_do_not_grow_with_rows(client, world, django_assert_num_queries, url, queries):
    client.force_login(world["users"]["city"])
    many_policies(world, 2)
    with django_assert_num_queries(queries):
        client.get(reverse(url))
    many_policies(world, 6)
    with django_assert_num_queries(queries):
        client.get(reverse(url))


@pytest.mark.parametrize(
    ("name", "queries"),
    [
        # session, user, count, page of policies, their elevators' codes (prefetch)
        ("insurance-policy-list", 5),
        # session, user, count, page of claims
        ("insurance-claim-list", 4),
        # session, user, districts, coverage grouped by district
        ("insurance-coverage-list", 4),
    ],
)
def test_api_lists_do_not_grow_with_rows(client, world, django_assert_num_queries, name, queries):
    client.force_login(world["users"]["city"])
    many_policies(world, 2)
    with django_assert_num_queries(queries):
        client.get(reverse(name))
    many_policies(world, 6)
    with django_assert_num_queries(queries):
        client.get(reverse(name))


def test_the_board_query_count_includes_one_for_insurance(client, world, django_assert_num_queries):
    client.force_login(world["users"]["city"])
    many_policies(world, 3)
    # As tests/dashboards: session, user, districts, elevators grouped, faults by month, complaints, grades,
    # insurance coverage grouped by district, unread notifications; on PostgreSQL the data version too.
    with django_assert_num_queries(10 if connection.vendor == "postgresql" else 9):
        client.get(reverse("dashboards:board"))


def test_import_is_a_fixed_number_of_queries(world):
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    from preparedness.services.insurance import policies_import

    def run(prefix, n):
        rows = [HEADER]
        for i in range(n):
            code = ElevatorFactory(use_unit=world["use_a"]).registration_code
            rows.append(["人保财险", f"{prefix}-{i}", "金江物业", code, "1", "2", "2026-01-01", "2026-12-31"])
        with CaptureQueriesContext(conn) as queries:
            report = policies_import(user=world["users"]["use_unit"], rows=rows)
        assert report.created == n and not report.errors
        return len(queries)

    # use units, the user's writable ones, elevators, numbers on record; then the policies, their history and
    # their elevators, inside a savepoint: the same for 3 rows as for 30
    assert run("S", 3) == run("L", 30)
