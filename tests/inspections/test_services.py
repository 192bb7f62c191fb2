"""The inspection workflow: who may move an application, from which state, and what a result changes."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from inspections import services
from inspections.choices import ApplicationStatus, DefectStatus, InspectionKind, InspectionResult
from inspections.selectors import first_pass_rates
from inspections.services import TransitionError
from inspections.validity import add_months

from ..factories import PDF, ElevatorFactory, OrganizationFactory, make_application, make_inspection

TODAY = timezone.localdate()


def scheduled(world):
    application = make_application(world)
    services.application_schedule(
        user=world["users"]["inspection"], application=application, scheduled_on=TODAY, inspectors=[world["inspector"]]
    )
    return application


@pytest.mark.django_db
class TestApplications:
    def test_use_unit_applies_and_agency_moves_it_through(self, world):
        application = make_application(world)
        assert application.status == ApplicationStatus.SUBMITTED
        services.application_accept(user=world["users"]["inspection"], application=application)
        assert application.status == ApplicationStatus.ACCEPTED
        services.application_schedule(
            user=world["users"]["inspection"],
            application=application,
            scheduled_on=TODAY + timedelta(days=5),
            inspectors=[world["inspector"]],
        )
        assert application.status == ApplicationStatus.SCHEDULED
        assert list(application.inspectors.all()) == [world["inspector"]]
        assert application.history.first().history_user == world["users"]["inspection"]

    @pytest.mark.parametrize("who", ["maintenance", "inspection", "district", "city"])
    def test_only_the_use_unit_may_apply(self, world, who):
        with pytest.raises(PermissionDenied, match="只有该电梯的使用单位可以申报检验"):
            make_application(world, user=world["users"][who])

    def test_a_second_open_application_of_the_same_kind_is_refused(self, world):
        make_application(world)
        with pytest.raises(ValidationError, match="已有一份未办结的“定期检验”申报"):
            make_application(world)

    def test_wished_window_must_be_ordered_and_not_past(self, world):
        with pytest.raises(ValidationError) as exc:
            make_application(world, wished_from=TODAY + timedelta(days=5), wished_to=TODAY + timedelta(days=1))
        assert exc.value.message_dict["wished_to"] == ["期望检验日期（止）不能早于（起）。"]
        with pytest.raises(ValidationError) as exc:
            make_application(world, wished_from=TODAY - timedelta(days=1))
        assert exc.value.message_dict["wished_from"] == ["期望检验日期不能早于今天。"]

    @pytest.mark.parametrize("who", ["other_inspection", "use_unit", "district", "city", "maintenance"])
    def test_only_the_chosen_agency_handles_it(self, world, who):
        application = make_application(world)
        with pytest.raises(PermissionDenied, match="只有受理该申报的检验机构"):
            services.application_accept(user=world["users"][who], application=application)
        with pytest.raises(PermissionDenied):
            services.application_reject(user=world["users"][who], application=application, reason="x")

    def test_transitions_from_the_wrong_state_are_refused_with_the_state_named(self, world):
        application = make_application(world)
        services.application_reject(user=world["users"]["inspection"], application=application, reason="资料不全")
        assert application.reject_reason == "资料不全"
        with pytest.raises(TransitionError, match="申报当前状态为“不予受理”，不能受理。"):
            services.application_accept(user=world["users"]["inspection"], application=application)
        with pytest.raises(TransitionError, match="不能安排检验"):
            services.application_schedule(
                user=world["users"]["inspection"],
                application=application,
                scheduled_on=TODAY,
                inspectors=[world["inspector"]],
            )

    def test_reject_needs_a_reason(self, world):
        application = make_application(world)
        with pytest.raises(ValidationError, match="请填写不予受理的原因"):
            services.application_reject(user=world["users"]["inspection"], application=application, reason="  ")

    def test_cancel_only_while_submitted(self, world):
        application = make_application(world)
        services.application_accept(user=world["users"]["inspection"], application=application)
        with pytest.raises(TransitionError, match="不能撤回"):
            services.application_cancel(user=world["users"]["use_unit"], application=application)

    def test_inspector_with_an_expired_certificate_cannot_be_scheduled(self, world):
        person = world["inspector"]
        person.certificate_valid_until = TODAY + timedelta(days=2)
        person.save()
        application = make_application(world)
        day = TODAY + timedelta(days=3)
        with pytest.raises(ValidationError, match=f"检验人员“李检验”的证书已于{person.certificate_valid_until}过期"):
            services.application_schedule(
                user=world["users"]["inspection"], application=application, scheduled_on=day, inspectors=[person]
            )

    def test_a_result_needs_a_scheduled_application(self, world):
        application = make_application(world)
        with pytest.raises(TransitionError, match="请先安排检验"):
            make_inspection(world, application=application)


@pytest.mark.django_db
class TestResults:
    def test_a_pass_sets_validity_to_twelve_months_and_completes_the_application(self, world):
        application = scheduled(world)
        inspection = make_inspection(world, application=application, inspected_on=TODAY)  # the scheduled day
        world["a"].refresh_from_db()
        assert world["a"].inspection_valid_until == add_months(TODAY, 12) == inspection.valid_until
        application.refresh_from_db()
        assert application.status == ApplicationStatus.COMPLETED

    def test_validity_interval_is_a_setting(self, world, settings):
        settings.INSPECTION_INTERVAL_MONTHS = 24
        make_inspection(world, inspected_on=date(2026, 3, 1))
        world["a"].refresh_from_db()
        assert world["a"].inspection_valid_until == date(2028, 3, 1)

    def test_multi_year_cycle_hook(self, world, settings):
        settings.INSPECTION_VALIDITY_FUNCTION = "inspections.validity.tsg_t7001_2023"
        young = world["a"]
        young.commission_date = TODAY - timedelta(days=365 * 5)
        young.save()
        inspection = make_inspection(world, inspected_on=TODAY)
        assert inspection.valid_until == add_months(TODAY, 24)
        old = ElevatorFactory(use_unit=world["use_a"], commission_date=TODAY.replace(year=TODAY.year - 15))
        assert make_inspection(world, elevator=old).valid_until == add_months(TODAY, 12)

    def test_month_end_clamps(self):
        assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
        assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)

    def test_a_failure_marks_the_elevator_not_to_be_used_and_a_passed_reinspection_clears_it(self, world):
        elevator = world["a"]
        failed = make_inspection(
            world,
            result=InspectionResult.FAILED,
            defects=[{"description": "门锁回路短接", "deadline": TODAY + timedelta(days=15)}],
        )
        elevator.refresh_from_db()
        assert elevator.inspection_status() == "failed" and elevator.must_not_be_used
        defect = failed.defects.get()
        services.defect_rectify(
            user=world["users"]["use_unit"],
            defect=defect,
            note="已更换门锁",
            evidence=SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\nxxxx"),
        )
        defect.refresh_from_db()
        assert defect.status == DefectStatus.RECTIFIED and defect.evidence
        again = make_inspection(world, kind=InspectionKind.RE_INSPECTION, result=InspectionResult.RE_PASSED)
        elevator.refresh_from_db()
        defect.refresh_from_db()
        assert not elevator.inspection_failed and elevator.inspection_valid_until == again.valid_until
        assert defect.status == DefectStatus.CLOSED and defect.closed_by == again

    def test_result_must_fit_the_kind(self, world):
        with pytest.raises(ValidationError) as exc:
            make_inspection(world, result=InspectionResult.RE_PASSED)
        assert exc.value.message_dict["result"] == ["“定期检验”的结论只能是合格、不合格。"]

    def test_only_the_agency_records(self, world):
        with pytest.raises(PermissionDenied):
            make_inspection(world, user=world["users"]["other_inspection"])
        with pytest.raises(PermissionDenied):
            make_inspection(world, user=world["users"]["use_unit"])

    def test_report_must_really_be_a_pdf_and_not_too_big(self, world, settings):
        with pytest.raises(ValidationError) as exc:
            make_inspection(world, report_file=SimpleUploadedFile("r.pdf", b"MZ\x90\x00 not a pdf"))
        assert exc.value.message_dict["report_file"] == ["文件内容不是PDF。"]
        settings.INSPECTION_REPORT_MAX_BYTES = 10
        with pytest.raises(ValidationError, match="文件过大"):
            make_inspection(world, report_file=SimpleUploadedFile("r.pdf", PDF))
        settings.INSPECTION_REPORT_MAX_BYTES = 1024
        inspection = make_inspection(world, report_file=SimpleUploadedFile("r.pdf", PDF))
        assert inspection.report_file.read() == PDF

    def test_evidence_is_checked_by_content(self, world):
        inspection = make_inspection(
            world, result=InspectionResult.FAILED, defects=[{"description": "x", "deadline": TODAY}]
        )
        with pytest.raises(ValidationError, match="文件内容不是PDF、JPEG或PNG"):
            services.defect_rectify(
                user=world["users"]["use_unit"],
                defect=inspection.defects.get(),
                note="ok",
                evidence=SimpleUploadedFile("a.jpg", b"<html>"),
            )

    def test_duplicate_report_number(self, world):
        make_inspection(world, report_no="R-1")
        with pytest.raises(ValidationError) as exc:
            make_inspection(world, report_no="R-1")
        assert exc.value.message_dict["report_no"] == ["报告编号“R-1”已存在。"]

    def test_first_pass_rate_per_firm_and_installer(self, world):
        installer = OrganizationFactory(kind="installer")
        other = ElevatorFactory(use_unit=world["use_a"], maintenance_firm=world["firm_a"], installer=installer)
        make_inspection(world)  # firm: passed
        make_inspection(world, elevator=other, result=InspectionResult.FAILED)  # firm: failed
        make_inspection(world, elevator=other, kind=InspectionKind.RE_INSPECTION, result=InspectionResult.RE_PASSED)
        make_inspection(world, elevator=other, kind=InspectionKind.INSTALLATION)
        window = dict(since=TODAY - timedelta(days=365), until=TODAY)
        assert first_pass_rates(group_by="maintenance_firm", **window)[world["firm_a"].pk] == {
            "total": 2,
            "passed": 1,
            "rate": 0.5,
        }
        assert first_pass_rates(group_by="installer", **window)[installer.pk]["rate"] == 1.0
