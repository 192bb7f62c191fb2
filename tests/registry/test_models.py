from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from registry.choices import InspectionStatus, OrganizationKind
from registry.models import Elevator
from registry.services import elevator_save
from registry.states import inspection_status_for

from ..factories import ElevatorFactory, OrganizationFactory

TODAY = timezone.localdate()


@pytest.mark.parametrize(
    "days, status",
    [
        (-1, InspectionStatus.EXPIRED),
        (0, InspectionStatus.EXPIRING),  # valid through its last day
        (29, InspectionStatus.EXPIRING),
        (30, InspectionStatus.EXPIRING),
        (31, InspectionStatus.VALID),
    ],
)
def test_inspection_status_edges(days, status):
    assert inspection_status_for(valid_until=TODAY + timedelta(days=days), failed=False, today=TODAY) == status


def test_no_inspection_record_is_unknown():
    assert inspection_status_for(valid_until=None, failed=False, today=TODAY) == InspectionStatus.UNKNOWN


def test_expired_elevator_in_use_must_not_be_used(db):
    elevator = ElevatorFactory(inspection_valid_until=TODAY - timedelta(days=1))
    assert elevator.must_not_be_used
    elevator.inspection_valid_until = TODAY
    assert not elevator.must_not_be_used


@pytest.mark.parametrize("years_ago_days, years", [(0, 15), (1, 15), (-1, 14)])
def test_years_in_use_counts_whole_years(db, years_ago_days, years):
    commission = TODAY.replace(year=TODAY.year - 15) - timedelta(days=years_ago_days)
    assert ElevatorFactory.build(commission_date=commission).years_in_use(TODAY) == years


def test_duplicate_registration_code_is_refused_with_a_clear_message(db):
    first = ElevatorFactory()
    dup = ElevatorFactory.build(
        registration_code=first.registration_code,
        district=first.district,
        use_unit=first.use_unit,
        maintenance_firm=first.maintenance_firm,
    )
    with pytest.raises(ValidationError) as exc:
        elevator_save(elevator=dup)
    assert exc.value.message_dict["registration_code"] == ["具有 注册代码 的 电梯 已存在。"]


def test_duplicate_rescue_code_is_refused(db):
    first = ElevatorFactory(rescue_code="55555")
    dup = ElevatorFactory.build(rescue_code="55555", use_unit=first.use_unit, maintenance_firm=first.maintenance_firm)
    with pytest.raises(ValidationError) as exc:
        elevator_save(elevator=dup)
    assert "rescue_code" in exc.value.message_dict


def test_database_refuses_duplicate_codes_even_without_validation(db):
    first = ElevatorFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Elevator.objects.create(
            registration_code=first.registration_code, elevator_type="3110", district=first.district, address="x"
        )


def test_database_refuses_a_malformed_code(db):
    first = ElevatorFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Elevator.objects.create(registration_code="123", elevator_type="3110", district=first.district, address="x")


def test_organisation_kinds_are_checked(db):
    maintenance = OrganizationFactory(kind=OrganizationKind.MAINTENANCE)
    elevator = ElevatorFactory.build(use_unit=maintenance, maintenance_firm=None)
    with pytest.raises(ValidationError) as exc:
        elevator_save(elevator=elevator)
    assert exc.value.message_dict["use_unit"] == [f"“{maintenance.name}”不是使用单位。"]


def test_commission_before_manufacture_is_refused(db):
    elevator = ElevatorFactory.build(
        manufacture_date=TODAY - timedelta(days=10), commission_date=TODAY - timedelta(days=20)
    )
    elevator.use_unit.save()
    elevator.maintenance_firm.save()
    with pytest.raises(ValidationError) as exc:
        elevator_save(elevator=elevator)
    assert exc.value.message_dict["commission_date"] == ["投入使用日期不能早于制造日期。"]


def test_every_change_is_kept_in_the_audit_trail(db, django_user_model):
    user = django_user_model.objects.create(username="auditor", is_superuser=True)
    elevator = ElevatorFactory()
    elevator.address = "西区清香坪街1号"
    elevator_save(elevator=elevator, changed_by=user, reason="地址更正")
    latest, previous = elevator.history.order_by("-history_id")[:2]
    assert latest.history_user == user
    assert latest.history_change_reason == "地址更正"
    delta = latest.diff_against(previous)
    assert [(c.field, c.new) for c in delta.changes] == [("address", "西区清香坪街1号")]


def test_a_user_without_a_regulators_role_cannot_change_the_registry(db, django_user_model):
    from django.core.exceptions import PermissionDenied

    user = django_user_model.objects.create(username="nobody")
    elevator = ElevatorFactory()
    elevator.address = "改"
    with pytest.raises(PermissionDenied):
        elevator_save(elevator=elevator, changed_by=user)
