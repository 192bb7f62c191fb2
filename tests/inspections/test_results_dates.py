"""An inspection result's date and what it may change (特种设备安全法 §40): on or after the scheduled day (or the day
the application was filed), never in the future; an older result never shortens a later validity on record unless
the agency records it as a correction, kept in the history."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from inspections.choices import ApplicationStatus, InspectionKind, InspectionResult
from inspections.models import Inspection, InspectionApplication

from ..factories import InspectionFactory, make_application, make_inspection

TODAY = timezone.localdate()
D = date.fromisoformat


def scheduled_for(world, day, **fields):
    """An application by the use unit, scheduled with the agency for `day` (which may lie in the past)."""
    application = make_application(world)
    InspectionApplication.objects.filter(pk=application.pk).update(
        status=ApplicationStatus.SCHEDULED, scheduled_on=day, **fields
    )
    application.refresh_from_db()
    application.inspectors.set([world["inspector"]])
    return application


def valid_until(elevator, day):
    elevator.inspection_valid_until = day
    elevator.save()


def error_on(field, **kwargs):
    with pytest.raises(ValidationError) as exc:
        make_inspection(**kwargs)
    return exc.value.message_dict[field]


@pytest.mark.django_db
class TestResultDate:
    def test_before_the_scheduled_day_is_refused_with_the_field_named(self, world):
        application = scheduled_for(world, TODAY)
        messages = error_on("inspected_on", world=world, application=application, inspected_on=TODAY - timedelta(1))
        assert messages == [f"检验日期不能早于排定的检验日期（{TODAY}）。"]
        assert not Inspection.objects.exists()

    def test_a_mistyped_year_does_not_move_the_validity_back(self, world):
        """An application filed and scheduled in December 2026, a result typed as 2020-06-15."""
        elevator = world["a"]
        before = elevator.inspection_valid_until
        application = scheduled_for(world, TODAY)
        error_on("inspected_on", world=world, application=application, inspected_on=D("2020-06-15"))
        elevator.refresh_from_db()
        assert elevator.inspection_valid_until == before and application.status == ApplicationStatus.SCHEDULED

    def test_on_the_scheduled_day_and_after_it_is_accepted(self, world):
        application = scheduled_for(world, TODAY - timedelta(days=2))
        assert make_inspection(world, application=application, inspected_on=TODAY - timedelta(days=2))
        application = scheduled_for(world, TODAY - timedelta(days=5), kind=InspectionKind.RE_INSPECTION)
        make_inspection(
            world,
            application=application,
            kind=InspectionKind.RE_INSPECTION,
            result=InspectionResult.RE_PASSED,
            inspected_on=TODAY,
        )

    def test_without_a_schedule_not_before_the_day_the_application_was_filed(self, world):
        filed = timezone.now() - timedelta(days=3)
        application = scheduled_for(world, None, created_at=filed)
        messages = error_on(
            "inspected_on", world=world, application=application, inspected_on=timezone.localdate(filed) - timedelta(1)
        )
        assert messages == [f"检验日期不能早于申报日期（{timezone.localdate(filed)}）。"]
        assert make_inspection(world, application=application, inspected_on=timezone.localdate(filed))

    def test_the_future_is_refused_in_the_citys_calendar(self, world):
        application = scheduled_for(world, TODAY)
        assert error_on("inspected_on", world=world, application=application, inspected_on=TODAY + timedelta(1)) == [
            "检验日期不能晚于今天。"
        ]
        assert make_inspection(world, application=application, inspected_on=TODAY)


@pytest.mark.django_db
class TestOlderResults:
    def test_a_late_older_pass_does_not_shorten_a_later_validity(self, world):
        elevator = world["a"]
        valid_until(elevator, D("2027-06-30"))
        history = elevator.history.count()
        application = scheduled_for(world, D("2025-01-15"))
        inspection = make_inspection(world, application=application, inspected_on=D("2025-01-15"))
        elevator.refresh_from_db()
        assert inspection.valid_until == D("2026-01-15") and not inspection.changed_elevator
        assert elevator.inspection_valid_until == D("2027-06-30") and elevator.history.count() == history
        application.refresh_from_db()
        assert application.status == ApplicationStatus.COMPLETED  # the result itself is kept

    def test_a_late_older_failure_does_not_mark_an_elevator_that_passed_since(self, world):
        elevator = world["a"]
        InspectionFactory(elevator=elevator, inspected_on=TODAY - timedelta(days=10))
        application = scheduled_for(world, TODAY - timedelta(days=40))
        make_inspection(world, application=application, inspected_on=TODAY - timedelta(40), result="failed")
        elevator.refresh_from_db()
        assert not elevator.inspection_failed

    def test_a_late_older_pass_does_not_clear_a_later_failure(self, world):
        elevator = world["a"]
        make_inspection(world, inspected_on=TODAY - timedelta(days=5), result=InspectionResult.FAILED)
        application = scheduled_for(world, TODAY - timedelta(days=30))
        make_inspection(world, application=application, inspected_on=TODAY - timedelta(days=30))
        elevator.refresh_from_db()
        assert elevator.inspection_failed

    def test_a_passed_reinspection_clears_a_failure_whatever_the_old_validity(self, world):
        elevator = world["a"]
        valid_until(elevator, TODAY + timedelta(days=600))  # from a 24-month cycle, before the failure
        make_inspection(world, result=InspectionResult.FAILED)
        again = make_inspection(world, kind=InspectionKind.RE_INSPECTION, result=InspectionResult.RE_PASSED)
        elevator.refresh_from_db()
        assert not elevator.inspection_failed and elevator.inspection_valid_until == again.valid_until

    def test_a_correction_shortens_the_validity_and_the_history_says_who_when_and_why(self, world):
        elevator = world["a"]
        valid_until(elevator, D("2027-06-30"))
        application = scheduled_for(world, D("2025-01-15"))
        inspection = make_inspection(
            world,
            application=application,
            inspected_on=D("2025-01-15"),
            report_no="R-CORR-1",
            corrects_validity=True,
            correction_reason="  有效期登记错误，以纸质报告为准  ",
        )
        elevator.refresh_from_db()
        assert elevator.inspection_valid_until == D("2026-01-15") and inspection.changed_elevator
        record = Inspection.objects.get(pk=inspection.pk)
        assert record.corrects_validity and record.correction_reason == "有效期登记错误，以纸质报告为准"
        assert record.recorded_by == world["users"]["inspection"]
        last = elevator.history.first()
        assert last.inspection_valid_until == D("2026-01-15") and last.prev_record.inspection_valid_until == D(
            "2027-06-30"
        )
        assert last.history_user == world["users"]["inspection"]
        assert last.history_change_reason == "更正有效期（检验报告R-CORR-1）：有效期登记错误，以纸质报告为准"
        assert last.history_date >= timezone.now() - timedelta(minutes=1)

    def test_a_correction_needs_a_reason(self, world):
        assert error_on("correction_reason", world=world, corrects_validity=True, correction_reason=" ") == [
            "更正有效期时请填写更正原因。"
        ]
        inspection = InspectionFactory(elevator=world["a"])
        inspection.corrects_validity = True
        with pytest.raises(IntegrityError), transaction.atomic():
            inspection.save()


def post_result(c, application, **data):
    payload = {
        "inspected_on": str(TODAY),
        "result": "passed",
        "report_no": "WEB-1",
        "inspectors": [application.inspectors.get().pk],
        "defects-TOTAL_FORMS": "0",
        "defects-INITIAL_FORMS": "0",
    }
    payload.update(data)
    return c.post(reverse("inspections:record_result", args=[application.pk]), payload, follow=True)


def post_api(c, application, **data):
    payload = {
        "application": application.pk,
        "inspected_on": str(TODAY),
        "result": "passed",
        "report_no": "API-1",
        "inspectors": [application.inspectors.get().pk],
    }
    payload.update(data)
    return c.post("/api/v1/inspections/", payload, content_type="application/json")


@pytest.mark.django_db
def test_the_page_names_the_field_and_warns_when_the_validity_is_kept(client, world):
    client.force_login(world["users"]["inspection"])
    application = scheduled_for(world, TODAY - timedelta(days=3))
    page = post_result(client, application, inspected_on=str(TODAY - timedelta(days=4))).content.decode()
    assert f"检验日期不能早于排定的检验日期（{TODAY - timedelta(days=3)}）。" in page and "invalid-feedback" in page
    page = post_result(client, application, corrects_validity="on").content.decode()
    assert "更正有效期时请填写更正原因。" in page
    valid_until(world["a"], TODAY + timedelta(days=700))
    page = post_result(client, application, inspected_on=str(TODAY - timedelta(days=3))).content.decode()
    assert "本结果已记入历史，未改变电梯的检验有效期" in page
    world["a"].refresh_from_db()
    assert world["a"].inspection_valid_until == TODAY + timedelta(days=700)


@pytest.mark.django_db
def test_the_page_records_a_correction(client, world):
    client.force_login(world["users"]["inspection"])
    valid_until(world["a"], TODAY + timedelta(days=700))
    application = scheduled_for(world, TODAY)
    page = post_result(client, application, corrects_validity="on", correction_reason="周期登记错误").content.decode()
    assert "检验结果已录入" in page and "未改变电梯的检验有效期" not in page
    world["a"].refresh_from_db()
    assert world["a"].inspection_valid_until < TODAY + timedelta(days=700)


@pytest.mark.django_db
def test_the_api_answers_400_naming_the_field_and_records_a_correction(client, world):
    client.force_login(world["users"]["inspection"])
    application = scheduled_for(world, TODAY - timedelta(days=3))
    response = post_api(client, application, inspected_on=str(TODAY - timedelta(days=4)))
    assert response.status_code == 400
    assert response.json() == {"inspected_on": [f"检验日期不能早于排定的检验日期（{TODAY - timedelta(days=3)}）。"]}
    response = post_api(client, application, inspected_on=str(TODAY + timedelta(days=1)))
    assert response.status_code == 400 and response.json() == {"inspected_on": ["检验日期不能晚于今天。"]}
    response = post_api(client, application, corrects_validity=True)
    assert response.status_code == 400 and response.json() == {"correction_reason": ["更正有效期时请填写更正原因。"]}

    valid_until(world["a"], TODAY + timedelta(days=700))
    response = post_api(client, application, corrects_validity=True, correction_reason="周期登记错误")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["corrects_validity"] and body["correction_reason"] == "周期登记错误"
    assert body["elevator_inspection_valid_until"] == body["valid_until"]


@pytest.mark.django_db
def test_the_api_shows_the_elevators_validity_kept_after_an_older_result(client, world):
    client.force_login(world["users"]["inspection"])
    valid_until(world["a"], TODAY + timedelta(days=700))
    response = post_api(client, scheduled_for(world, TODAY))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["elevator_inspection_valid_until"] == str(TODAY + timedelta(days=700)) != body["valid_until"]
    assert body["corrects_validity"] is False
