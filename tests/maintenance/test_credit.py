"""Maintenance-firm credit evaluation (plan §2(2) 维保质量诚信评价; docs/rules.md "Maintenance-firm credit")."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inspections.choices import InspectionKind, InspectionResult
from maintenance.choices import FaultCause, FaultKind, Grade
from maintenance.credit import selectors, services
from maintenance.credit.tasks import credit_evaluate_task
from maintenance.models import CreditEvaluation
from registry.choices import ElevatorStatus, OrganizationKind, PersonKind

from ..factories import ElevatorFactory, FaultFactory, InspectionFactory, OrganizationFactory, PersonFactory, at

TODAY = date(2025, 6, 15)
# Inside every evaluation window of TODAY: when the faults and inspections below happened unless told otherwise.
A_MONTH_BEFORE = at(TODAY - timedelta(days=30))
TWO_MONTHS_BEFORE = TODAY - timedelta(days=60)


def entrapment(elevator, *, minutes: int, cause=FaultCause.CONTROL_SYSTEM, day=TODAY - timedelta(days=20), **extra):
    reported = at(day)
    return FaultFactory(
        elevator=elevator,
        entrapment=True,
        cause=cause,
        reported_at=reported,
        released_at=reported + timedelta(minutes=minutes),
        **extra,
    )


def evaluation_of(firm, period=date(2025, 6, 1)) -> CreditEvaluation:
    return CreditEvaluation.objects.get(firm=firm, period=period)


@pytest.fixture
def world(world):
    """The shared world with both firms' licences on record (a firm without one is capped at D)."""
    for firm in (world["firm_a"], world["firm_b"]):
        firm.licence_valid_until = date(2030, 12, 31)
        firm.save(update_fields=["licence_valid_until"])
    return world


# ---------------------------------------------------------------- the formula


@pytest.mark.parametrize(
    "score, grade",
    [
        ("100", Grade.A),
        ("90.00", Grade.A),
        ("89.99", Grade.B),
        ("75.00", Grade.B),
        ("74.99", Grade.C),
        ("60.00", Grade.C),
        ("59.99", Grade.D),
        ("0", Grade.D),
    ],
)
def test_grade_boundaries(score, grade):
    assert services.credit_grade(Decimal(score)) == grade


def test_score_parts_are_zero_safe_and_floored_at_zero():
    assert services.per_hundred(3, 0) == Decimal("0.00")
    assert services.pass_rate_percent(first_inspections=0, first_passes=0) is None
    # No first inspections counts as a full pass share; failure and complaint parts never go negative.
    assert services.credit_score(
        first_pass_rate=None, failure_rate=Decimal(500), complaint_rate=Decimal(500), accidents=0
    ) == Decimal("50.00")


@pytest.mark.django_db
@pytest.mark.parametrize("passed, score, grade", [(6, "90.00", Grade.A), (3, "75.00", Grade.B), (0, "60.00", Grade.C)])
def test_first_pass_rate_drives_score_onto_the_grade_boundaries(world, passed, score, grade):
    # 40 × passed/8 + 30 (no failures) + 20 (no complaints) + 10 (no accident)
    for i in range(8):
        InspectionFactory(
            elevator=world["a"],
            inspected_on=TWO_MONTHS_BEFORE,
            result=InspectionResult.PASSED if i < passed else InspectionResult.FAILED,
        )
    # A re-inspection is not a first one.
    InspectionFactory(elevator=world["a"], inspected_on=TWO_MONTHS_BEFORE, kind=InspectionKind.RE_INSPECTION)
    services.credit_evaluate(today=TODAY)
    evaluation = evaluation_of(world["firm_a"])
    assert (evaluation.first_inspections, evaluation.first_passes) == (8, passed)
    assert evaluation.first_pass_rate == Decimal(passed * 100) / 8
    assert evaluation.score == Decimal(score)
    assert evaluation.grade == grade
    assert evaluation.capped_reason == ""
    assert sum(e["kind"] == services.EVENT_FIRST_INSPECTION_FAILED for e in evaluation.events) == 8 - passed


