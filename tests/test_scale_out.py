"""Scaling out (README "Scaling out"): every task has its queue, and two workers running the same scheduled jobs at once
(as if two beats had fired) leave every reminder, flag, escalation and notification exactly once."""

import os
import runpy
import subprocess
import sys
import threading
import time
import uuid
from datetime import date, timedelta

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from accounts.choices import Role
from complaints.models import Complaint, ComplaintEvent
from departments.models import Department
from maintenance.models import ContractElevator, CreditEvaluation, MaintenanceContract
from notifications.choices import ReminderKind
from notifications.models import Notification, Reminder
from registry.choices import OrganizationKind, RiskReason
from registry.models import Organization, RiskFlag

from .factories import ElevatorFactory, OrganizationFactory, district, user_with_role
from .processes import ROOT, process_env

SLOW = {
    "registry.tasks.import_run_task",
    "monitoring.tasks.risk_scan_task",
    "inspections.tasks.send_reminders_task",
    "maintenance.tasks.maintenance_overdue_task",
    "maintenance.tasks.contracts_roll_task",
    "maintenance.credit.tasks.credit_evaluate_task",
    "preparedness.tasks.preparedness_check_task",
}
FAST = {
    "complaints.tasks.escalate_complaints_task",
    "complaints.tasks.check_calendar_task",
    "maintenance.faults.tasks.entrapment_accidents_task",
    "notifications.tasks.deliver_outbox_task",
    "rescue.tasks.rescue_ladder_task",
    "iot.tasks.check_devices_task",
    "registry.tasks.requeue_stale_jobs_task",
}


# ---------------------------------------------------------------- routing (no broker needed)


def our_tasks() -> set[str]:
    from elevator_portal.celery import app

    app.loader.import_default_modules()  # runs the autodiscovery of every app's tasks.py
    return {name for name in app.tasks if not name.startswith("celery.")}


def test_every_task_is_routed_to_its_queue_by_name():
    from elevator_portal.celery import app

    assert our_tasks() == SLOW | FAST  # a new task must be given its queue here and in CELERY_TASK_ROUTES
    for name in our_tasks():
        assert name in settings.CELERY_TASK_ROUTES, f"{name} is left to the default queue"
        queue = app.amqp.router.route({}, name)["queue"].name
        assert queue == ("slow" if name in SLOW else "fast"), name


def test_every_scheduled_job_is_a_routed_task():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled <= our_tasks() and scheduled <= settings.CELERY_TASK_ROUTES.keys()


def test_redis_hands_a_task_to_another_worker_only_after_the_longest_task_could_have_ended(monkeypatch):
    from elevator_portal.celery import app

    monkeypatch.setenv("REDIS_URL", "redis://redis.internal:6379/0")
    production = runpy.run_path(str(ROOT / "elevator_portal" / "settings.py"))  # the settings as a host reads them
    longest = max(
        task.time_limit or settings.CELERY_TASK_TIME_LIMIT for name, task in app.tasks.items() if name in our_tasks()
    )
    assert production["CELERY_BROKER_TRANSPORT_OPTIONS"]["visibility_timeout"] > longest


# ---------------------------------------------------------------- two real workers, every job twice at once

JOBS = [
    "inspections.tasks.send_reminders_task",
    "maintenance.tasks.maintenance_overdue_task",
    "monitoring.tasks.risk_scan_task",
    "complaints.tasks.escalate_complaints_task",
    "maintenance.credit.tasks.credit_evaluate_task",
    "maintenance.tasks.contracts_roll_task",
    "preparedness.tasks.preparedness_check_task",
]


