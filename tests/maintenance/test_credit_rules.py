"""Credit at its edges (plan §2(2)): no licence on record is a veto; only the complaints a firm answers for count
(plan §2(8) gives the others to the use unit or to other departments)."""

from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.models import Complaint
from complaints.selectors import complaint_counts_by_firm
from departments.choices import FIRM_ANSWERABLE_CATEGORIES, Category
from maintenance.choices import Grade
from maintenance.credit import services
from maintenance.models import CreditEvaluation

TODAY = date(2025, 6, 15)
NOT_THE_FIRMS = [c for c in Category.values if c not in FIRM_ANSWERABLE_CATEGORIES]


def evaluation_of(firm) -> CreditEvaluation:
    return CreditEvaluation.objects.get(firm=firm, period=TODAY.replace(day=1))


def complaint(elevator, category, *, status="submitted", days_ago=10):
    from departments.models import Department

    deadline = timezone.now()
    made = Complaint.objects.create(
        tracking_no=f"C{elevator.pk}{category[:6]}{status[:3]}{days_ago}",
        elevator=elevator,
        district=elevator.district,
        address="x",
        category=category,
        description="x",
        department=Department.objects.first(),
        accept_deadline=deadline,
        resolve_deadline=deadline,
        status=status,
    )
    day = TODAY - timedelta(days=days_ago)
    Complaint.objects.filter(pk=made.pk).update(created_at=timezone.make_aware(datetime.combine(day, time(10))))
    return made


def licensed(*firms, until=date(2030, 12, 31)):
    for firm in firms:
        firm.licence_valid_until = until
        firm.save(update_fields=["licence_valid_until"])


# ---------------------------------------------------------------- the licence veto


@pytest.mark.django_db
@pytest.mark.parametrize(
    "valid_until, grade, reason",
    [
        (None, Grade.D, "无维保许可证记录"),  # nothing on record: no proof the firm may maintain lifts
        (TODAY - timedelta(days=1), Grade.D, "2025-06-14过期"),  # expired yesterday
        (TODAY, Grade.A, ""),  # valid through today
        (TODAY + timedelta(days=1), Grade.A, ""),
    ],
)
def test_a_firm_without_a_licence_on_record_is_capped_like_an_expired_one(world, valid_until, grade, reason):
    licensed(world["firm_a"], until=valid_until)
    services.credit_evaluate(today=TODAY)
    evaluation = evaluation_of(world["firm_a"])
    assert evaluation.score == services.credit_score(
        first_pass_rate=None, failure_rate=0, complaint_rate=0, accidents=0
    )  # a perfect score: only the veto decides
    assert evaluation.grade == grade
    assert (reason in evaluation.capped_reason) if reason else evaluation.capped_reason == ""


def test_the_veto_reason_for_no_licence_names_it():
    assert services.credit_veto_reasons(licence_valid_until=None, accidents=0, today=TODAY) == [
        "无维保许可证记录（未登记许可证有效期）"
    ]
    assert services.credit_veto_reasons(licence_valid_until=TODAY, accidents=0, today=TODAY) == []


# ---------------------------------------------------------------- which complaints count


def test_the_firm_answers_for_entrapments_breakdowns_and_maintenance_quality_only():
    assert set(FIRM_ANSWERABLE_CATEGORIES) == {Category.ENTRAPMENT, Category.BREAKDOWN, Category.MAINTENANCE_QUALITY}
    # The use unit's duties (安全法 §40, plan §2(7)) and the other departments' (plan §2(8)) are not the firm's.
    for category in (
        Category.INSPECTION_OVERDUE,
        Category.USE_MANAGEMENT,
        Category.NO_SIGNAL,
        Category.SELECTION,
        Category.CIVIL_WORKS,
        Category.RETROFIT,
        Category.MAINTENANCE_FUND,
        Category.VANDALISM,
        Category.FIRE_ELEVATOR,
        Category.INSURANCE,
    ):
        assert category in NOT_THE_FIRMS


@pytest.mark.django_db
def test_complaints_routed_elsewhere_do_not_count_against_the_firm(world, plan):
    licensed(world["firm_a"], world["firm_b"])
    for category in NOT_THE_FIRMS:
        complaint(world["a"], category)
    services.credit_evaluate(today=TODAY)
    evaluation = evaluation_of(world["firm_a"])
    assert (evaluation.complaints, evaluation.complaint_rate) == (0, 0)
    assert evaluation.grade == Grade.A


@pytest.mark.django_db
def test_complaints_the_firm_answers_for_count(world, plan):
    licensed(world["firm_a"], world["firm_b"])
    for category in FIRM_ANSWERABLE_CATEGORIES:
        complaint(world["a"], category)
    complaint(world["a"], Category.BREAKDOWN, status="rejected")  # not a valid complaint
    complaint(world["a"], Category.BREAKDOWN, days_ago=400)  # before the 12 months
    complaint(world["a"], Category.NO_SIGNAL)  # 通信发展办公室's
    complaint(world["b"], Category.MAINTENANCE_QUALITY)  # the other firm's elevator
    services.credit_evaluate(today=TODAY)
    assert evaluation_of(world["firm_a"]).complaints == 3
    assert evaluation_of(world["firm_b"]).complaints == 1
    since = TODAY - timedelta(days=364)
    assert complaint_counts_by_firm(since=since, until=TODAY) == {world["firm_a"].pk: 4, world["firm_b"].pk: 1}
    assert complaint_counts_by_firm(since=since, until=TODAY, categories=FIRM_ANSWERABLE_CATEGORIES) == {
        world["firm_a"].pk: 3,
        world["firm_b"].pk: 1,
    }


@pytest.mark.django_db
def test_the_public_formula_names_the_categories_that_count_and_the_licence_veto(client, world):
    licensed(world["firm_a"])
    services.credit_evaluate(today=timezone.localdate())
    body = client.get(reverse("credit:firm", args=[world["firm_a"].pk])).content.decode()
    start = body.index('id="credit-complaint-categories"')
    shown = body[start : body.index("</div>", start)]
    counted, not_counted = shown.split("不计入")
    for category in FIRM_ANSWERABLE_CATEGORIES:
        assert str(Category(category).label) in counted
    for category in NOT_THE_FIRMS:
        assert str(Category(category).label) in not_counted and str(Category(category).label) not in counted
    assert "未登记维保许可证" in body
    assert "《攀枝花市加强电梯质量安全工作实施方案》" in body