@pytest.mark.django_db
def test_failures_and_complaints_are_rated_per_hundred_elevators(world, monkeypatch):
    ElevatorFactory.create_batch(3, maintenance_firm=world["firm_a"])  # 4 elevators in all
    FaultFactory(elevator=world["a"], reported_at=A_MONTH_BEFORE)  # a door fault: counted
    FaultFactory(  # a power cut: not counted
        elevator=world["a"], reported_at=A_MONTH_BEFORE, kind=FaultKind.STOPPED, cause=FaultCause.EXTERNAL
    )
    FaultFactory(elevator=world["a"], reported_at=at(date(2024, 6, 15)))  # the day before the window: not counted
    FaultFactory(elevator=world["a"], reported_at=at(date(2024, 6, 16), 0, 0))  # the window's first minute
    ElevatorFactory(maintenance_firm=world["firm_a"], status=ElevatorStatus.SCRAPPED)  # not maintained any more
    monkeypatch.setattr(services, "complaint_counts_by_firm", lambda **kw: {world["firm_a"].pk: 1})
    services.credit_evaluate(today=TODAY)
    evaluation = evaluation_of(world["firm_a"])
    assert evaluation.window_start == date(2024, 6, 16) and evaluation.window_end == TODAY
    assert (evaluation.elevators, evaluation.failures, evaluation.complaints) == (4, 2, 1)
    assert (evaluation.failure_rate, evaluation.complaint_rate) == (Decimal("50.00"), Decimal("25.00"))
    assert evaluation.score == Decimal("50.00")  # 40 + 0 + 0 + 10
    assert evaluation.grade == Grade.D and evaluation.capped_reason == ""


@pytest.mark.django_db
def test_complaints_count_nothing_while_the_complaints_app_is_absent(world):
    assert services.complaint_counts_by_firm(since=TODAY - timedelta(days=365), until=TODAY) == {}


# ---------------------------------------------------------------- the vetoes


@pytest.mark.django_db
def test_expired_licence_caps_grade_at_d(world):
    world["firm_a"].licence_valid_until = TODAY - timedelta(days=1)
    world["firm_a"].save()
    world["firm_b"].licence_valid_until = TODAY  # valid through today
    world["firm_b"].save()
    services.credit_evaluate(today=TODAY)
    expired, valid = evaluation_of(world["firm_a"]), evaluation_of(world["firm_b"])
    assert expired.score == Decimal("100.00") and expired.grade == Grade.D
    assert "许可证" in expired.capped_reason and "2025-06-14" in expired.capped_reason
    assert valid.grade == Grade.A and valid.capped_reason == ""


@pytest.mark.django_db
def test_one_accident_caps_grade_at_d_even_with_an_otherwise_perfect_score(world):
    # Trapped 2 hours (条例 §64) during a power cut: not a failure, but still an accident of the rescuing firm.
    entrapment(world["a"], minutes=120, cause=FaultCause.EXTERNAL)
    entrapment(world["b"], minutes=119, cause=FaultCause.EXTERNAL)  # one minute short: no accident
    services.credit_evaluate(today=TODAY)
    capped, fine = evaluation_of(world["firm_a"]), evaluation_of(world["firm_b"])
    assert (capped.accidents, capped.failures, capped.accident_rate) == (1, 0, Decimal("100.00"))
    assert capped.score == Decimal("90.00") and capped.grade == Grade.D
    assert "事故" in capped.capped_reason
    assert capped.events == [
        {
            "kind": "accident",
            "date": "2025-05-26",
            "registration_code": world["a"].registration_code,
            "reason": "困人120分钟",
        }
    ]
    assert (fine.accidents, fine.score, fine.grade) == (0, Decimal("100.00"), Grade.A)


@pytest.mark.django_db
def test_firm_without_elevators_or_inspections_never_divides_by_zero(world):
    idle = OrganizationFactory(name="闲置维保", kind=OrganizationKind.MAINTENANCE)
    # A fault recorded against a firm that maintains nothing now.
    FaultFactory(elevator=world["a"], firm=idle, reported_at=A_MONTH_BEFORE)
    services.credit_evaluate(today=TODAY)
    evaluation = evaluation_of(idle)
    assert (evaluation.elevators, evaluation.failures) == (0, 1)
    assert evaluation.failure_rate == evaluation.accident_rate == evaluation.complaint_rate == Decimal("0.00")
    assert evaluation.first_inspections == 0 and evaluation.first_pass_rate is None
    assert evaluation_of(world["firm_b"]).first_pass_rate is None