@pytest.fixture
def registry_with_work_for_every_job(db):
    """Elevators due for reminders, overdue for maintenance and over 15 years old; overdue complaints; a contract
    handing an elevator over today. Each set is distinct, so each job's effects can be counted on their own."""
    today = timezone.localdate()
    dongqu = district("510402")
    use_unit = OrganizationFactory(name="金江物业", kind=OrganizationKind.USE_UNIT, district=dongqu)
    firm = OrganizationFactory(name="安达维保", kind=OrganizationKind.MAINTENANCE, district=dongqu)
    old_firm = OrganizationFactory(name="旧维保", kind=OrganizationKind.MAINTENANCE, district=dongqu)
    users = {
        "use_unit": user_with_role(Role.USE_UNIT, organization=use_unit, email="wuye@example.cn"),
        "firm": user_with_role(Role.MAINTENANCE, organization=firm, email="weibao@example.cn"),
        "regulator": user_with_role(Role.DISTRICT_REGULATOR, email="dongqu@example.cn"),
        "supervisor": user_with_role(Role.CITY_REGULATOR, email="duban@example.cn"),
    }

    def elevators(n, **fields):
        return ElevatorFactory.create_batch(n, district=dongqu, use_unit=use_unit, maintenance_firm=firm, **fields)

    due = elevators(12, inspection_valid_until=today + timedelta(days=20)) + elevators(
        8, inspection_valid_until=today - timedelta(days=2)
    )
    overdue = elevators(10, last_maintenance_on=today - timedelta(days=settings.MAINTENANCE_INTERVAL_DAYS + 5))
    old = elevators(8, commission_date=date(today.year - 20, 1, 1))
    # TSG T5002-2017: a drill every DRILL_INTERVAL_MONTHS; these were last drilled 8 months ago. The use unit has no
    # safety manager at all (plan §2(7)): its district is told.
    undrilled = elevators(5, last_drill_on=today - timedelta(days=250))

    handed_over = ElevatorFactory(district=dongqu, use_unit=use_unit, maintenance_firm=old_firm)
    ending = MaintenanceContract.objects.create(
        number="HT-OLD",
        use_unit=use_unit,
        firm=old_firm,
        starts_on=today - timedelta(days=365),
        ends_on=today - timedelta(days=1),
        status="active",
        created_by=users["use_unit"],
    )
    starting = MaintenanceContract.objects.create(
        number="HT-NEW",
        use_unit=use_unit,
        firm=firm,
        starts_on=today,
        ends_on=today + timedelta(days=364),
        status="pending",
        created_by=users["use_unit"],
    )
    ContractElevator.objects.create(contract=ending, elevator=handed_over, active=True)
    ContractElevator.objects.create(contract=starting, elevator=handed_over, active=False)

    department = Department.objects.create(
        code="zjj",
        name="市住房和城乡建设局",
        supervisor=users["supervisor"],
        organization=OrganizationFactory(name="市住建局", kind=OrganizationKind.DEPARTMENT, district=None),
    )
    late = timezone.now() - timedelta(hours=2)
    complaints = [
        Complaint.objects.create(
            tracking_no=f"TS{i:06d}",
            elevator=due[i],
            district=dongqu,
            address=due[i].address,
            category="breakdown",
            description="电梯异响",
            department=department,
            accept_deadline=late,
            resolve_deadline=late + timedelta(days=7),
        )
        for i in range(6)
    ]
    return {
        "due": due,
        "overdue": overdue,
        "old": old,
        "undrilled": undrilled,
        "handed_over": handed_over,
        "complaints": complaints,
        "firms": [firm, old_firm],
        "contracts": (ending, starting),
        **users,
    }


class Worker:
    """A `celery worker --pool solo` process on the test database and the test Redis, its output read as it comes."""

    def __init__(self, name: str, queue: str, redis_url: str):
        self.name = f"{name}-{queue}"
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "elevator_portal",
                "worker",
                "--pool",
                "solo",
                "--concurrency",
                "1",
                "--queues",
                queue,
                "--hostname",
                f"{self.name}@%h",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=process_env(REDIS_URL=redis_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def count(self, word: str) -> int:
        return sum(1 for line in self.lines if word in line)

    def stop(self) -> None:
        self.process.terminate()  # a warm shutdown: the task at hand finishes first
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=5)


def wait_for(condition, *, seconds: float, what: str, workers: list[Worker]) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if (
            time.monotonic() > deadline
            or any(w.process.poll() is not None for w in workers)
            or any(w.count("raised unexpected") or w.count("Retry in") for w in workers)
        ):
            logs = "\n".join(f"--- {w.name}\n{w.output}" for w in workers)
            pytest.fail(f"{what}: not within {seconds} s, or a task failed, or a worker exited\n{logs}")
        time.sleep(0.2)


