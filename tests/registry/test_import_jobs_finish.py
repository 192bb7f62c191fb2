"""Import jobs that always finish (issue 14; docs/architecture.md "Jobs"): a broker down at the upload, a run killed
mid-import (its pool process or its whole worker), a job interrupted too often, two watchdogs at once."""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.choices import Role
from registry.choices import ImportStatus
from registry.imports import Requeued, import_job_run, import_job_start, import_jobs_requeue
from registry.models import Elevator, ImportJob

from ..factories import OrganizationFactory, user_with_role
from ..processes import ROOT, process_env
from .test_imports import csv_file, good_rows

INTERRUPTED = "导入任务多次中断"


@pytest.fixture
def regulator(db, districts):
    OrganizationFactory(name="甲物业", kind="use_unit", district=districts["510402"])
    return user_with_role(Role.CITY_REGULATOR)


def broker_down(*args, **kwargs):
    raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def background_job(regulator, settings, n=30) -> ImportJob:
    """An uploaded file too big to import during the request, not sent to any worker (the broker is down)."""
    from registry.tasks import import_run_task

    settings.IMPORT_SYNC_MAX_ROWS = 10
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(import_run_task, "delay", broker_down)
        return import_job_start(user=regulator, kind="elevators", uploaded_file=csv_file(good_rows(n)))


def age(job: ImportJob, **fields) -> None:
    """Let IMPORT_STALE_SECONDS pass for the job (its queue time and heartbeat), with other fields set."""
    long_ago = timezone.now() - timedelta(seconds=django_settings.IMPORT_STALE_SECONDS + 1)
    ImportJob.objects.filter(pk=job.pk).update(queued_at=long_ago, heartbeat_at=long_ago, **fields)


# ---------------------------------------------------------------- the broker is down at the upload


def test_upload_with_the_broker_down_answers_with_the_queued_job_and_the_watchdog_sends_it(
    client, regulator, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from registry.tasks import import_run_task

    settings.IMPORT_SYNC_MAX_ROWS = 10
    client.force_login(regulator)
    with monkeypatch.context() as patch:
        patch.setattr(import_run_task, "delay", broker_down)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = client.post(
                reverse("registry:import_upload"), {"kind": "elevators", "file": csv_file(good_rows(30))}
            )
    assert len(callbacks) == 1  # the send was tried, after the job row was committed, and failed
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("registry:import_detail", args=[job.pk])
    page = client.get(response.url).content.decode()
    assert "排队中" in page and "导入任务已排队" in page
    assert job.status == ImportStatus.PENDING and job.attempts == 0 and Elevator.objects.count() == 0

    assert import_jobs_requeue().sent == []  # queued a moment ago: not sent again yet
    age(job)
    call_command("requeue_stale_jobs", stdout=open(os.devnull, "w"))  # eager Celery: the task runs in-process
    job.refresh_from_db()
    assert job.status == ImportStatus.SUCCEEDED and job.attempts == 1 and Elevator.objects.count() == 30


def test_a_broker_at_a_dead_port_leaves_the_job_pending(regulator, settings, monkeypatch):
    """A real Celery client against a port nothing listens on: the upload still returns its committed, pending job."""
    from celery import Celery

    from registry.tasks import import_run_task

    dead = Celery(broker="redis://127.0.0.1:9/0", set_as_current=False)  # the portal's app stays current
    monkeypatch.setattr(
        import_run_task, "delay", lambda job_id: dead.send_task("registry.tasks.import_run_task", args=[job_id])
    )
    job = background_job(regulator, settings)  # autocommit: the send is tried at once, and fails
    dead.close()
    job.refresh_from_db()
    assert job.status == ImportStatus.PENDING and Elevator.objects.count() == 0


# ---------------------------------------------------------------- the watchdog


def test_a_run_whose_heartbeat_stopped_is_taken_back_and_run_again(regulator, settings):
    job = background_job(regulator, settings)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, attempts=1, processed_rows=20)
    age(job)
    run = import_jobs_requeue()  # eager Celery: sent and run in-process
    assert (run.sent, run.restarted, run.failed) == ([], [job.pk], [])
    job.refresh_from_db()
    assert job.status == ImportStatus.SUCCEEDED and job.attempts == 2 and Elevator.objects.count() == 30


def test_a_live_run_is_left_alone(regulator, settings):
    job = background_job(regulator, settings)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, attempts=1, heartbeat_at=timezone.now())
    assert import_jobs_requeue() == Requeued(sent=[], restarted=[], failed=[])
    job.refresh_from_db()
    assert job.status == ImportStatus.RUNNING


def test_a_job_interrupted_too_often_fails_with_its_reason(client, regulator, settings):
    settings.IMPORT_MAX_ATTEMPTS = 3
    job = background_job(regulator, settings)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, attempts=3)
    age(job)
    assert import_jobs_requeue().failed == [job.pk]
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and job.finished_at and Elevator.objects.count() == 0
    assert job.errors[0]["message"].startswith(INTERRUPTED), job.errors
    client.force_login(regulator)
    page = client.get(reverse("registry:import_detail", args=[job.pk])).content.decode()
    assert "导入失败" in page and INTERRUPTED in page
    assert import_jobs_requeue().failed == []  # a finished job is never touched again


