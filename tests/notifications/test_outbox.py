"""The durable outbox (notifications/outbox.py): a channel outage delays a message, never loses it; two workers never
send the same row; a worker killed mid-send leaves the row due again."""

import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from notifications.choices import Channel, DeliveryState
from notifications.models import Notification, OutboxMessage
from notifications.outbox import kick_delivery, lease, messages_for_person, outbox_deliver, outbox_write, retry_delay
from notifications.sms import MemoryBackend

from ..processes import ROOT, manage, process_env

pytestmark = pytest.mark.django_db


class DownBackend:
    """An SMS gateway that is down."""

    def send(self, phone, text):
        raise ConnectionError("gateway unreachable")


class HangingBackend:
    """An SMS gateway that never answers (the relay is killed while waiting on it)."""

    def send(self, phone, text):
        time.sleep(600)


@pytest.fixture
def memory_sms(settings):
    settings.SMS_BACKEND = "notifications.sms.MemoryBackend"
    MemoryBackend.outbox.clear()
    return MemoryBackend.outbox


def write(user, key="alarm:1"):
    return outbox_write(
        messages_for_person(key=key, title="困人", body="有人被困", user=user, phone="13800000001", link="/rescue/")
    )


def test_each_channel_of_a_person_is_one_row_written_once(world):
    user = world["users"]["maintenance"]
    write(user)
    write(user)  # the same event again: nothing new
    rows = OutboxMessage.objects.order_by("channel")
    assert [(r.channel, r.address) for r in rows] == [
        (Channel.EMAIL, user.email),
        (Channel.INBOX, ""),
        (Channel.SMS, "13800000001"),
    ]
    assert {r.state for r in rows} == {DeliveryState.PENDING}


def test_delivery_on_every_channel(world, memory_sms):
    user = world["users"]["maintenance"]
    write(user)
    run = outbox_deliver()
    assert (run.delivered, run.failed) == (3, 0)
    assert memory_sms == [("13800000001", "有人被困")]
    assert Notification.objects.get(recipient=user).link == "/rescue/"
    assert mail.outbox[0].to == [user.email] and "/rescue/" in mail.outbox[0].body
    assert set(OutboxMessage.objects.values_list("state", "attempts")) == {(DeliveryState.DELIVERED, 1)}
    assert outbox_deliver().delivered == 0  # delivered once


def test_an_sms_outage_delays_the_message_with_backoff_and_it_goes_out_when_the_gateway_is_back(
    world, settings, memory_sms
):
    settings.SMS_BACKEND = "tests.notifications.test_outbox.DownBackend"
    write(world["users"]["maintenance"])
    now = timezone.now()
    run = outbox_deliver(now=now)
    assert (run.delivered, run.failed) == (2, 1)  # inbox and e-mail went; SMS waits
    sms = OutboxMessage.objects.get(channel=Channel.SMS)
    assert sms.state == DeliveryState.PENDING and sms.attempts == 1 and "gateway unreachable" in sms.last_error
    assert sms.next_attempt_at >= now + retry_delay(1) - timedelta(seconds=1)
    # Not due before its retry time; a second failure doubles the wait.
    assert outbox_deliver(now=now).failed == 0
    outbox_deliver(now=sms.next_attempt_at)
    sms.refresh_from_db()
    assert sms.attempts == 2
    settings.SMS_BACKEND = "notifications.sms.MemoryBackend"
    outbox_deliver(now=sms.next_attempt_at)
    sms.refresh_from_db()
    assert sms.state == DeliveryState.DELIVERED and sms.attempts == 3 and memory_sms


def test_backoff_doubles_and_is_capped():
    base, cap = settings.OUTBOX_RETRY_BASE_SECONDS, settings.OUTBOX_RETRY_MAX_SECONDS
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [base, 2 * base, 4 * base]
    assert retry_delay(50).total_seconds() == cap


def test_a_row_claimed_by_a_worker_that_died_is_due_again_after_the_lease(world, memory_sms):
    write(world["users"]["maintenance"])
    now = timezone.now()
    # A worker claimed every row (the lease) and was killed before sending.
    OutboxMessage.objects.update(next_attempt_at=now + lease())
    assert outbox_deliver(now=now).delivered == 0
    assert outbox_deliver(now=now + lease()).delivered == 3


def test_a_broker_outage_at_write_time_is_no_error(world, settings, monkeypatch, django_capture_on_commit_callbacks):
    from notifications import tasks

    def broker_down():
        raise ConnectionError("redis is down")

    monkeypatch.setattr(tasks.deliver_outbox_task, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        write(world["users"]["maintenance"])
    kick_delivery()
    assert OutboxMessage.objects.filter(state=DeliveryState.PENDING).count() == 3  # safe, for the sweep


def test_the_sweep_is_scheduled_and_routed_to_the_fast_queue():
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"].endswith("deliver_outbox_task"))
    assert entry["schedule"] <= timedelta(seconds=30)
    assert settings.CELERY_TASK_ROUTES[entry["task"]] == {"queue": "fast"}


@pytest.mark.slow  # two real processes on a test database committed for them
@pytest.mark.django_db(transaction=True)
def test_two_relays_at_once_deliver_each_message_once(world, settings):
    settings.OUTBOX_KICK = False  # no delivery on commit: the two relays find everything due
    users = [world["users"][r] for r in ("city", "district", "use_unit", "maintenance", "inspection")]
    for i in range(40):
        outbox_write(messages_for_person(key=f"alarm:{i}", title="困人", body=f"第{i}条", user=users[i % len(users)]))
    procs = [manage("deliver_outbox") for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    assert not OutboxMessage.objects.exclude(state=DeliveryState.DELIVERED).exists()
    assert Notification.objects.count() == OutboxMessage.objects.filter(channel=Channel.INBOX).count() == 40
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.slow  # real processes, one of them killed
@pytest.mark.django_db(transaction=True)
def test_a_relay_killed_mid_send_leaves_the_message_to_the_next_one(world, settings):
    settings.OUTBOX_KICK = False  # no delivery on commit: the relay is the one to send
    outbox_write(messages_for_person(key="alarm:kill", title="困人", body="有人被困", phone="13800000001"))
    sms = OutboxMessage.objects.get()
    env = process_env(SMS_BACKEND="tests.notifications.test_outbox.HangingBackend", OUTBOX_LEASE_SECONDS="2")
    relay = subprocess.Popen(
        [sys.executable, "manage.py", "deliver_outbox", "--loop"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # until the relay has claimed the message and hangs on the gateway
            sms.refresh_from_db()
            if sms.next_attempt_at > sms.created_at:
                break
            time.sleep(0.2)
        assert sms.next_attempt_at > sms.created_at, "the relay never claimed the message"
    finally:
        relay.kill()  # SIGKILL: no clean-up runs
        relay.wait()
    sms.refresh_from_db()
    assert sms.state == DeliveryState.PENDING and sms.attempts == 0
    time.sleep(2)  # the lease runs out
    done = subprocess.run(
        [sys.executable, "manage.py", "deliver_outbox"],
        cwd=ROOT,
        env=process_env(OUTBOX_LEASE_SECONDS="2"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    sms.refresh_from_db()
    assert sms.state == DeliveryState.DELIVERED and sms.attempts == 1
