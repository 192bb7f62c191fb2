"""The durable outbox: messages that must reach a person (alarms, escalations), delivered with retries.

docs/rules.md "Entrapment rescue loop". A service writes `OutboxMessage` rows in the transaction of the event they
tell (an incident opened, an escalation step taken): if the transaction rolls back, nothing is sent; if it commits,
the rows are there whatever happens next. After the commit a Celery task is asked to deliver them at once; if the
broker is down, the periodic sweep (beat) or the relay (`manage.py deliver_outbox --loop`) delivers them later.

Delivery claims a row with a lease (a conditional UPDATE of next_attempt_at), so two workers never send the same row
at the same time, and a worker killed mid-send leaves the row due again when the lease ends. A channel that raises
(SMS gateway, mail server) schedules a retry with exponential backoff, capped; a message is never dropped. At least
once: a worker killed between sending and recording it sends that message again, which is better than never.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from .choices import Channel, DeliveryState
from .models import Notification, OutboxMessage
from .sms import send_sms

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    """One message to one person on one channel; `key` is unique across the outbox (the message is written once)."""

    key: str
    channel: str
    title: str
    body: str
    recipient: object = None  # a User, for the inbox (and named in the regulators' view)
    address: str = ""  # phone number or e-mail address
    name: str = ""
    link: str = ""
    subject_key: str = ""
    district_id: int | None = None


def messages_for_person(
    *,
    key: str,
    title: str,
    body: str,
    user=None,
    phone: str = "",
    email: str = "",
    name: str = "",
    link: str = "",
    subject_key: str = "",
    district_id: int | None = None,
    sms_text: str = "",
) -> list[Message]:
    """Every channel a person can be reached on: the inbox for a login, SMS for a phone, e-mail for an address.
    `key` names the event and the person; the channel is appended, so each channel's message is written once."""
    if user is not None:
        phone = phone or getattr(user, "phone", "")
        email = email or getattr(user, "email", "")
        name = name or user.get_full_name() or user.get_username()
    common = {
        "title": title,
        "recipient": user,
        "name": name,
        "link": link,
        "subject_key": subject_key,
        "district_id": district_id,
    }
    messages = []
    if user is not None:
        messages.append(Message(key=f"{key}:inbox", channel=Channel.INBOX, body=body, **common))
    if phone:
        messages.append(Message(key=f"{key}:sms", channel=Channel.SMS, body=sms_text or body, address=phone, **common))
    if email:
        messages.append(Message(key=f"{key}:email", channel=Channel.EMAIL, body=body, address=email, **common))
    return messages


def digest_messages(*, digests: dict, title: str, key: str, link: str = "", subject_key: str = "") -> list[Message]:
    """The outbox form of notifications.services' digests (`digests` maps a user to their DigestLines): one inbox
    message and one e-mail per recipient, `key` naming the run (each user's messages are keyed by it)."""
    from django.template.loader import render_to_string

    messages = []
    for user, lines in digests.items():
        body = render_to_string(
            "notifications/digest.txt", {"user": user, "lines": lines, "title": title, "site_url": settings.SITE_URL}
        )
        messages.append(
            Message(
                key=f"{key}:user:{user.pk}:inbox",
                channel=Channel.INBOX,
                title=title,
                body=body,
                recipient=user,
                link=link,
                subject_key=subject_key,
                name=user.get_username(),
            )
        )
        if user.email:
            messages.append(
                Message(
                    key=f"{key}:user:{user.pk}:email",
                    channel=Channel.EMAIL,
                    title=title,
                    body=body,
                    recipient=user,
                    address=user.email,
                    link=link,
                    subject_key=subject_key,
                    name=user.get_username(),
                )
            )
    return messages


def outbox_write(messages: list[Message], *, now: datetime | None = None) -> int:
    """Write the messages in the caller's transaction (one INSERT; a key already written is skipped) and ask a
    worker to deliver them once the transaction commits. Returns how many messages were given."""
    if not messages:
        return 0
    now = now or timezone.now()
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                key=m.key[:160],
                channel=m.channel,
                recipient=m.recipient,
                address=m.address,
                name=m.name[:50],
                title=m.title[:200],
                body=m.body,
                link=m.link[:255],
                subject_key=m.subject_key[:40],
                district_id=m.district_id,
                next_attempt_at=now,
                created_at=now,
            )
            for m in messages
        ],
        ignore_conflicts=True,
    )
    transaction.on_commit(kick_delivery)
    return len(messages)