def test_a_run_that_lost_its_job_to_a_later_run_writes_nothing(regulator, settings, monkeypatch):
    """The first run stalls past the window; the watchdog hands the job to a second run, which imports it; when the
    first run wakes up, each of its writes is fenced by its attempt number, so it writes nothing at all."""
    from registry import imports

    job = background_job(regulator, settings)
    real_check_rows = imports.check_rows
    runs = []

    def stalling_check_rows(kind, rows, on_progress=None, **kwargs):
        runs.append(ImportJob.objects.get(pk=job.pk).attempts)
        if len(runs) == 1:  # the first run stalls: the watchdog takes the job back and a second run imports it
            age(job)
            assert import_jobs_requeue().restarted == [job.pk]
        return real_check_rows(kind, rows, on_progress, **kwargs)

    monkeypatch.setattr(imports, "check_rows", stalling_check_rows)
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert runs == [1, 2]
    assert job.status == ImportStatus.SUCCEEDED and job.attempts == 2 and job.created_rows == 30
    assert Elevator.objects.count() == 30  # not 60, and no IntegrityError turned into a failure


def test_every_job_is_acknowledged_late_and_handed_back_when_its_worker_dies():
    """A killed run runs again (docs/architecture.md "Jobs"): every scheduled job and the import are idempotent."""
    from elevator_portal.celery import app

    app.loader.import_default_modules()
    names = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()} | {
        "registry.tasks.import_run_task"
    }
    daily = {
        "monitoring.tasks.risk_scan_task",
        "inspections.tasks.send_reminders_task",
        "maintenance.tasks.maintenance_overdue_task",
        "maintenance.tasks.contracts_roll_task",
        "maintenance.credit.tasks.credit_evaluate_task",
        "complaints.tasks.escalate_complaints_task",
        "complaints.tasks.check_calendar_task",
        "registry.tasks.import_run_task",
        "registry.tasks.requeue_stale_jobs_task",
    }
    assert daily <= names
    for name in daily:
        task = app.tasks[name]
        assert task.acks_late and task.reject_on_worker_lost, name


# ---------------------------------------------------------------- real processes


def subprocess_env(tmp_path: Path, *, redis_url: str = "", **overrides) -> dict:
    """The environment of a worker or command on the test database and the test media files, with settings
    overridden through a generated settings module (Redis keys under a private prefix, a short window)."""
    module = f"import_jobs_settings_{uuid.uuid4().hex[:8]}"
    lines = [
        "from elevator_portal.settings import *  # noqa: F403",
        f"MEDIA_ROOT = {str(django_settings.MEDIA_ROOT)!r}",
        *(f"{key} = {value!r}" for key, value in overrides.items()),
    ]
    (tmp_path / f"{module}.py").write_text("\n".join(lines) + "\n")
    env = process_env(**({"REDIS_URL": redis_url} if redis_url else {}))
    env["DJANGO_SETTINGS_MODULE"] = module
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(ROOT), env.get("PYTHONPATH", "")])
    return env