# ---------------------------------------------------------------- the job


@pytest.mark.django_db
def test_rerun_the_same_day_updates_the_one_snapshot(world):
    first = {e.firm_id: e for e in services.credit_evaluate(today=TODAY)}
    FaultFactory(elevator=world["a"], reported_at=A_MONTH_BEFORE)
    again = services.credit_evaluate(today=TODAY)
    assert CreditEvaluation.objects.count() == 2
    assert {e.firm_id for e in again} == set(first)
    assert first[world["firm_a"].pk].failures == 0
    assert evaluation_of(world["firm_a"]).failures == 1


@pytest.mark.django_db
def test_a_new_month_keeps_the_previous_snapshot(world):
    services.credit_evaluate(today=date(2025, 5, 31))
    FaultFactory(elevator=world["a"], reported_at=at(date(2025, 6, 1), 9))
    services.credit_evaluate(today=date(2025, 6, 1))
    may, june = evaluation_of(world["firm_a"], date(2025, 5, 1)), evaluation_of(world["firm_a"], date(2025, 6, 1))
    assert (may.failures, may.window_end) == (0, date(2025, 5, 31))
    assert (june.failures, june.window_end) == (1, date(2025, 6, 1))
    assert CreditEvaluation.objects.count() == 4
    assert selectors.credit_current(firm=world["firm_a"]) == june
    assert list(selectors.credit_ranking(period=date(2025, 5, 1))) == list(
        CreditEvaluation.objects.filter(period=date(2025, 5, 1)).order_by("-score", "firm__name")
    )


def _add_firms(n: int) -> None:
    for _ in range(n):
        firm = OrganizationFactory(kind=OrganizationKind.MAINTENANCE)
        elevator = ElevatorFactory(maintenance_firm=firm)
        FaultFactory(elevator=elevator, reported_at=A_MONTH_BEFORE)
        entrapment(elevator, minutes=150)
        InspectionFactory(elevator=elevator, inspected_on=TWO_MONTHS_BEFORE, result=InspectionResult.FAILED)


@pytest.mark.django_db
def test_evaluation_runs_the_same_queries_for_2_and_20_firms(world):
    _add_firms(0)
    FaultFactory(elevator=world["a"], reported_at=A_MONTH_BEFORE)
    entrapment(world["b"], minutes=150)
    InspectionFactory(elevator=world["a"], inspected_on=TWO_MONTHS_BEFORE)
    with CaptureQueriesContext(connection) as two:
        assert len(services.credit_evaluate(today=TODAY)) == 2
    _add_firms(18)
    with CaptureQueriesContext(connection) as twenty:
        assert len(services.credit_evaluate(today=TODAY)) == 20
    # firms, elevators per firm, accidents, failure counts, failure events, first-pass rates, failed first
    # inspections, then the upsert inside a savepoint
    assert len(twenty.captured_queries) == len(two.captured_queries)
    assert CreditEvaluation.objects.filter(accidents=1, grade=Grade.D).count() == 19


@pytest.mark.django_db
def test_command_and_task_run_the_same_evaluation(world):
    out = io.StringIO()
    call_command("evaluate_credit", "--today", "2025-05-20", stdout=out)
    assert "2 firms" in out.getvalue()
    assert set(CreditEvaluation.objects.values_list("period", flat=True)) == {date(2025, 5, 1)}
    assert credit_evaluate_task.delay().get() == {"firms": 2}
    assert CreditEvaluation.objects.filter(period=timezone.localdate().replace(day=1)).count() == 2


# ---------------------------------------------------------------- pages and API