def kick_delivery() -> None:
    """Ask a worker to deliver now. The broker being down is no error: the sweep and the relay deliver later."""
    if not settings.OUTBOX_KICK:
        return
    from .tasks import deliver_outbox_task

    try:
        deliver_outbox_task.delay()
    except Exception:  # noqa: BLE001 - any broker failure; the rows are safe in the database
        logger.warning("outbox: could not reach the broker; the sweep will deliver", exc_info=True)


def lease() -> timedelta:
    """How long a worker's claim on a row lasts: if it never reports back (killed mid-send), the row is due again."""
    return timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the `attempts`-th failure: base, 2×base, 4×base … capped."""
    seconds = settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.OUTBOX_RETRY_MAX_SECONDS))


@dataclass
class DeliveryRun:
    delivered: int = 0
    failed: int = 0  # attempts that failed this run (each retried later)
    errors: list[str] = field(default_factory=list)


def outbox_deliver(*, limit: int = 200, now: datetime | None = None) -> DeliveryRun:
    """Deliver the messages due by `now` (at most `limit`), oldest first."""
    now = now or timezone.now()
    run = DeliveryRun()
    due = list(
        OutboxMessage.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", "next_attempt_at")[:limit]
    )
    for pk, due_at in due:
        # The claim: only the worker whose UPDATE finds the row still due at the same moment sends it.
        claimed = OutboxMessage.objects.filter(pk=pk, state=DeliveryState.PENDING, next_attempt_at=due_at).update(
            next_attempt_at=now + lease()
        )
        if not claimed:
            continue
        message = OutboxMessage.objects.select_related("recipient").get(pk=pk)
        try:
            _send(message)
        except Exception as exc:  # noqa: BLE001 - whatever the channel raised, the message waits for a retry
            attempts = message.attempts + 1
            OutboxMessage.objects.filter(pk=pk).update(
                attempts=attempts,
                next_attempt_at=timezone.now() + retry_delay(attempts),
                last_error=f"{type(exc).__name__}: {exc}"[:255],
            )
            run.failed += 1
            run.errors.append(f"{message.key}: {exc}")
            logger.warning("outbox: %s failed (attempt %d): %s", message.key, attempts, exc)
        else:
            run.delivered += 1
    return run


def _send(message: OutboxMessage) -> None:
    """Hand one message to its channel and record it delivered (the inbox in one transaction with the record)."""
    delivered = {
        "state": DeliveryState.DELIVERED,
        "attempts": message.attempts + 1,
        "delivered_at": timezone.now(),
        "last_error": "",
    }
    if message.channel == Channel.INBOX:
        with transaction.atomic():
            Notification.objects.create(
                recipient=message.recipient, title=message.title, body=message.body, link=message.link
            )
            OutboxMessage.objects.filter(pk=message.pk).update(**delivered)
        return
    if message.channel == Channel.SMS:
        send_sms(message.address, message.body)
    elif message.channel == Channel.EMAIL:
        link = f"\n\n{settings.SITE_URL}{message.link}" if message.link else ""
        EmailMessage(
            subject=f"[电梯安全监管平台] {message.title}", body=message.body + link, to=[message.address]
        ).send()
    else:
        raise ValueError(f"unknown channel {message.channel}")
    OutboxMessage.objects.filter(pk=message.pk).update(**delivered)


def outbox_deliver_all(*, now: datetime | None = None, batch: int = 200) -> DeliveryRun:
    """Deliver batches until nothing more is due (the task after a kick, and the sweep)."""
    total = DeliveryRun()
    while True:
        run = outbox_deliver(limit=batch, now=now)
        total.delivered += run.delivered
        total.failed += run.failed
        total.errors += run.errors
        if run.delivered + run.failed < batch:
            return total
