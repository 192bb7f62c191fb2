"""Liability insurance (plan §2(12)): the policy and claim services, the coverage figures and the expiry reminder."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from notifications.choices import ReminderKind
from notifications.models import Notification, Reminder
from preparedness.choices import ClaimStatus
from preparedness.models import InsurancePolicy
from preparedness.selectors.insurance import coverage_by_district, uninsured_elevators
from preparedness.services.insurance import (
    claim_file,
    claim_update_status,
    insurance_expiry_run,
    policy_register,
    policy_update,
)
from registry.choices import ElevatorStatus
from rescue.models import Accident

from ..factories import JPEG, PDF, ElevatorFactory, FaultFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def register(world, user=None, *, insured=None, elevators=None, **extra):
    insured = insured or world["use_a"]
    fields = {
        "insurer": "人保财险攀枝花分公司",
        "policy_no": f"P{InsurancePolicy.objects.count() + 1:06d}",
        "elevators": elevators if elevators is not None else [world["a"]],
        "cover_per_person": Decimal("500000"),
        "cover_per_accident": Decimal("2000000"),
        "starts_on": TODAY - timedelta(days=100),
        "ends_on": TODAY + timedelta(days=265),
    }
    fields.update(extra)
    return policy_register(user=user or world["users"]["use_unit"], insured=insured, **fields)


# ---------------------------------------------------------------- policies


def test_a_use_unit_registers_a_policy_of_its_own_elevators(world):
    policy = register(world, document=SimpleUploadedFile("p.pdf", PDF, content_type="application/pdf"))
    assert list(policy.elevators.all()) == [world["a"]]
    assert policy.created_by == world["users"]["use_unit"]
    assert policy.history.count() == 1 and policy.history.first().history_user == world["users"]["use_unit"]
    assert policy.document.name.startswith("preparedness/policies/")


def test_a_policy_covering_another_use_units_elevator_is_refused_naming_it(world):
    other = ElevatorFactory(use_unit=world["use_b"], district=world["b"].district)
    with pytest.raises(ValidationError) as exc:
        register(world, user=world["users"]["city"], elevators=[world["a"], world["b"], other])
    message = " ".join(exc.value.message_dict["elevators"])
    assert world["b"].registration_code in message and other.registration_code in message
    assert world["a"].registration_code not in message
    assert not InsurancePolicy.objects.exists()


def test_a_policy_needs_at_least_one_elevator(world):
    with pytest.raises(ValidationError) as exc:
        register(world, elevators=[])
    assert "elevators" in exc.value.message_dict


def test_the_number_is_unique_per_insurer_with_a_clear_field_error(world):
    register(world, policy_no="PX1")
    with pytest.raises(ValidationError) as exc:
        register(world, policy_no="PX1")
    assert "PX1" in exc.value.message_dict["policy_no"][0]
    register(world, policy_no="PX1", insurer="平安财险")  # another insurer's number may be the same


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"ends_on": TODAY - timedelta(days=101)}, "ends_on"),
        ({"cover_per_person": Decimal("0")}, "cover_per_person"),
        ({"cover_per_accident": Decimal("100")}, "cover_per_accident"),
        ({"document": SimpleUploadedFile("p.pdf", JPEG)}, "document"),
    ],
)
def test_policy_rules_are_field_errors(world, extra, field):
    with pytest.raises(ValidationError) as exc:
        register(world, **extra)
    assert field in exc.value.message_dict


def test_a_document_over_the_cap_is_refused(world, settings):
    settings.PREPAREDNESS_FILE_MAX_BYTES = len(PDF) - 1
    with pytest.raises(ValidationError) as exc:
        register(world, document=SimpleUploadedFile("p.pdf", PDF))
    assert "document" in exc.value.message_dict


@pytest.mark.parametrize("role", ["use_unit_b", "maintenance", "inspection", "department", "rescue_centre"])
def test_only_the_use_unit_and_its_regulators_register(world, role):
    with pytest.raises(PermissionDenied):
        register(world, user=world["users"][role])


def test_a_district_regulator_registers_only_in_its_district(world):
    register(world, user=world["users"]["district"])  # 金江物业 is in 东区
    with pytest.raises(PermissionDenied):
        register(world, user=world["users"]["district"], insured=world["use_b"], elevators=[world["b"]])


def test_update_keeps_the_document_and_refuses_other_use_units_elevators(world):
    policy = register(world, document=SimpleUploadedFile("p.pdf", PDF))
    name = policy.document.name
    a2 = ElevatorFactory(use_unit=world["use_a"])
    fields = {
        "insurer": policy.insurer,
        "policy_no": policy.policy_no,
        "cover_per_person": policy.cover_per_person,
        "cover_per_accident": policy.cover_per_accident,
        "starts_on": policy.starts_on,
        "ends_on": policy.ends_on,
    }
    policy = policy_update(user=world["users"]["use_unit"], policy=policy, elevators=[world["a"], a2], **fields)
    assert policy.document.name == name and policy.elevators.count() == 2
    with pytest.raises(ValidationError) as exc:
        policy_update(user=world["users"]["use_unit"], policy=policy, elevators=[world["b"]], **fields)
    assert world["b"].registration_code in exc.value.message_dict["elevators"][0]
    with pytest.raises(PermissionDenied):
        policy_update(user=world["users"]["use_unit_b"], policy=policy, elevators=[world["a"]], **fields)


# ---------------------------------------------------------------- claims


def file_claim(world, policy, **extra):
    fields = {
        "elevator": world["a"],
        "occurred_on": TODAY - timedelta(days=5),
        "claimed_on": TODAY - timedelta(days=4),
        "amount": Decimal("12000"),
    }
    fields.update(extra)
    return claim_file(user=world["users"]["use_unit"], policy=policy, **fields)


def test_a_claim_links_a_fault_of_its_elevator(world):
    policy = register(world)
    fault = FaultFactory(elevator=world["a"])
    claim = file_claim(world, policy, fault=fault)
    assert claim.status == ClaimStatus.FILED and claim.fault == fault


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"occurred_on": TODAY - timedelta(days=101)}, "occurred_on"),  # the day before the policy starts
        ({"claimed_on": TODAY + timedelta(days=1)}, "claimed_on"),  # tomorrow
        ({"occurred_on": TODAY - timedelta(days=3), "claimed_on": TODAY - timedelta(days=4)}, "claimed_on"),
        ({"amount": Decimal("0")}, "amount"),
    ],
)
def test_claim_dates_and_amount(world, extra, field):
    policy = register(world)
    with pytest.raises(ValidationError) as exc:
        file_claim(world, policy, **extra)
    assert field in exc.value.message_dict


def test_a_claim_on_the_first_and_last_day_of_cover_and_filed_today(world):
    policy = register(world, starts_on=TODAY - timedelta(days=10), ends_on=TODAY - timedelta(days=2))
    file_claim(world, policy, occurred_on=TODAY - timedelta(days=10), claimed_on=TODAY)
    file_claim(world, policy, occurred_on=TODAY - timedelta(days=2), claimed_on=TODAY - timedelta(days=2))
    with pytest.raises(ValidationError):
        file_claim(world, policy, occurred_on=TODAY - timedelta(days=1), claimed_on=TODAY)  # the day after


def test_a_claim_for_an_elevator_the_policy_does_not_cover_or_anothers_fault_is_refused(world):
    policy = register(world)
    a2 = ElevatorFactory(use_unit=world["use_a"])
    with pytest.raises(ValidationError) as exc:
        file_claim(world, policy, elevator=a2)
    assert "elevator" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        file_claim(world, policy, fault=FaultFactory(elevator=a2))
    assert "fault" in exc.value.message_dict
    fault = FaultFactory(elevator=a2, entrapment=True)
    accident = Accident.objects.create(fault=fault, elevator=a2, recorded_at=timezone.now(), summary="困人超过2小时")
    with pytest.raises(ValidationError) as exc:
        file_claim(world, policy, accident=accident)
    assert "accident" in exc.value.message_dict


def test_claim_status_paid_needs_an_amount_up_to_the_claim_and_rejected_a_reason(world):
    policy = register(world)
    user = world["users"]["use_unit"]
    claim = file_claim(world, policy)
    with pytest.raises(ValidationError) as exc:
        claim_update_status(user=user, claim=claim, status=ClaimStatus.PAID)
    assert "paid_amount" in exc.value.message_dict
    with pytest.raises(ValidationError):
        claim_update_status(user=user, claim=claim, status=ClaimStatus.PAID, paid_amount=Decimal("12000.01"))
    with pytest.raises(ValidationError) as exc:
        claim_update_status(user=user, claim=claim, status=ClaimStatus.REJECTED)
    assert "note" in exc.value.message_dict
    claim = claim_update_status(user=user, claim=claim, status=ClaimStatus.ACCEPTED)
    claim = claim_update_status(user=user, claim=claim, status=ClaimStatus.PAID, paid_amount=Decimal("12000"))
    assert claim.paid_amount == Decimal("12000")
    with pytest.raises(ValidationError):  # final
        claim_update_status(user=user, claim=claim, status=ClaimStatus.REJECTED, note="晚了")
    other = file_claim(world, policy)
    other = claim_update_status(user=user, claim=other, status=ClaimStatus.REJECTED, note="免责条款")
    assert "免责条款" in other.note
    with pytest.raises(PermissionDenied):
        claim_update_status(user=world["users"]["use_unit_b"], claim=file_claim(world, policy), status="accepted")


# ---------------------------------------------------------------- coverage


def test_coverage_counts_cover_on_the_first_and_last_day_not_the_day_after(world):
    a, b = world["a"], world["b"]
    c = ElevatorFactory(use_unit=world["use_a"], district=a.district)
    stopped = ElevatorFactory(use_unit=world["use_a"], district=a.district, status=ElevatorStatus.SUSPENDED)
    register(world, elevators=[a], starts_on=TODAY, ends_on=TODAY + timedelta(days=30))  # first day
    register(world, elevators=[a, c], starts_on=TODAY - timedelta(days=30), ends_on=TODAY)  # last day; a twice
    register(world, elevators=[stopped], starts_on=TODAY - timedelta(days=30), ends_on=TODAY + timedelta(days=3))
    register(
        world, insured=world["use_b"], elevators=[b], user=world["users"]["city"], ends_on=TODAY - timedelta(days=1)
    )  # ended yesterday
    table = coverage_by_district(user=world["users"]["city"], today=TODAY)
    rows = {r.district.code: r for r in table.rows}
    assert (rows["510402"].in_use, rows["510402"].insured, rows["510402"].rate) == (2, 2, 1.0)
    assert (rows["510421"].in_use, rows["510421"].insured, rows["510421"].rate) == (1, 0, 0.0)
    assert rows["510403"].in_use == 0 and rows["510403"].rate is None
    assert (table.total.in_use, table.total.insured) == (3, 2)
    assert list(uninsured_elevators(user=world["users"]["city"], today=TODAY)) == [b]
    # Tomorrow: the policy ending today no longer covers c.
    tomorrow = coverage_by_district(user=world["users"]["city"], today=TODAY + timedelta(days=1))
    assert tomorrow.total.insured == 1


def test_the_uninsured_list_of_a_district_has_what_its_figure_counts(world):
    for _ in range(3):
        ElevatorFactory(use_unit=world["use_a"], district=world["a"].district)
    register(world)
    city = world["users"]["city"]
    for row in coverage_by_district(user=city, today=TODAY).rows:
        listed = uninsured_elevators(user=city, today=TODAY, district=row.district.pk).count()
        assert listed == row.in_use - row.insured


def test_coverage_is_scoped_like_the_board(world):
    register(world)
    district = coverage_by_district(user=world["users"]["district"], today=TODAY)
    assert [r.district.code for r in district.rows] == ["510402"]
    assert (district.total.in_use, district.total.insured) == (1, 1)
    own = coverage_by_district(user=world["users"]["use_unit_b"], today=TODAY)
    assert (own.total.in_use, own.total.insured) == (1, 0)


def test_coverage_is_one_grouped_query(world, django_assert_num_queries):
    districts = list(__import__("accounts").access.districts_for(world["users"]["city"]))
    with django_assert_num_queries(1):  # elevators in use grouped by district, with the insured ones counted
        coverage_by_district(user=world["users"]["city"], today=TODAY, districts=districts)


# ---------------------------------------------------------------- the expiry reminder


def ending_in(world, days, **extra):
    return register(world, ends_on=TODAY + timedelta(days=days), **extra)


def test_reminder_window_edges(world, settings):
    n = settings.INSURANCE_REMINDER_DAYS
    ending_in(world, n + 1)
    assert insurance_expiry_run(today=TODAY) == 0
    # Each on elevators of its own: a later policy on the same elevator would be the earlier one's renewal.
    policy = ending_in(world, n, elevators=[ElevatorFactory(use_unit=world["use_a"])])
    last_day = ending_in(world, 0, elevators=[ElevatorFactory(use_unit=world["use_a"])])
    ending_in(world, -1, elevators=[ElevatorFactory(use_unit=world["use_a"])])  # ended yesterday
    assert insurance_expiry_run(today=TODAY) == 2
    keys = set(Reminder.objects.values_list("subject_key", flat=True))
    assert keys == {f"policy:{policy.pk}", f"policy:{last_day.pk}"}
    reminder = Reminder.objects.get(subject_key=f"policy:{policy.pk}")
    assert reminder.kind == ReminderKind.INSURANCE_EXPIRING
    assert reminder.organization == world["use_a"] and reminder.cycle == policy.ends_on


def test_reminder_is_sent_once_in_one_digest_per_organisation(world):
    first = ending_in(world, 10)
    second = ending_in(world, 20, elevators=[ElevatorFactory(use_unit=world["use_a"])])
    assert insurance_expiry_run(today=TODAY) == 2
    assert insurance_expiry_run(today=TODAY) == 0
    assert insurance_expiry_run(today=TODAY + timedelta(days=1)) == 0
    notes = Notification.objects.filter(recipient=world["users"]["use_unit"])
    assert notes.count() == 1
    assert first.policy_no in notes.get().body and second.policy_no in notes.get().body
    assert not Notification.objects.filter(recipient=world["users"]["use_unit_b"]).exists()


def test_an_extended_policy_is_reminded_again_for_its_new_end(world):
    policy = ending_in(world, 10)
    assert insurance_expiry_run(today=TODAY) == 1
    InsurancePolicy.objects.filter(pk=policy.pk).update(ends_on=TODAY + timedelta(days=15))
    assert insurance_expiry_run(today=TODAY) == 1


def test_a_renewal_covering_the_same_elevators_from_the_next_day_suppresses_the_reminder(world):
    a2 = ElevatorFactory(use_unit=world["use_a"])
    policy = ending_in(world, 10, elevators=[world["a"], a2])
    renewal = register(
        world,
        elevators=[world["a"], a2, ElevatorFactory(use_unit=world["use_a"])],
        starts_on=policy.ends_on + timedelta(days=1),
        ends_on=policy.ends_on + timedelta(days=365),
    )
    assert insurance_expiry_run(today=TODAY) == 0
    # A renewal starting two days after leaves a gap: it does not count.
    InsurancePolicy.objects.filter(pk=renewal.pk).update(starts_on=policy.ends_on + timedelta(days=2))
    assert insurance_expiry_run(today=TODAY) == 1


def test_a_renewal_missing_one_of_the_elevators_does_not_suppress_it(world):
    a2 = ElevatorFactory(use_unit=world["use_a"])
    policy = ending_in(world, 10, elevators=[world["a"], a2])
    register(
        world, elevators=[world["a"]], starts_on=policy.ends_on - timedelta(days=5), ends_on=TODAY + timedelta(days=400)
    )
    assert insurance_expiry_run(today=TODAY) == 1


def test_the_run_is_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    for _ in range(5):
        ending_in(world, 5, elevators=[ElevatorFactory(use_unit=world["use_a"])])
    # insert-select, new reminders, their policies, the users of the organisations, the notifications' insert
    # (with its savepoint on some backends), the e-mailed flag
    with django_assert_max_num_queries(8):
        assert insurance_expiry_run(today=TODAY) == 5
