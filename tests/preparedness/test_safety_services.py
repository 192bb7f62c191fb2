"""Safety management of a use unit (plan §2(7); 特种设备安全法 §13, §33; TSG 08-2017 2.4): the services, the designation
that alone confirms maintenance records (accounts.access.is_safety_manager), and the daily alert to district
regulators of use units with an elevator in use and no valid safety manager (once per gap, also on two workers)."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts import access
from accounts.choices import Role
from maintenance import services as maintenance_services
from notifications.choices import ReminderKind
from notifications.models import Notification, Reminder
from preparedness.models import SafetyAssignment, SafetyManagement
from preparedness.services.safety import (
    NEVER_HAD_ONE,
    safety_management_save,
    safety_manager_assign,
    safety_manager_designate,
    safety_manager_withdraw,
    safety_managers_missing_run,
)
from registry.choices import ElevatorStatus, OrganizationKind, PersonKind
from registry.models import Person

from ..factories import PDF, PNG, ElevatorFactory, OrganizationFactory, PersonFactory, make_record, user_with_role

TODAY = timezone.localdate()


def designate(world, *, user="use_unit", use_unit="use_a", **extra):
    data = dict(
        user=world["users"][user],
        use_unit=world[use_unit],
        name="孙管理",
        certificate_no="TSZ2026000001",
        certificate_valid_until=TODAY + timedelta(days=100),
    )
    data.update(extra)
    return safety_manager_designate(**data)


def fresh(user):
    """The user as a request loads it: no person cached from before."""
    return type(user).objects.get(pk=user.pk)


# ---------------------------------------------------------------- the body, its rules and money


@pytest.mark.django_db
class TestSafetyManagement:
    def test_one_row_per_use_unit_created_then_updated_with_history(self, world):
        user = world["users"]["use_unit"]
        doc = SimpleUploadedFile("制度.pdf", PDF, content_type="application/pdf")
        row = safety_management_save(
            user=user,
            use_unit=world["use_a"],
            body_name="安全管理部",
            principal="金总",
            rules_document=doc,
            annual_budget=Decimal("50000"),
        )
        again = safety_management_save(
            user=user, use_unit=world["use_a"], body_name="", principal="金总", annual_budget=None
        )
        assert again.pk == row.pk and SafetyManagement.objects.count() == 1
        assert again.rules_document  # kept when no new file comes
        assert again.rules_document.name.startswith("preparedness/rules/") and "制度" not in again.rules_document.name
        assert again.updated_by == user
        assert [h.history_user for h in again.history.all()] == [user, user]

    def test_the_rules_document_must_be_a_pdf_within_the_cap(self, world, settings):
        user = world["users"]["use_unit"]
        png = SimpleUploadedFile("x.pdf", PNG)
        with pytest.raises(ValidationError) as exc:
            safety_management_save(
                user=user, use_unit=world["use_a"], body_name="", principal="金总", rules_document=png
            )
        assert "PDF" in exc.value.message_dict["rules_document"][0]
        settings.PREPAREDNESS_FILE_MAX_BYTES = len(PDF) - 1
        big = SimpleUploadedFile("x.pdf", PDF)
        with pytest.raises(ValidationError) as exc:
            safety_management_save(
                user=user, use_unit=world["use_a"], body_name="", principal="金总", rules_document=big
            )
        assert "不能超过" in exc.value.message_dict["rules_document"][0]

    def test_principal_is_required(self, world):
        with pytest.raises(ValidationError) as exc:
            safety_management_save(user=world["users"]["use_unit"], use_unit=world["use_a"], body_name="", principal="")
        assert "principal" in exc.value.message_dict

    @pytest.mark.parametrize(
        "who, allowed",
        [
            ("city", True),
            ("district", True),  # 东区's regulator for 金江物业 of 东区
            ("use_unit", True),
            ("use_unit_b", False),
            ("maintenance", False),
            ("inspection", False),
            ("department", False),
            ("rescue_centre", False),
        ],
    )
    def test_who_may_write(self, world, who, allowed):
        call = dict(user=world["users"][who], use_unit=world["use_a"], body_name="", principal="金总")
        if allowed:
            assert safety_management_save(**call).pk
        else:
            with pytest.raises(PermissionDenied):
                safety_management_save(**call)

    def test_a_district_regulator_cannot_write_for_another_district(self, world):
        with pytest.raises(PermissionDenied):
            safety_management_save(
                user=world["users"]["district"], use_unit=world["use_b"], body_name="", principal="x"
            )


# ---------------------------------------------------------------- designation


@pytest.mark.django_db
class TestDesignation:
    def test_designate_creates_a_safety_manager_with_elevators_and_history(self, world):
        login = user_with_role(Role.USE_UNIT, organization=world["use_a"])
        person = designate(world, login=login, elevators=[world["a"]], phone="13800000001")
        assert (person.kind, person.organization, person.user) == (PersonKind.SAFETY_MANAGER, world["use_a"], login)
        assert list(person.safety_assignments.values_list("elevator", flat=True)) == [world["a"].pk]
        assignment = person.safety_assignments.get()
        assert assignment.assigned_by == world["users"]["use_unit"]
        assert person.history.get().history_user == world["users"]["use_unit"]
        assert assignment.history.get().history_user == world["users"]["use_unit"]
        assert access.is_safety_manager(fresh(login), world["use_a"].pk)

    @pytest.mark.parametrize("days, ok", [(-1, False), (0, True), (1, True)])
    def test_the_certificate_must_be_valid_today(self, world, days, ok):
        until = TODAY + timedelta(days=days)
        if ok:
            assert designate(world, certificate_valid_until=until).certificate_valid_until == until
        else:
            with pytest.raises(ValidationError) as exc:
                designate(world, certificate_valid_until=until)
            message = exc.value.message_dict["certificate_valid_until"][0]
            assert "证书已过期" in message and until.isoformat() in message

    def test_the_certificate_number_is_unique_with_a_clear_field_error(self, world):
        taken = world["worker_a"].certificate_no
        with pytest.raises(ValidationError) as exc:
            designate(world, certificate_no=taken)
        assert exc.value.message_dict["certificate_no"] == [f"证书编号“{taken}”已登记在其他人员名下，请核对。"]

    def test_the_login_must_be_of_the_use_unit(self, world):
        with pytest.raises(ValidationError) as exc:
            designate(world, login=world["users"]["use_unit_b"])
        assert "login" in exc.value.message_dict

    def test_a_login_already_linked_to_another_person_is_refused(self, world):
        with pytest.raises(ValidationError) as exc:
            designate(world, login=world["users"]["use_unit"])  # 陈安全's login
        assert "陈安全" in exc.value.message_dict["login"][0]

    def test_an_elevator_of_another_use_unit_is_refused_by_its_code(self, world):
        with pytest.raises(ValidationError) as exc:
            designate(world, elevators=[world["a"], world["b"]])
        message = exc.value.message_dict["elevators"][0]
        assert world["b"].registration_code in message and world["a"].registration_code not in message
        assert not Person.objects.filter(certificate_no="TSZ2026000001").exists()  # nothing written

    def test_update_of_an_existing_manager(self, world):
        person = designate(world, elevators=[world["a"]])
        updated = designate(world, person=person, name="孙管理员", certificate_no="TSZ2026000002", elevators=[])
        assert updated.pk == person.pk and updated.name == "孙管理员" and updated.certificate_no == "TSZ2026000002"
        assert not updated.safety_assignments.exists()

    def test_a_person_of_another_use_unit_cannot_be_updated_through_this_one(self, world):
        with pytest.raises(ValidationError):
            designate(world, person=world["manager_b"])

    def test_assign_replaces_the_set(self, world):
        second = ElevatorFactory(use_unit=world["use_a"], district=world["a"].district)
        person = designate(world, elevators=[world["a"]])
        safety_manager_assign(user=world["users"]["district"], person=person, elevators=[second])
        assert list(person.safety_assignments.values_list("elevator", flat=True)) == [second.pk]
        with pytest.raises(ValidationError) as exc:
            safety_manager_assign(user=world["users"]["district"], person=person, elevators=[world["b"]])
        assert world["b"].registration_code in exc.value.message_dict["elevators"][0]
        with pytest.raises(PermissionDenied):
            safety_manager_assign(user=world["users"]["use_unit_b"], person=person, elevators=[])

    def test_withdraw_ends_the_designation_and_keeps_the_history(self, world):
        manager = world["manager_a"]
        pk, number = manager.pk, manager.certificate_no
        SafetyAssignment.objects.create(person=manager, elevator=world["a"])
        login = world["users"]["use_unit"]
        assert access.is_safety_manager(fresh(login), world["use_a"].pk)
        safety_manager_withdraw(user=world["users"]["district"], person=manager)
        assert not access.is_safety_manager(fresh(login), world["use_a"].pk)
        assert not SafetyAssignment.objects.filter(elevator=world["a"]).exists()
        assert not Person.objects.filter(pk=pk).exists()
        last = Person.history.filter(id=pk).order_by("-history_date").first()
        assert (last.history_type, last.history_user, last.certificate_no) == (
            "-",
            world["users"]["district"],
            number,
        )
        # The certificate number is free again: the same person may be designated anew.
        again = designate(world, certificate_no=number)
        assert again.pk != pk

    def test_withdraw_is_checked_like_every_write(self, world):
        with pytest.raises(PermissionDenied):
            safety_manager_withdraw(user=world["users"]["use_unit_b"], person=world["manager_a"])
        with pytest.raises(ValidationError):
            safety_manager_withdraw(user=world["users"]["city"], person=world["worker_a"])  # not a safety manager


# ---------------------------------------------------------------- the same designation confirms maintenance records


@pytest.mark.django_db
def test_a_designated_manager_confirms_until_the_last_valid_day_and_not_the_day_after(world, client):
    """TSG T5002-2017; 条例 §33: the designation made here is the one that confirms maintenance records."""
    login = user_with_role(Role.USE_UNIT, organization=world["use_a"])
    person = designate(world, login=login, certificate_valid_until=TODAY, elevators=[world["a"]])
    # The last valid day: today.
    first = make_record(world)
    assert access.is_safety_manager(fresh(login), world["use_a"].pk, on=TODAY)
    assert not access.is_safety_manager(fresh(login), world["use_a"].pk, on=TODAY + timedelta(days=1))
    maintenance_services.record_confirm(user=fresh(login), record=first)
    first.refresh_from_db()
    assert first.status == "confirmed" and first.confirmed_by == login
    # Today is the day after: the certificate ran out yesterday.
    Person.objects.filter(pk=person.pk).update(certificate_valid_until=TODAY - timedelta(days=1))
    second = make_record(world, started=timezone.now() - timedelta(hours=5))
    with pytest.raises(PermissionDenied):
        maintenance_services.record_confirm(user=fresh(login), record=second)
    client.force_login(login)
    html = client.get(reverse("maintenance:record_detail", args=[second.pk])).content.decode()
    assert "确认维保记录</button>" not in html
    assert client.post(reverse("maintenance:record_confirm", args=[second.pk])).status_code == 403
    assert client.post(f"/api/v1/maintenance-records/{second.pk}/confirm/").status_code == 403
    second.refresh_from_db()
    assert second.status == "submitted"


@pytest.mark.django_db
def test_a_withdrawn_manager_can_no_longer_confirm(world):
    record = make_record(world)
    safety_manager_withdraw(user=world["users"]["use_unit"], person=world["manager_a"])
    with pytest.raises(PermissionDenied):
        maintenance_services.record_confirm(user=fresh(world["users"]["use_unit"]), record=record)


# ---------------------------------------------------------------- the daily alert


def unit_with_elevator(district, *, name, status=ElevatorStatus.IN_USE):
    unit = OrganizationFactory(name=name, kind=OrganizationKind.USE_UNIT, district=district)
    ElevatorFactory(use_unit=unit, district=district, status=status)
    return unit


def alerts_for(unit):
    return Reminder.objects.filter(kind=ReminderKind.SAFETY_MANAGER_MISSING, organization=unit)


@pytest.mark.django_db
class TestMissingRun:
    def test_a_unit_that_never_had_a_manager_is_flagged_once_to_its_district(self, world):
        unit = unit_with_elevator(world["a"].district, name="无人管理物业")
        assert safety_managers_missing_run(today=TODAY) == 1
        reminder = alerts_for(unit).get()
        assert (reminder.subject_key, reminder.cycle) == (f"organization:{unit.pk}", NEVER_HAD_ONE)
        note = Notification.objects.get(recipient=world["users"]["district"])
        assert "无人管理物业" in note.body and "从未登记安全管理员" in note.body
        assert note.link == reverse("preparedness:safety_missing")
        # 金江物业 and 米易物业 have their valid managers; 米易's regulator (none in the world) hears nothing.
        assert Notification.objects.count() == 1
        assert safety_managers_missing_run(today=TODAY) == 0
        assert safety_managers_missing_run(today=TODAY + timedelta(days=1)) == 0
        assert Notification.objects.count() == 1

    def test_another_districts_unit_goes_to_its_own_regulator_only(self, world, xiqu):
        unit_with_elevator(xiqu, name="西区物业")
        assert safety_managers_missing_run(today=TODAY) == 1
        assert not Notification.objects.filter(recipient=world["users"]["district"]).exists()

    @pytest.mark.parametrize("days, flagged", [(-1, True), (0, False), (1, False)])
    def test_the_certificates_last_day_is_in_time_and_the_day_after_is_flagged(self, world, days, flagged):
        until = TODAY + timedelta(days=days)
        Person.objects.filter(pk=world["manager_a"].pk).update(certificate_valid_until=until)
        assert safety_managers_missing_run(today=TODAY) == (1 if flagged else 0)
        if flagged:
            assert alerts_for(world["use_a"]).get().cycle == until + timedelta(days=1)
            assert until.isoformat() in Notification.objects.get(recipient=world["users"]["district"]).body

    def test_units_without_an_elevator_in_use_are_not_flagged(self, world):
        unit_with_elevator(world["a"].district, name="停用物业", status=ElevatorStatus.SUSPENDED)
        OrganizationFactory(name="无梯物业", kind=OrganizationKind.USE_UNIT, district=world["a"].district)
        assert safety_managers_missing_run(today=TODAY) == 0

    def test_a_new_manager_whose_certificate_lapses_later_opens_a_new_gap(self, world):
        use_a = world["use_a"]
        Person.objects.filter(pk=world["manager_a"].pk).update(certificate_valid_until=TODAY - timedelta(days=10))
        assert safety_managers_missing_run(today=TODAY) == 1
        # A new manager is designated: the gap closes, nothing is sent.
        person = designate(world, user="district", certificate_valid_until=TODAY + timedelta(days=5))
        assert safety_managers_missing_run(today=TODAY) == 0
        # Later their certificate lapses too (seen from the day after its last day): a new gap, a new alert.
        later = TODAY + timedelta(days=6)
        assert safety_managers_missing_run(today=later) == 1
        assert sorted(alerts_for(use_a).values_list("cycle", flat=True)) == [
            TODAY - timedelta(days=9),
            person.certificate_valid_until + timedelta(days=1),
        ]
        assert safety_managers_missing_run(today=later) == 0
        assert Notification.objects.filter(recipient=world["users"]["district"]).count() == 2

    def test_a_fixed_number_of_queries_whatever_the_number_of_units(self, world, django_assert_max_num_queries):
        for n in range(12):
            unit_with_elevator(world["a"].district, name=f"物业{n}")
        # 1. the flagged use units with their last certificate day; 2. savepoint, 3. the insert (one batch),
        # 4. the new reminders with their use units; 5. the district regulators; 6. the notifications' insert;
        # 7. marking them e-mailed; 8. release savepoint.
        with django_assert_max_num_queries(8):
            assert safety_managers_missing_run(today=TODAY) == 12


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two writers at once need PostgreSQL")
def test_two_workers_at_once_send_each_alert_once(world):
    units = [unit_with_elevator(world["a"].district, name=f"并发物业{n}") for n in range(20)]
    start, counts, errors = threading.Barrier(2), [], []

    def worker():
        try:
            start.wait(timeout=10)
            counts.append(safety_managers_missing_run(today=TODAY))
        except Exception as exc:  # reported below: an exception in a thread would otherwise vanish
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sum(counts) == len(units)
    assert Reminder.objects.filter(kind=ReminderKind.SAFETY_MANAGER_MISSING).count() == len(units)
    bodies = list(Notification.objects.filter(recipient=world["users"]["district"]).values_list("body", flat=True))
    for unit in units:
        assert sum(body.count(f"{unit.name}：") for body in bodies) == 1, unit.name


@pytest.mark.django_db
def test_a_never_had_one_cycle_is_a_fixed_day():
    assert NEVER_HAD_ONE == date(2000, 1, 1)


@pytest.mark.django_db
def test_a_manager_made_by_the_factory_is_counted_like_a_designated_one(world):
    """The world's personas (PersonFactory) and designated managers are one and the same kind of row."""
    PersonFactory(organization=world["use_a"], kind=PersonKind.SAFETY_MANAGER)
    assert safety_managers_missing_run(today=TODAY) == 0
