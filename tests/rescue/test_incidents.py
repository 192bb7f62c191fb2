"""One incident per trapped event, whatever the channel; the dispatch written with it (docs/rules.md "Entrapment
rescue loop"; plan §2(10))."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from maintenance.choices import FaultKind, FaultSource
from maintenance.models import Fault
from notifications.choices import Channel
from notifications.models import OutboxMessage
from rescue.choices import DutyLevel, ReportSource, Step
from rescue.models import DutyShift, IncidentReport, RescueStep
from rescue.services import incident_acknowledge, incident_report, incident_stamp

pytestmark = pytest.mark.django_db


def on_call(world, *, level=DutyLevel.ON_CALL, name="值班王", phone="13800000001", **extra):
    now = timezone.now()
    return DutyShift.objects.create(
        firm=world["firm_a"],
        level=level,
        name=name,
        phone=phone,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=11),
        **extra,
    )


@pytest.mark.parametrize(
    "source, fault_source",
    [
        (ReportSource.WEB, FaultSource.COMPLAINT),
        (ReportSource.OPEN311, FaultSource.COMPLAINT),
        (ReportSource.IOT, FaultSource.IOT),
        (ReportSource.HOTLINE, FaultSource.HOTLINE),
    ],
)
def test_every_source_opens_one_incident_and_later_reports_join_it(world, source, fault_source):
    first = incident_report(elevator=world["a"], source=source, reporter="张女士", phone="13900000001")
    assert first.created and first.report.opened
    fault = first.fault
    assert (fault.kind, fault.source, fault.firm_id, fault.reports) == (
        FaultKind.ENTRAPMENT,
        fault_source,
        world["firm_a"].pk,
        1,
    )
    for other in (ReportSource.WEB, ReportSource.HOTLINE, ReportSource.IOT, ReportSource.API):
        joined = incident_report(elevator=world["a"], source=other)
        assert not joined.created and joined.fault.pk == fault.pk
    fault.refresh_from_db()
    assert fault.reports == 5
    assert Fault.objects.filter(kind=FaultKind.ENTRAPMENT).count() == 1
    assert IncidentReport.objects.filter(fault=fault).count() == 5
    # The other elevator is another incident.
    assert incident_report(elevator=world["b"], source=source).created


def test_a_released_incident_is_over_and_a_new_report_opens_another(world):
    first = incident_report(elevator=world["a"], source=ReportSource.WEB).fault
    Fault.objects.filter(pk=first.pk).update(released_at=timezone.now())
    second = incident_report(elevator=world["a"], source=ReportSource.WEB)
    assert second.created and second.fault.pk != first.pk


def test_an_incident_left_open_a_day_no_longer_collects_reports(world, settings):
    stale = incident_report(
        elevator=world["a"],
        source=ReportSource.HOTLINE,
        reported_at=timezone.now() - timedelta(hours=settings.RESCUE_INCIDENT_OPEN_HOURS, seconds=1),
    ).fault
    fresh = incident_report(elevator=world["a"], source=ReportSource.WEB)
    assert fresh.created and fresh.fault.pk != stale.pk


def test_the_same_report_sent_twice_is_recorded_once(world):
    one = incident_report(elevator=world["a"], source=ReportSource.IOT, external_ref="dev-1:ev-9")
    again = incident_report(elevator=world["a"], source=ReportSource.IOT, external_ref="dev-1:ev-9")
    assert again.report.pk == one.report.pk and not again.created
    one.fault.refresh_from_db()
    assert one.fault.reports == 1 and IncidentReport.objects.count() == 1


def test_the_dispatch_tells_the_people_on_call_and_the_use_units_safety_manager_on_every_channel(world):
    shift = on_call(world, user=world["users"]["maintenance"], email="duty@example.cn")
    on_call(world, level=DutyLevel.MANAGER, name="经理李", phone="13800000002")  # not at dispatch: the ladder's
    world["manager_a"].phone = "13900000009"
    world["manager_a"].save()
    fault = incident_report(elevator=world["a"], source=ReportSource.WEB).fault
    step = RescueStep.objects.get(fault=fault)
    assert (step.step, step.recipients) == (Step.DISPATCH, 2)
    rows = set(OutboxMessage.objects.values_list("channel", "address", "recipient_id"))
    assert rows == {
        (Channel.INBOX, "", world["users"]["maintenance"].pk),
        (Channel.SMS, shift.phone, world["users"]["maintenance"].pk),
        (Channel.EMAIL, "duty@example.cn", world["users"]["maintenance"].pk),
        (Channel.INBOX, "", world["users"]["use_unit"].pk),
        (Channel.SMS, "13900000009", world["users"]["use_unit"].pk),
        (Channel.EMAIL, world["users"]["use_unit"].email, world["users"]["use_unit"].pk),
    }
    body = OutboxMessage.objects.filter(channel=Channel.SMS).first().body
    assert world["a"].address in body and "30分钟" in body  # 东区: arrive within 30 minutes
    # Joining reports dispatch nothing more.
    incident_report(elevator=world["a"], source=ReportSource.HOTLINE)
    assert OutboxMessage.objects.count() == 6


def test_with_no_one_on_the_roster_every_login_of_the_firm_is_told(world):
    incident_report(elevator=world["a"], source=ReportSource.WEB)
    told = set(OutboxMessage.objects.filter(channel=Channel.INBOX).values_list("recipient__username", flat=True))
    assert world["users"]["maintenance"].username in told and world["users"]["maintenance_b"].username not in told


def test_the_outbox_rows_are_written_in_the_incidents_transaction(world):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        incident_report(elevator=world["a"], source=ReportSource.WEB)
        assert OutboxMessage.objects.exists()  # written with the incident...
        raise Boom
    # ... and gone with it.
    assert not Fault.objects.exists() and not OutboxMessage.objects.exists() and not RescueStep.objects.exists()


def test_a_signed_in_reporter_must_have_the_elevator_in_scope(world):
    with pytest.raises(PermissionDenied):
        incident_report(elevator=world["a"], source=ReportSource.API, user=world["users"]["maintenance_b"])
    made = incident_report(elevator=world["a"], source=ReportSource.HOTLINE, user=world["users"]["rescue_centre"])
    assert made.created and made.fault.source == FaultSource.HOTLINE
    assert made.report.created_by == world["users"]["rescue_centre"]


def test_bad_reports_are_refused_with_the_field_named(world):
    with pytest.raises(ValidationError) as error:
        incident_report(elevator=world["a"], source="fax")
    assert "source" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        incident_report(elevator=world["a"], source=ReportSource.WEB, reported_at=timezone.now() + timedelta(hours=1))
    assert "reported_at" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        incident_report(elevator=world["a"], source=ReportSource.WEB, trapped_people=-1)
    assert "trapped_people" in error.value.message_dict
    assert not Fault.objects.exists()


def test_acknowledging_once_and_on_behalf_of_the_firm(world):
    fault = incident_report(elevator=world["a"], source=ReportSource.WEB).fault
    with pytest.raises(PermissionDenied):
        incident_acknowledge(user=world["users"]["maintenance_b"], fault=fault)
    incident_acknowledge(user=world["users"]["rescue_centre"], fault=fault)
    fault.refresh_from_db()
    assert fault.acknowledged_at is not None
    assert fault.history.first().history_user == world["users"]["rescue_centre"]
    with pytest.raises(ValidationError) as error:
        incident_acknowledge(user=world["users"]["maintenance"], fault=fault)
    assert "acknowledged_at" in error.value.message_dict


def test_arriving_without_acknowledging_acknowledges(world):
    fault = incident_report(
        elevator=world["a"], source=ReportSource.WEB, reported_at=timezone.now() - timedelta(minutes=3)
    ).fault
    incident_stamp(user=world["users"]["maintenance"], fault=fault, step="arrived")
    fault.refresh_from_db()
    assert fault.arrived_at is not None and fault.acknowledged_at is not None
    incident_stamp(user=world["users"]["maintenance"], fault=fault, step="released")
    fault.refresh_from_db()
    assert fault.released_at >= fault.arrived_at
    with pytest.raises(ValidationError):
        incident_acknowledge(user=world["users"]["maintenance"], fault=fault)


def test_a_step_tapped_in_the_second_of_the_report_is_accepted_and_says_who_acknowledged(world):
    fault = incident_report(elevator=world["a"], source=ReportSource.IOT).fault  # reported now, with microseconds
    incident_stamp(user=world["users"]["maintenance"], fault=fault, step="dispatched")
    fault.refresh_from_db()
    assert fault.dispatched_at >= fault.reported_at and fault.acknowledged_at == fault.dispatched_at
    assert fault.history.first().history_user == world["users"]["maintenance"]