@pytest.mark.slow  # two real Celery workers
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_two_workers_running_every_scheduled_job_twice_at_once_leave_each_effect_once(registry_with_work_for_every_job):
    redis_url = os.getenv("TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("set TEST_REDIS_URL (CI and `make test` do when Redis answers) to run two real Celery workers")
    from celery import Celery

    world = registry_with_work_for_every_job
    queue = f"test-scale-{uuid.uuid4().hex[:8]}"
    workers = [Worker("w1", queue, redis_url), Worker("w2", queue, redis_url)]
    try:
        wait_for(
            lambda: all(w.count(" ready.") for w in workers), seconds=30, what="both workers ready", workers=workers
        )
        client = Celery(broker=redis_url)
        # Two beats firing the same schedule: each job is sent twice while both workers wait, so that each takes
        # one copy (concurrency 1: a worker reserves one task at a time) and the two copies run at the same moment.
        for n, name in enumerate(JOBS, start=1):
            for _ in range(2):
                client.send_task(name, queue=queue)
            wait_for(
                lambda n=n: sum(w.count("succeeded in") for w in workers) == 2 * n,
                seconds=30,
                what=f"both copies of {name} succeeded",
                workers=workers,
            )
        client.close()
    finally:
        for w in workers:
            w.stop()
        connection = redis.Redis.from_url(redis_url)
        connection.delete(*connection.keys(f"*{queue}*") or ["-"])  # kombu's binding of the test queue
        connection.close()
    logs = "\n".join(f"--- {w.name}\n{w.output}" for w in workers)
    assert not any(w.count("raised unexpected") or w.count("Traceback") for w in workers), logs
    for name in JOBS:  # the copies ran on the two workers, not one after the other on one
        assert [w.count(f"{name}[") for w in workers] == [2, 2], f"{name}\n{logs}"  # received + succeeded

    # Reminders (inspections and maintenance): one row per elevator and stage, each elevator in one digest line.
    assert Reminder.objects.filter(kind=ReminderKind.INSPECTION_DEADLINE).count() == 12
    assert Reminder.objects.filter(kind=ReminderKind.INSPECTION_EXPIRED).count() == 8
    assert Reminder.objects.filter(kind=ReminderKind.MAINTENANCE_OVERDUE).count() == 10
    use_unit_inbox = list(Notification.objects.filter(recipient=world["use_unit"]).values_list("body", flat=True))
    for elevator in world["due"] + world["overdue"]:
        assert sum(body.count(elevator.registration_code) for body in use_unit_inbox) == 1, logs

    # Preparedness: one overdue-drill alert per elevator, in one digest line; the unit without a manager told once.
    assert Reminder.objects.filter(kind=ReminderKind.DRILL_OVERDUE).count() == 5
    assert Reminder.objects.filter(kind=ReminderKind.SAFETY_MANAGER_MISSING).count() == 1
    for elevator in world["undrilled"]:
        assert sum(body.count(elevator.registration_code) for body in use_unit_inbox) == 1, logs

    # Risk scan: one active age flag per old elevator, each told to the regulator once.
    flags = RiskFlag.objects.filter(reason=RiskReason.AGE_OVER_15, cleared_on__isnull=True)
    assert sorted(flags.values_list("elevator_id", flat=True)) == sorted(e.pk for e in world["old"])
    risk_digests = list(
        Notification.objects.filter(recipient=world["regulator"], title__contains="重点监控").values_list(
            "body", flat=True
        )
    )
    assert len(risk_digests) == 1, logs  # the second scan waited for the first and found nothing new
    for elevator in world["old"]:
        assert risk_digests[0].count(elevator.registration_code) == 1

    # Escalation: each overdue complaint escalated once, with one event, named once to the supervisor.
    supervisor_inbox = list(Notification.objects.filter(recipient=world["supervisor"]).values_list("body", flat=True))
    for complaint in world["complaints"]:
        complaint.refresh_from_db()
        assert complaint.escalated_at is not None
        assert ComplaintEvent.objects.filter(complaint=complaint, kind="escalation").count() == 1
        assert sum(body.count(complaint.tracking_no) for body in supervisor_inbox) == 1, logs

    # Credit: one snapshot per firm and month; contracts: the hand-over happened once, to one active firm.
    period = timezone.localdate().replace(day=1)
    firms = Organization.objects.filter(kind=OrganizationKind.MAINTENANCE, is_active=True)
    assert CreditEvaluation.objects.filter(period=period).count() == firms.count() >= 2
    ending, starting = world["contracts"]
    ending.refresh_from_db()
    starting.refresh_from_db()
    assert (ending.status, starting.status) == ("ended", "active")
    assert list(
        ContractElevator.objects.filter(elevator=world["handed_over"], active=True).values_list(
            "contract_id", flat=True
        )
    ) == [starting.pk]
    world["handed_over"].refresh_from_db()
    assert world["handed_over"].maintenance_firm_id == world["firms"][0].pk