def watchdog(env: dict) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "requeue_stale_jobs"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.slow  # two commands in real processes
@pytest.mark.django_db(transaction=True)
def test_two_watchdogs_at_once_requeue_each_job_once(regulator, settings, tmp_path):
    pending = background_job(regulator, settings)
    running = background_job(regulator, settings)
    ImportJob.objects.filter(pk=running.pk).update(status=ImportStatus.RUNNING, attempts=1)
    age(pending)
    age(running)
    # The sends go to an in-memory broker that vanishes with each process: only the database changes are counted.
    env = subprocess_env(tmp_path, CELERY_BROKER_URL="memory://", CELERY_TASK_ALWAYS_EAGER=False)
    outputs = []
    threads = [threading.Thread(target=lambda: outputs.append(watchdog(env))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outputs) == 2, outputs
    sent = sum(int(out.split("Import jobs: ")[1].split(" sent again")[0]) for out in outputs)
    restarted = sum(int(out.split(", ")[1].split(" taken back")[0]) for out in outputs)
    assert (sent, restarted) == (1, 1), outputs
    pending.refresh_from_db()
    running.refresh_from_db()
    assert pending.status == running.status == ImportStatus.PENDING
    assert running.attempts == 1 and running.queued_at > timezone.now() - timedelta(minutes=1)


class Worker:
    """A real Celery worker (prefork, one pool process) on the test database, its Redis keys under a private prefix."""

    def __init__(self, env: dict):
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
                "prefork",
                "--concurrency",
                "1",
                "--queues",
                "slow",
                "--hostname",
                f"import-{uuid.uuid4().hex[:6]}@%h",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
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

    def count(self, text: str) -> int:
        return sum(1 for line in self.lines if text in line)

    def pool_process(self) -> int:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        assert len(children) == 1, children
        return int(children[0])

    def kill(self) -> None:
        """SIGKILL the worker and its pool process: no warm shutdown, no acknowledgement, nothing cleaned up."""
        child = self.pool_process()
        self.process.kill()
        os.kill(child, signal.SIGKILL)
        self.process.wait(timeout=20)
        self.reader.join(timeout=5)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.reader.join(timeout=5)


def wait_for(condition, *, seconds: float, what: str, workers: list[Worker]) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- worker {n}\n{w.output}" for n, w in enumerate(workers))
            pytest.fail(f"{what}: not within {seconds} s\n{logs}")
        time.sleep(0.05)


BIG = 3000  # rows: the check takes seconds, so the run is killed in the middle of it


@pytest.fixture
def redis_env(tmp_path):
    """Subprocess settings on the test Redis, under a key prefix of this test only, with a 2-second window."""
    redis_url = os.getenv("TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("set TEST_REDIS_URL (CI and `make test` do when Redis answers) to kill real Celery workers")
    prefix = f"test-import-{uuid.uuid4().hex[:8]}:"
    env = subprocess_env(
        tmp_path,
        redis_url=redis_url,
        CELERY_BROKER_TRANSPORT_OPTIONS={"visibility_timeout": 2 * 60 * 60, "global_keyprefix": prefix},
        IMPORT_STALE_SECONDS=2,
    )
    yield env
    connection = redis.Redis.from_url(redis_url)
    keys = connection.keys(f"{prefix}*")
    if keys:
        connection.delete(*keys)
    connection.close()


def running_mid_import(job: ImportJob) -> bool:
    job.refresh_from_db()
    return job.status == ImportStatus.RUNNING and 0 < job.processed_rows < BIG


def big_job(regulator, settings) -> ImportJob:
    job = background_job(regulator, settings, n=BIG)  # not sent: the watchdog sends it, as after a broker outage
    age(job)
    return job


@pytest.mark.slow  # real Celery workers, killed
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_pool_process_killed_mid_import_is_handed_back_and_the_job_ends(regulator, settings, redis_env):
    job = big_job(regulator, settings)
    worker = Worker(redis_env)
    try:
        wait_for(lambda: worker.count(" ready."), seconds=60, what="worker ready", workers=[worker])
        assert "1 sent again" in watchdog(redis_env)
        wait_for(lambda: running_mid_import(job), seconds=60, what="import running", workers=[worker])
        os.kill(worker.pool_process(), signal.SIGKILL)
        # reject_on_worker_lost: the message goes back to the broker at once and is delivered again; that delivery
        # finds the job taken by the dead run and stops. The job is still "running", its heartbeat stopped.
        wait_for(
            lambda: sum(1 for line in worker.lines if "import_run_task[" in line and line.endswith("received\n")) == 2,
            seconds=30,
            what="task delivered again",
            workers=[worker],
        )
        job.refresh_from_db()
        assert job.status == ImportStatus.RUNNING and job.attempts == 1, worker.output
        time.sleep(2.5)  # IMPORT_STALE_SECONDS in the subprocesses
        assert "1 taken back" in watchdog(redis_env)
        wait_for(
            lambda: ImportJob.objects.filter(pk=job.pk, status=ImportStatus.SUCCEEDED).exists(),
            seconds=120,
            what="import succeeded",
            workers=[worker],
        )
    finally:
        worker.stop()
    job.refresh_from_db()
    assert job.attempts == 2 and job.created_rows == BIG and Elevator.objects.count() == BIG
    assert "WorkerLostError" in worker.output, worker.output


@pytest.mark.slow  # real Celery workers, killed
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_import_leaves_a_job_the_watchdog_sees_through(regulator, settings, redis_env):
    job = big_job(regulator, settings)
    first = Worker(redis_env)
    workers = [first]
    try:
        wait_for(lambda: first.count(" ready."), seconds=60, what="worker ready", workers=workers)
        assert "1 sent again" in watchdog(redis_env)
        wait_for(lambda: running_mid_import(job), seconds=60, what="import running", workers=workers)
        first.kill()  # the whole worker: its message waits for the visibility timeout (2 h), unacknowledged
        job.refresh_from_db()
        assert job.status == ImportStatus.RUNNING
        time.sleep(2.5)
        assert "1 taken back" in watchdog(redis_env)
        second = Worker(redis_env)
        workers.append(second)
        wait_for(
            lambda: ImportJob.objects.filter(
                pk=job.pk, status__in=[ImportStatus.SUCCEEDED, ImportStatus.FAILED]
            ).exists(),
            seconds=120,
            what="import finished",
            workers=workers,
        )
    finally:
        for worker in workers:
            worker.stop()
    job.refresh_from_db()
    assert job.status == ImportStatus.SUCCEEDED and job.attempts == 2, job.errors
    assert job.created_rows == BIG and Elevator.objects.count() == BIG
