"""Sending notifications: the in-portal inbox plus one e-mail digest per recipient."""

import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection
from django.db.models import CharField, DateTimeField, F, UUIDField, Value
from django.db.models.functions import Cast, Concat
from django.template.loader import render_to_string
from django.utils import timezone

from accounts import access

from .models import Notification, Reminder

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DigestLine:
    text: str
    link: str = ""


def notifications_send_digests(*, digests: dict, title: str, link: str = "") -> list[Notification]:
    """Write one inbox message per recipient and e-mail it; `digests` maps a user to their DigestLines.

    One bulk insert whatever the number of recipients, and one e-mail per recipient, never one per elevator.
    """
    if not digests:
        return []
    notes = []
    for user, lines in digests.items():
        body = render_to_string(
            "notifications/digest.txt", {"user": user, "lines": lines, "title": title, "site_url": settings.SITE_URL}
        )
        notes.append(Notification(recipient=user, title=title, body=body, link=link))
    Notification.objects.bulk_create(notes)
    messages = [
        EmailMessage(subject=f"[电梯安全监管平台] {note.title}", body=note.body, to=[note.recipient.email])
        for note in notes
        if note.recipient.email
    ]
    if messages:
        try:
            get_connection().send_messages(messages)
        except Exception:  # the inbox already has it; a mail server outage must not undo the run
            logger.exception("sending %d digest e-mails failed", len(messages))
        else:
            Notification.objects.filter(pk__in=[n.pk for n in notes if n.recipient.email]).update(emailed=True)
    return notes


def digests_for_organizations(by_org: dict[int, list[DigestLine]]) -> dict:
    """Every active user of each organisation gets that organisation's lines (one query)."""
    from accounts.models import User

    if not by_org:
        return {}
    return {
        user: list(by_org[user.organization_id])
        for user in User.objects.filter(is_active=True, organization_id__in=by_org.keys())
    }


def digests_for_district_regulators(by_district: dict[int, list[DigestLine]]) -> dict:
    """Each district regulator gets the lines of their district (one query)."""
    if not by_district:
        return {}
    regulators = (
        access.district_regulators()
        .filter(organization__district_id__in=by_district.keys())
        .select_related("organization")
    )
    return {user: list(by_district[user.organization.district_id]) for user in regulators}


def merge_digests(*parts: dict) -> dict:
    """One digest per recipient, each line once (an elevator due at two stages is said once)."""
    merged: dict = {}
    for part in parts:
        for user, lines in part.items():
            merged.setdefault(user, []).extend(lines)
    return {user: list(dict.fromkeys(lines)) for user, lines in merged.items()}


def notification_mark_read(*, user, notification_id: int | None = None) -> int:
    """Mark one (or all) of a user's notifications read."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())


def reminders_insert_from(
    kind: str,
    queryset,
    *,
    subject: str,
    cycle_field: str,
    run_id: uuid.UUID,
    foreign_key: tuple[str, str] | None = None,
) -> None:
    """Insert a reminder for every row of `queryset` not reminded before in this cycle.

    One `INSERT INTO reminder SELECT ... ON CONFLICT DO NOTHING` whatever the number of rows: the unique key
    (kind, subject, cycle) makes a second send impossible, even from two workers at once. The subject key is
    "<subject>:<row id>". `subject` also names the foreign key the reminder gets ("elevator", "organization" or
    "person"), set to the row's id; for rows of another kind (a policy), `foreign_key` names the reminder's foreign
    key and the row's field that holds its value, e.g. ("organization", "insured_id").
    """
    fk_name, fk_field = foreign_key or (subject, "pk")
    # In key order: two runs at once then take the unique-index locks in the same order, so the later one waits
    # for the earlier and skips its rows. In whatever order each plan reads them (PostgreSQL starts a second scan
    # of a big table where the first one is), each could hold a key the other needs next: a deadlock.
    select = (
        queryset.order_by("pk")
        .annotate(
            r_kind=Value(kind, output_field=CharField()),
            r_subject=Concat(Value(f"{subject}:"), Cast("pk", CharField()), output_field=CharField()),
            r_cycle=F(cycle_field),
            r_subject_id=F(fk_field),
            r_run=Value(run_id, output_field=UUIDField()),
            r_created=Value(timezone.now(), output_field=DateTimeField()),
        )
        .values("r_kind", "r_subject", "r_cycle", "r_subject_id", "r_run", "r_created")
    )
    sql, params = select.query.sql_with_params()
    qn = connection.ops.quote_name
    columns = ", ".join(qn(c) for c in ["kind", "subject_key", "cycle", f"{fk_name}_id", "run_id", "created_at"])
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {qn(Reminder._meta.db_table)} ({columns}) {sql} ON CONFLICT DO NOTHING", params)