def _login(client, user):
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_public_pages_show_no_personal_data(client, world):
    firm = world["firm_a"]
    PersonFactory(organization=firm, kind=PersonKind.MAINTENANCE_WORKER, name="钱小二", phone="13912345678")
    FaultFactory(elevator=world["a"], reported_at=A_MONTH_BEFORE, description="钱小二到场处理，联系电话13912345678")
    entrapment(world["a"], minutes=130, description="钱小二救出1人")
    services.credit_evaluate(today=TODAY)
    pages = [
        client.get(reverse("credit:directory")),
        client.get(reverse("credit:firm", args=[firm.pk])),
        client.get("/api/v1/firm-grades/"),
    ]
    for response in pages:
        assert response.status_code == 200
        body = response.content.decode()
        assert firm.name in body
        for private in ("钱小二", "13912345678", "王师傅", world["worker_a"].phone, world["worker_a"].certificate_no):
            assert private not in body
    firm_page = pages[1].content.decode()
    assert world["a"].registration_code in firm_page and "困人130分钟" in firm_page and "事故" in firm_page


@pytest.mark.django_db
def test_firm_page_shows_grade_metrics_and_formula(client, world):
    services.credit_evaluate(today=TODAY)
    body = client.get(reverse("credit:firm", args=[world["firm_b"].pk])).content.decode()
    assert 'id="credit-grade"' in body and ">A<" in body
    assert "一次性检验合格率" in body and "故障率" in body and "投诉率" in body and "评分方法" in body
    use_unit = world["use_a"]
    assert client.get(reverse("credit:firm", args=[use_unit.pk])).status_code == 404


@pytest.mark.django_db
def test_directory_searches_by_name_and_lists_latest_grade(client, world):
    services.credit_evaluate(today=TODAY)
    body = client.get(reverse("credit:directory"), {"q": "安达"}).content.decode()
    assert "安达维保" in body and "蜀通维保" not in body and "TS3351-A" in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who, status",
    [
        ("city", 200),
        ("district", 200),
        ("maintenance", 403),
        ("use_unit", 403),
        ("inspection", 403),
        ("department", 403),
    ],
)
def test_ranking_is_for_regulators_only(client, world, who, status):
    services.credit_evaluate(today=TODAY)
    c = _login(client, world["users"][who])
    assert c.get(reverse("credit:ranking")).status_code == status
    export = c.get(reverse("credit:ranking"), {"export": "csv"})
    assert export.status_code == status
    if status == 200:
        csv = b"".join(export.streaming_content).decode("utf-8-sig")
        assert csv.splitlines()[0].startswith("排名,维保单位")
        assert "安达维保" in csv and "蜀通维保" in csv


@pytest.mark.django_db
def test_ranking_sends_anonymous_visitors_to_login(client, world):
    response = client.get(reverse("credit:ranking"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.django_db
def test_directory_has_a_constant_query_count(client, world, django_assert_num_queries):
    services.credit_evaluate(today=TODAY)
    # count of firms, page of firms joined to district with elevator count and latest grade as subqueries
    with django_assert_num_queries(2):
        assert client.get(reverse("credit:directory")).status_code == 200
    _add_firms(20)
    services.credit_evaluate(today=TODAY)
    with django_assert_num_queries(2):
        client.get(reverse("credit:directory"))
    c = _login(client, world["users"]["maintenance"])
    # session, user, the same two, and base.html's unread-notification count for signed-in users
    with django_assert_num_queries(5):
        c.get(reverse("credit:directory"))


@pytest.mark.django_db
def test_firm_grades_api_lists_latest_evaluation_per_firm_and_filters_by_grade(
    client, world, django_assert_num_queries
):
    services.credit_evaluate(today=date(2025, 5, 20))
    world["firm_a"].licence_valid_until = date(2025, 6, 1)
    world["firm_a"].save()
    services.credit_evaluate(today=TODAY)
    # count, page of latest evaluations joined to their firms
    with django_assert_num_queries(2):
        rows = client.get("/api/v1/firm-grades/").json()["results"]
    assert {(r["firm_name"], r["period"]) for r in rows} == {("安达维保", "2025-06-01"), ("蜀通维保", "2025-06-01")}
    graded_d = client.get("/api/v1/firm-grades/", {"grade": "D"}).json()["results"]
    assert [r["firm_name"] for r in graded_d] == ["安达维保"]
    assert client.post("/api/v1/firm-grades/", {}).status_code in (401, 403, 405)
