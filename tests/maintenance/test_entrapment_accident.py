"""An entrapment still open 2 hours after the report is an accident (特种设备安全监察条例 §64): the rule at its edges,
the job that marks it and alerts the city and district regulators once per fault, and everything that counts
accidents (the dashboards and their cache, the statistics, credit, the pages, the API, the history)."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dashboards.selectors import dashboard_numbers
from maintenance.choices import FaultKind
from maintenance.credit.services import credit_evaluate
from maintenance.faults import rules, selectors
from maintenance.faults.jobs import RELEASED_ALERT_WINDOW, entrapment_accidents_run
from maintenance.faults.tasks import entrapment_accidents_task
from maintenance.models import CreditEvaluation, Fault
from monitoring.history import elevator_history
from notifications.choices import ReminderKind
from notifications.models import Notification, Reminder
from notifications.outbox import outbox_deliver_all

from ..factories import ElevatorFactory, FaultFactory
from ..processes import manage

NOW = timezone.now().replace(microsecond=0)
TWO_HOURS = timedelta(minutes=settings.ENTRAPMENT_ACCIDENT_MINUTES)
SECOND = timedelta(seconds=1)


def open_entrapment(elevator, *, open_for: timedelta, **extra) -> Fault:
    """An entrapment reported `open_for` before NOW, no release recorded."""
    return FaultFactory(elevator=elevator, entrapment=True, reported_at=NOW - open_for, **extra)


def accident_by_q(fault: Fault, now=NOW) -> bool:
    return Fault.objects.filter(rules.accident_q(now=now), pk=fault.pk).exists()


def delivered():
    """The inbox once the outbox worker has delivered what the job wrote (notifications.outbox)."""
    outbox_deliver_all()
    return Notification.objects


def recipients() -> set[str]:
    return set(delivered().values_list("recipient__username", flat=True))


# ---------------------------------------------------------------- the rule


@pytest.mark.django_db
@pytest.mark.parametrize(
    "open_for, accident",
    [(TWO_HOURS - SECOND, False), (TWO_HOURS, True), (TWO_HOURS + SECOND, True), (timedelta(hours=30), True)],
)
def test_an_open_entrapment_is_an_accident_from_two_hours_on(world, open_for, accident):
    fault = open_entrapment(world["a"], open_for=open_for)
    assert rules.is_accident(fault, now=NOW) is accident
    assert accident_by_q(fault) is accident
    assert rules.rescue_status(fault, now=NOW).accident is accident


@pytest.mark.django_db
@pytest.mark.parametrize(
    "released_after, accident",
    [(TWO_HOURS - SECOND, False), (TWO_HOURS, True), (TWO_HOURS + timedelta(minutes=30), True)],
)
def test_a_released_entrapment_is_an_accident_when_released_two_hours_or_more_after_the_report(
    world, released_after, accident
):
    fault = open_entrapment(world["a"], open_for=timedelta(hours=5))
    fault.released_at = fault.reported_at + released_after
    fault.save()
    assert rules.is_accident(fault, now=NOW) is accident and accident_by_q(fault) is accident


@pytest.mark.django_db
def test_a_long_fault_without_people_trapped_is_no_accident(world):
    stopped = FaultFactory(elevator=world["a"], kind=FaultKind.STOPPED, reported_at=NOW - timedelta(hours=9))
    assert not rules.is_accident(stopped, now=NOW) and not accident_by_q(stopped)


@pytest.mark.django_db
def test_a_release_recorded_later_decides_even_after_the_alert(world):
    # Found open at 2 hours and alerted; then the firm records that people were out after 1 h 50: the recorded
    # duration is the evidence (times are corrected only by regulators, and the history keeps who did).
    fault = open_entrapment(world["a"], open_for=TWO_HOURS)
    entrapment_accidents_run(now=NOW)
    fault.refresh_from_db()
    assert fault.accident_at == NOW and rules.is_accident(fault, now=NOW)
    fault.released_at = fault.reported_at + timedelta(minutes=110)
    fault.save()
    assert not rules.is_accident(fault, now=NOW) and not accident_by_q(fault)


# ---------------------------------------------------------------- the job


@pytest.mark.django_db
def test_the_job_alerts_the_city_and_the_district_regulator_once_per_fault(world, django_assert_num_queries):
    fault = open_entrapment(world["a"], open_for=TWO_HOURS - SECOND)
    with django_assert_num_queries(1):  # nothing due yet: one read, no write
        assert entrapment_accidents_run(now=NOW).marked == 0
    later = NOW + SECOND  # 2:00:00 after the report
    run = entrapment_accidents_run(now=later)
    assert (run.marked, run.alerted, run.recipients) == (1, 1, 3)
    fault.refresh_from_db()
    assert fault.accident_at == later
    # 东区's regulator, the city regulator and the 96333 centre; not the use unit, the firm or 米易县.
    assert recipients() == {world["users"][role].username for role in ("city", "district", "rescue_centre")}
    body = delivered().filter(recipient=world["users"]["city"]).get().body
    assert world["a"].registration_code in body and "仍未解救" in body and "第六十四条" in body
    reminder = Reminder.objects.get()
    assert (reminder.kind, reminder.subject_key, reminder.cycle, reminder.elevator_id) == (
        ReminderKind.ENTRAPMENT_ACCIDENT,
        f"fault:{fault.pk}",
        timezone.localdate(fault.reported_at),
        world["a"].pk,
    )
    # Again, and an hour later: nothing new.
    for moment in (later, later + timedelta(hours=1)):
        again = entrapment_accidents_run(now=moment)
        assert (again.marked, again.alerted) == (0, 0)
    assert delivered().count() == 3 and Reminder.objects.count() == 1


@pytest.mark.django_db
def test_the_job_alerts_late_recorded_accidents_and_leaves_other_faults_and_known_accidents_alone(world):
    released_late = open_entrapment(world["b"], open_for=timedelta(hours=4))
    released_late.released_at = released_late.reported_at + timedelta(minutes=150)
    released_late.save()
    in_time = open_entrapment(world["a"], open_for=timedelta(hours=4))
    in_time.released_at = in_time.reported_at + timedelta(minutes=40)
    in_time.save()
    FaultFactory(elevator=world["a"], kind=FaultKind.STOPPED, reported_at=NOW - timedelta(hours=9))
    known = open_entrapment(world["a"], open_for=timedelta(days=40), accident_at=NOW - timedelta(days=39))
    run = entrapment_accidents_run(now=NOW)
    # 米易县 has no regulator here: the city and the 96333 centre only
    assert (run.marked, run.alerted, run.recipients) == (1, 1, 2)
    assert recipients() == {world["users"]["city"].username, world["users"]["rescue_centre"].username}
    body = delivered().get(recipient=world["users"]["city"]).body
    assert world["b"].registration_code in body and "150分钟后解救" in body
    known.refresh_from_db()
    assert known.accident_at == NOW - timedelta(days=39)
    assert set(Fault.objects.filter(accident_at__isnull=False).values_list("pk", flat=True)) == {
        released_late.pk,
        known.pk,
    }


@pytest.mark.django_db
def test_history_entered_long_after_the_fact_counts_but_is_not_sent_as_news(world):
    old = open_entrapment(world["a"], open_for=RELEASED_ALERT_WINDOW + timedelta(hours=3))
    old.released_at = old.reported_at + timedelta(hours=3)
    old.save()
    assert accident_by_q(old) and entrapment_accidents_run(now=NOW).alerted == 0
    recent = open_entrapment(world["a"], open_for=RELEASED_ALERT_WINDOW - timedelta(hours=1))
    recent.released_at = recent.reported_at + timedelta(hours=3)
    recent.save()
    assert entrapment_accidents_run(now=NOW).alerted == 1


@pytest.mark.django_db
def test_the_job_query_count_does_not_depend_on_the_number_of_accidents(world):
    def run(n):
        for _ in range(n):
            open_entrapment(ElevatorFactory(district=world["a"].district), open_for=timedelta(hours=3))
        with CaptureQueriesContext(connection) as ctx:
            alerted = entrapment_accidents_run(now=NOW).alerted
        return len(ctx.captured_queries), alerted

    assert run(2)[0] == run(20)[0]
    assert Reminder.objects.count() == 22


@pytest.mark.django_db
def test_the_task_and_the_command_run_the_job(world):
    open_entrapment(world["a"], open_for=timedelta(hours=3))
    assert entrapment_accidents_task.delay().get() == {"marked": 1, "alerted": 1, "recipients": 3}
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("check_entrapments", stdout=out)
    assert "0 marked, 0 alerted" in out.getvalue()
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"].endswith("entrapment_accidents_task"))
    assert settings.CELERY_TASK_ROUTES[entry["task"]] == {"queue": "fast"}


@pytest.mark.slow  # two real processes on a test database committed for them
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_alert_each_accident_once(world):
    elevators = [world["a"]] + [ElevatorFactory(district=world["a"].district) for _ in range(9)]
    faults = [open_entrapment(e, open_for=timedelta(hours=3)) for e in elevators]
    procs = [manage("check_entrapments") for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    assert Reminder.objects.filter(kind=ReminderKind.ENTRAPMENT_ACCIDENT).count() == len(faults)
    assert not Fault.objects.filter(accident_at__isnull=True).exists()
    for user in (world["users"]["city"], world["users"]["district"]):
        bodies = list(delivered().filter(recipient=user).values_list("body", flat=True))
        for e in elevators:
            assert sum(body.count(e.registration_code) for body in bodies) == 1, e.registration_code


# ---------------------------------------------------------------- everything that counts accidents


def board_accidents(user, now) -> int:
    today = timezone.localdate(now)
    numbers = dashboard_numbers(user=user, since=today - timedelta(days=30), until=today, now=now)
    return numbers["faults"]["total"]["accidents"]


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the dashboards cache only on PostgreSQL")
def test_the_cached_dashboard_counts_the_accident_once_the_job_has_marked_it(world):
    city = world["users"]["city"]
    open_entrapment(world["a"], open_for=TWO_HOURS - SECOND)
    assert board_accidents(city, NOW) == 0  # computed and cached
    later = NOW + SECOND
    # The clock alone writes nothing, so the cached figure stands (this is why the job marks the fault) ...
    assert board_accidents(city, later) == 0
    entrapment_accidents_run(now=later)
    # ... and the job's UPDATE raises the data version: the figure is computed afresh.
    assert board_accidents(city, later) == 1


@pytest.mark.django_db
def test_uncached_figures_count_the_accident_at_two_hours_without_waiting_for_the_job(world, settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    city = world["users"]["city"]
    fault = open_entrapment(world["a"], open_for=TWO_HOURS - SECOND)
    assert board_accidents(city, NOW) == 0 and board_accidents(city, NOW + SECOND) == 1
    today = timezone.localdate(NOW)
    stats = selectors.fault_statistics(user=city, since=today - timedelta(days=1), until=today)
    assert stats.total.accidents == 1  # the statistics page reads the clock too (now)
    assert list(selectors.accidents_by_firm(since=today - timedelta(days=1), until=today)) == [fault.firm_id]


@pytest.mark.django_db
def test_credit_counts_an_open_accident_and_says_so(world):
    open_entrapment(world["a"], open_for=timedelta(hours=3))
    today = timezone.localdate()
    credit_evaluate(today=today)
    evaluation = CreditEvaluation.objects.get(firm=world["firm_a"], period=today.replace(day=1))
    assert evaluation.accidents == 1 and evaluation.grade == "D"
    assert any(e["kind"] == "accident" and "解救时间未记录" in e["reason"] for e in evaluation.events)


@pytest.mark.django_db
def test_the_pages_the_api_and_the_history_show_an_open_accident(client, world):
    fault = open_entrapment(world["a"], open_for=timedelta(hours=3))
    client.force_login(world["users"]["city"])
    html = client.get(reverse("faults:detail", args=[fault.pk])).content.decode()
    assert 'id="accident"' in html and "仍未记录解救" in html
    row = client.get(f"/api/v1/faults/{fault.pk}/").json()
    assert row["is_accident"] is True and row["accident_at"] is None
    entrapment_accidents_run(now=timezone.now())
    assert client.get(f"/api/v1/faults/{fault.pk}/").json()["accident_at"] is not None
    assert "计为事故时间" in client.get(reverse("faults:detail", args=[fault.pk])).content.decode()
    events = [e for e in elevator_history(elevator=world["a"]) if e.link == reverse("faults:detail", args=[fault.pk])]
    assert len(events) == 1 and "事故" in events[0].detail
