"""The reminder job in real processes: two at once, and a real Celery worker on a real Redis broker."""

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.choices import ReminderKind
from notifications.models import Notification, Reminder

from ..factories import ElevatorFactory
from ..processes import ROOT, manage, process_env

pytestmark = pytest.mark.slow  # real processes on a test database committed for them


@pytest.fixture
def due(world):
    today = timezone.localdate()
    elevators = [world["a"]] + ElevatorFactory.create_batch(
        30, use_unit=world["use_a"], maintenance_firm=world["firm_a"]
    )
    for i, elevator in enumerate(elevators):
        elevator.inspection_valid_until = today + timedelta(days=20 if i % 2 else -2)
        elevator.save()
    return elevators


@pytest.mark.django_db(transaction=True)
def test_two_processes_at_once_send_each_reminder_once(world, due):
    procs = [manage("send_reminders") for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    assert Reminder.objects.count() == len(due)
    assert Reminder.objects.filter(kind=ReminderKind.INSPECTION_DEADLINE).count() == 15  # §40 deadline passed
    assert Reminder.objects.filter(kind=ReminderKind.INSPECTION_EXPIRED).count() == 16
    # Every elevator is named in exactly one of the use unit's notifications.
    bodies = list(Notification.objects.filter(recipient=world["users"]["use_unit"]).values_list("body", flat=True))
    for elevator in due:
        assert sum(body.count(elevator.registration_code) for body in bodies) == 1, elevator.registration_code


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_runs_the_reminder_task_from_redis(world, due):
    redis_url = os.getenv("TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("set TEST_REDIS_URL (CI does) to run the worker against a real Redis broker")
    from celery import Celery

    queue = f"test-{uuid.uuid4().hex[:8]}"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "elevator_portal",
            "worker",
            "--pool",
            "solo",
            "--queues",
            queue,
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
    try:
        client = Celery(broker=redis_url)
        client.send_task("inspections.tasks.send_reminders_task", queue=queue)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and Reminder.objects.count() < len(due):
            time.sleep(0.5)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
    assert Reminder.objects.count() == len(due), output
    assert Notification.objects.filter(recipient=world["users"]["use_unit"]).count() == 1
    assert "send_reminders_task" in output and "succeeded" in output, output
