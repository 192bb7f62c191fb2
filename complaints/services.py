"""Complaints: routing by the plan's division of duties, intake with abuse limits, handling with deadlines.

Rules: docs/rules.md "Complaint routing" (plan §2(8)) and "Complaint handling"; plan §2(10) for entrapments
(96333 first; the maintenance firm is sent an urgent entrapment fault).
"""

import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import DateTimeField, F, Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import access
from departments.choices import Category
from departments.models import Department, RoutingRule, SectorRule
from elevator_portal.files import IMAGES, sniff
from maintenance.photos import UnreadablePhoto, strip_photo
from notifications.sms import send_sms
from registry.models import District, Elevator
from rescue.choices import ReportSource
from rescue.services import incident_report
from workdays.selectors import local_day, working_calendar

from .choices import OPEN_STATUSES, EventKind, Source, Status
from .models import Complaint, ComplaintEvent, ComplaintPhoto
from .selectors import complaint_accept_overdue_q, complaint_resolve_overdue_q


@dataclass(frozen=True)
class Routing:
    department_id: int
    co_department_ids: list[int]


def complaint_route(*, category: str, district: District | None, building_kind: str | None) -> Routing:
    """Who handles a complaint: the department of its category; the district government is always
    co-responsible (属地); schools, hospitals, stations, malls and tourist sites also notify their sector."""
    # One round trip, written as SQL: every complaint is routed, and compiling the three ORM queries this replaces
    # cost the intake more CPU than running them (bench/intake.py; bench/README.md). Categories and building kinds are
    # unique in their rule tables, so there is at most one lead and one sector department.
    quote = connection.ops.quote_name
    sql = (
        f"SELECT department_id, 'lead' FROM {quote(RoutingRule._meta.db_table)} WHERE category = %s "
        f"UNION ALL SELECT id, 'district' FROM {quote(Department._meta.db_table)} WHERE district_id = %s "
        f"UNION ALL SELECT department_id, 'sector' FROM {quote(SectorRule._meta.db_table)} WHERE building_kind = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [category, district.pk if district else None, building_kind or None])
        rows = cursor.fetchall()
    lead = next((pk for pk, role in rows if role == "lead"), None)
    if lead is None:
        raise ValidationError({"category": _("投诉类别“%(c)s”没有分派规则，请联系管理员。") % {"c": category}})
    return Routing(department_id=lead, co_department_ids=list(dict.fromkeys(pk for pk, _role in rows if pk != lead)))


@dataclass(frozen=True)
class Deadlines:
    accept: datetime
    resolve: datetime


def complaint_deadlines(*, filed_at: datetime) -> Deadlines:
    """When a complaint filed at `filed_at` must be accepted and answered, in the city's calendar (one query).

    Acceptance: by the end (24:00 local) of the COMPLAINT_ACCEPT_WORKING_DAYS-th working day after the day it was
    filed, holidays skipped and make-up Saturdays (调休) counted; filed on a rest day, it counts from the next working
    day (民法典 §201: the first day is not counted). Answer: by 24:00 of the COMPLAINT_RESOLVE_DAYS-th calendar day
    after that day, moved to the next working day when it falls on a rest day (民法典 §203), so that it never ends
    inside a holiday, before the acceptance deadline.
    """
    calendar = working_calendar(
        since=local_day(filed_at),
        working_days=settings.COMPLAINT_ACCEPT_WORKING_DAYS,
        calendar_days=settings.COMPLAINT_RESOLVE_DAYS,
    )
    return Deadlines(
        accept=calendar.add_working_days(filed_at, settings.COMPLAINT_ACCEPT_WORKING_DAYS),
        resolve=calendar.period_end(filed_at, settings.COMPLAINT_RESOLVE_DAYS),
    )


def new_tracking_no(now: datetime) -> str:
    """TS + date + 10 random digits: the number is also the resident's key to the tracking page, so it must
    not be guessable."""
    return f"TS{timezone.localtime(now):%Y%m%d}{secrets.randbelow(10**10):010d}"


def submitter_hash(ip: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{ip}".encode()).hexdigest()


def _event(complaint, *, kind, text="", public=False, actor=None, status=""):
    return ComplaintEvent.objects.create(
        complaint=complaint,
        kind=kind,
        text=text,
        public=public,
        actor=actor,
        organization_id=getattr(actor, "organization_id", None),
        status=status,
    )


@transaction.atomic
def complaint_submit(
    *,
    elevator: Elevator | None,
    address: str = "",
    district: District | None = None,
    category: str,
    description: str,
    trapped_now: bool = False,
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    photos: list[tuple[str, bytes]] = (),
    source: str = Source.WEB,
    partner: str = "",
    ip: str = "",
    tell_resident: bool = True,
) -> Complaint:
    """File a complaint (no account needed). Validation happens here so the form and Open311 agree.

    Someone trapped now (plan §2(10)): the report opens the elevator's entrapment incident, or joins the one already
    open, in this transaction (rescue.services.incident_report): the complaint, the incident and its dispatch
    messages in the outbox commit together or not at all. `tell_resident=False` files without the confirmation SMS
    and e-mail (a trapped report from a phone number over its complaint limit is filed, but sends no text)."""
    errors: dict[str, list[str]] = {}
    if category not in Category.values:
        errors["category"] = [_("请选择投诉类别。")]
    if not description.strip() and not trapped_now:
        errors["description"] = [_("请描述遇到的问题。")]
    if len(description) > 2000:
        errors["description"] = [_("问题描述不能超过2000字。")]
    if elevator is None and not (address.strip() and district):
        errors["elevator"] = [_("请填写电梯注册代码或救援识别码，或填写地址并选择区县。")]
    if trapped_now and elevator is None:
        errors["elevator"] = [_("有人被困时，请填写轿厢内标牌上的救援识别码，以便通知维保单位。")]
    if contact_phone and not (contact_phone.isdigit() and len(contact_phone) == 11 and contact_phone[0] == "1"):
        errors["contact_phone"] = [_("请填写11位手机号码，或留空。")]
    if contact_email:
        try:
            validate_email(contact_email)
        except ValidationError:
            errors["contact_email"] = [_("请填写有效的电子邮箱，或留空。")]
    if len(photos) > settings.COMPLAINT_MAX_PHOTOS:
        errors["photos"] = [_("最多上传%(n)d张照片。") % {"n": settings.COMPLAINT_MAX_PHOTOS}]
    for name, data in photos:
        if len(data) > settings.COMPLAINT_PHOTO_MAX_BYTES:
            errors.setdefault("photos", []).append(
                _("照片“%(name)s”过大，最大%(mb)dMB。")
                % {"name": name, "mb": settings.COMPLAINT_PHOTO_MAX_BYTES // 2**20}
            )
        elif sniff(data[:8]) not in IMAGES:
            errors.setdefault("photos", []).append(_("“%(name)s”不是JPEG或PNG照片。") % {"name": name})
    if not errors:
        # Re-encoded on intake without EXIF/GPS or any other metadata: a resident's location is personal data
        # (issue 14; 个人信息保护法 §28). What is stored, checksummed and served is the re-encoded photo.
        stripped = []
        for name, data in photos:
            try:
                stripped.append((name, strip_photo(data)))
            except UnreadablePhoto:
                errors.setdefault("photos", []).append(
                    _("照片“%(name)s”无法读取，请重新拍摄或导出后上传。") % {"name": name}
                )
        photos = stripped
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    if elevator is not None:
        district, address = elevator.district, elevator.address
    if trapped_now:
        category = Category.ENTRAPMENT
    routing = complaint_route(
        category=category, district=district, building_kind=elevator.building_kind if elevator else None
    )
    deadlines = complaint_deadlines(filed_at=now)
    duplicate_of = None  # (pk, tracking number) of the open complaint this one joins
    if elevator is not None:
        # The elevator's row lock first, as incident_report takes it: reports of one lift at the same moment are
        # filed one after the other, so each later one is merged into the first (the first complaint of a lift has
        # no open complaint to lock: issue 14 found 8 simultaneous first reports left 3-4 open), and a second
        # trapped report joins the first's incident.
        Elevator.objects.select_for_update().filter(pk=elevator.pk).values_list("pk", flat=True).first()
        # Locked, so that it cannot be answered or closed while this duplicate joins it.
        duplicate_of = (
            Complaint.objects.select_for_update()
            .filter(
                elevator=elevator,
                category=category,
                status__in=OPEN_STATUSES,
                duplicate_of__isnull=True,
                created_at__gte=now - timedelta(days=settings.COMPLAINT_DUPLICATE_DAYS),
            )
            .order_by("created_at")
            .values_list("pk", "tracking_no")
            .first()
        )
    complaint = Complaint.objects.create(
        tracking_no=new_tracking_no(now),
        elevator=elevator,
        district=district,
        address=address[:255],
        category=category,
        description=description.strip(),
        trapped_now=trapped_now,
        contact_name=contact_name.strip()[:50],
        contact_phone=contact_phone,
        contact_email=contact_email,
        source=source,
        partner=partner,
        department_id=routing.department_id,
        status=Status.MERGED if duplicate_of else Status.SUBMITTED,
        duplicate_of_id=duplicate_of[0] if duplicate_of else None,
        accept_deadline=deadlines.accept,
        resolve_deadline=deadlines.resolve,
        submitter_hash=submitter_hash(ip) if ip else "",
    )
    # A new complaint has no co-departments yet: add() inserts them without first reading the current ones.
    complaint.co_departments.add(*routing.co_department_ids)
    for name, data in photos:
        photo = ComplaintPhoto(complaint=complaint, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
        photo.file.save(f"{complaint.tracking_no}-{name[-40:]}", ContentFile(data), save=False)
        photo.save()
    if duplicate_of:
        _event(
            complaint,
            kind=EventKind.STATUS,
            status=Status.MERGED,
            public=True,
            text=_("同一电梯的同类问题已在处理中（查询编号%(no)s），本投诉已合并办理。") % {"no": duplicate_of[1]},
        )
    else:
        _event(complaint, kind=EventKind.STATUS, status=Status.SUBMITTED, public=True, text=_("投诉已提交。"))
    if trapped_now:
        complaint_report_entrapment(complaint=complaint)
    if tell_resident and (contact_phone or contact_email):
        transaction.on_commit(
            lambda: _tell_resident(complaint, _("您的电梯投诉已收到，查询编号%(no)s。") % {"no": complaint.tracking_no})
        )
    return complaint


# The rescue loop's name for each way a complaint comes in.
REPORT_SOURCES = {Source.WEB: ReportSource.WEB, Source.OPEN311: ReportSource.OPEN311, Source.API: ReportSource.API}


def complaint_report_entrapment(*, complaint: Complaint):
    """Plan §2(10): someone is trapped now. The report opens the elevator's incident (the urgent entrapment fault
    and its dispatch to the firm on call and the use unit) or joins the open one (counted in `fault.reports`, never
    a second incident), in the caller's transaction; the complaint records the incident. The complaint's tracking
    number is the report's identity, so a second call for the same complaint makes nothing new."""
    joined = incident_report(
        elevator=complaint.elevator,
        source=REPORT_SOURCES.get(complaint.source, ReportSource.WEB),
        # To the second, as the rescue stamps are (maintenance.faults.services.fault_stamp): a firm that stamps
        # within the report's second must not be refused as "dispatched before reported".
        reported_at=complaint.created_at.replace(microsecond=0),
        reporter=complaint.contact_name,
        phone=complaint.contact_phone,
        note=complaint.description,
        external_ref=complaint.tracking_no,
    )
    Complaint.objects.filter(pk=complaint.pk).update(incident=joined.fault)
    complaint.incident = joined.fault
    return joined.fault


def _tell_resident(complaint: Complaint, text: str) -> None:
    """SMS and e-mail to a resident who left a number or an address (plan §2(11) 信息公示)."""
    link = f"{settings.SITE_URL}{reverse('complaints:track', args=[complaint.tracking_no])}"
    send_sms(complaint.contact_phone, f"{text} {link}")
    if complaint.contact_email:
        send_mail(
            subject=_("电梯投诉 %(no)s") % {"no": complaint.tracking_no},
            message=f"{text}\n{link}",
            from_email=None,
            recipient_list=[complaint.contact_email],
            fail_silently=True,
        )


TRANSITIONS = {
    "accept": ((Status.SUBMITTED,), Status.ACCEPTED),
    "start": ((Status.SUBMITTED, Status.ACCEPTED), Status.IN_PROGRESS),
    "resolve": ((Status.ACCEPTED, Status.IN_PROGRESS), Status.RESOLVED),
    "reject": ((Status.SUBMITTED, Status.ACCEPTED), Status.REJECTED),
}


@transaction.atomic
def complaint_transition(*, user, complaint: Complaint, action: str, text: str = "") -> Complaint:
    """Move a complaint: accept → in progress → resolved (with a written answer), or reject with a reason."""
    if action not in TRANSITIONS:
        raise ValidationError(_("未知的操作。"))
    if not access.can_handle_complaint(user, complaint):
        raise PermissionDenied(_("只有牵头部门可以办理该投诉。"))
    allowed, target = TRANSITIONS[action]
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if locked.status not in allowed:
        raise ValidationError(_("投诉当前状态为“%(s)s”，不能执行该操作。") % {"s": locked.get_status_display()})
    text = text.strip()
    now = timezone.now()
    if action == "resolve":
        if not text:
            raise ValidationError({"answer": _("请填写答复内容。")})
        locked.answer, locked.resolved_at = text, now
    if action == "reject":
        if not text:
            raise ValidationError({"reject_reason": _("请填写不予受理的原因。")})
        locked.reject_reason = text
    if action in ("accept", "start") and locked.accepted_at is None:
        locked.accepted_at = now
    locked.status = target
    locked.save()
    public_text = {"accept": _("投诉已受理。"), "start": _("正在处理。"), "resolve": text, "reject": text}[action]
    _event(locked, kind=EventKind.STATUS, status=target, text=public_text, public=True, actor=user)
    if action in ("resolve", "reject"):
        transaction.on_commit(
            lambda: _tell_resident(locked, _("您的电梯投诉%(no)s已有答复。") % {"no": locked.tracking_no})
        )
    complaint.refresh_from_db()
    return complaint


@transaction.atomic
def complaint_respond(*, user, complaint: Complaint, text: str, public: bool = True) -> ComplaintEvent:
    """The use unit, the maintenance firm or a co-responsible department adds a response."""
    if not access.can_respond_to_complaint(user, complaint):
        raise PermissionDenied(_("您的单位不能回复该投诉。"))
    if complaint.status not in OPEN_STATUSES + (Status.RESOLVED,):
        raise ValidationError(_("投诉当前状态为“%(s)s”，不能再回复。") % {"s": complaint.get_status_display()})
    if not text.strip():
        raise ValidationError({"text": _("请填写回复内容。")})
    return _event(complaint, kind=EventKind.RESPONSE, text=text.strip(), public=public, actor=user)


@transaction.atomic
def complaint_close(
    *, tracking_no: str, rating: int | None, phone_last4: str | None = None, filed_in_session: bool = False
) -> Complaint:
    """The resident closes an answered complaint and may rate it (1–5).

    The tracking number is public (Open311 lists it), so closing needs proof of being the resident: the browser
    that filed it, or the last four digits of the phone number left with it.
    """
    complaint = Complaint.objects.select_for_update().get(tracking_no=tracking_no)
    phone = complaint.contact_phone
    if not filed_in_session and not (phone and phone_last4 and phone[-4:] == phone_last4):
        raise PermissionDenied(
            _("请输入投诉时留下的手机号后四位，以确认是您本人办结评价。")
            if phone
            else _("该投诉未留手机号，只能在提交投诉的浏览器上评价办结。")
        )
    if complaint.status != Status.RESOLVED:
        raise ValidationError(_("只有已答复的投诉可以评价办结。"))
    if rating is not None and not 1 <= rating <= 5:
        raise ValidationError({"rating": _("评价应为1至5星。")})
    complaint.status, complaint.rating, complaint.closed_at = Status.CLOSED, rating, timezone.now()
    complaint.save()
    _event(complaint, kind=EventKind.STATUS, status=Status.CLOSED, public=True, text=_("群众已评价，投诉办结。"))
    return complaint


@dataclass(frozen=True)
class EscalationStep:
    """A deadline a complaint can miss, escalated once: the field recording it and the condition that it was missed."""

    field: str
    deadline: str
    overdue: Callable[..., Q]
    event: str
    line: str


ESCALATION_STEPS = (
    EscalationStep(
        field="accept_escalated_at",
        deadline="accept_deadline",
        overdue=complaint_accept_overdue_q,
        event=gettext_lazy("超过受理期限，已提交督办。"),
        line=gettext_lazy("投诉%(no)s（%(cat)s，%(addr)s）超过受理期限（%(due)s）仍未受理。"),
    ),
    EscalationStep(
        field="resolve_escalated_at",
        deadline="resolve_deadline",
        overdue=complaint_resolve_overdue_q,
        event=gettext_lazy("超过办结期限，已提交督办。"),
        line=gettext_lazy("投诉%(no)s（%(cat)s，%(addr)s）超过办结期限（%(due)s）仍未答复。"),
    ),
)


def _escalation_claim(step: EscalationStep, *, now: datetime) -> list[Complaint]:
    """Claim the complaints that missed `step`'s deadline and were not escalated for it yet.

    A conditional UPDATE (`... WHERE <field> IS NULL`): of two workers at once, the second finds the rows taken and
    claims none of them. On PostgreSQL the rows are first locked in key order, skipping those another worker holds,
    so that two runs never wait on each other in opposite orders (a deadlock); SQLite runs one writer at a time.
    The claimed rows are read back by the run's id in the same transaction, before another worker's next step could
    write its own run id on them."""
    run_id = uuid.uuid4()
    unclaimed = Complaint.objects.filter(**{f"{step.field}__isnull": True})
    with transaction.atomic():
        pks = list(
            unclaimed.filter(step.overdue(now=now))
            .select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not pks:
            return []
        unclaimed.filter(pk__in=pks).update(
            **{step.field: now},
            escalated_at=Coalesce(F("escalated_at"), Value(now, output_field=DateTimeField())),
            escalation_run=run_id,
        )
        return list(
            Complaint.objects.filter(escalation_run=run_id).select_related("department__supervisor").order_by("pk")
        )


def _has_supervisor(complaint: Complaint) -> bool:
    supervisor = complaint.department.supervisor
    return supervisor is not None and supervisor.is_active


def _escalation_recipients(complaints: list[Complaint]) -> dict[int, list]:
    """Who hears of each complaint (by pk): its department's supervisor; a department without an active one falls
    back to the regulators of the complaint's district, and a district without one to the city's regulators, so
    that a missed deadline never goes unheard. Two queries at most, whatever the number of complaints."""
    recipients: dict[int, list] = {}
    orphans = []
    for c in complaints:
        if _has_supervisor(c):
            recipients[c.pk] = [c.department.supervisor]
        else:
            orphans.append(c)
    if not orphans:
        return recipients
    by_district: dict[int, list] = {}
    regulators = access.district_regulators().filter(organization__district_id__in={c.district_id for c in orphans})
    for user in regulators.select_related("organization").order_by("pk"):
        by_district.setdefault(user.organization.district_id, []).append(user)
    city = []
    if any(c.district_id not in by_district for c in orphans):
        city = list(access.city_regulators().order_by("pk"))
    for c in orphans:
        recipients[c.pk] = by_district.get(c.district_id) or city
    return recipients


def complaints_escalate(*, now: datetime) -> int:
    """Each deadline an open complaint missed (acceptance, then the answer) is escalated once: an event on the
    complaint and a line in the digest of its department's supervisor, or of the regulators when the department has
    none. Safe to run twice or on two workers at once; returns the number of escalations."""
    from notifications.services import DigestLine, notifications_send_digests

    digests: dict = {}
    escalated = 0
    for step in ESCALATION_STEPS:
        rows = _escalation_claim(step, now=now)
        if not rows:
            continue
        escalated += len(rows)
        ComplaintEvent.objects.bulk_create(
            [ComplaintEvent(complaint=c, kind=EventKind.ESCALATION, text=str(step.event)) for c in rows]
        )
        recipients = _escalation_recipients(rows)
        for c in rows:
            text = str(step.line) % {
                "no": c.tracking_no,
                "cat": c.get_category_display(),
                "addr": c.address,
                "due": f"{timezone.localtime(getattr(c, step.deadline)):%Y-%m-%d %H:%M}",
            }
            if not _has_supervisor(c):
                text += _("%(dept)s未设督办负责人，请督促办理。") % {"dept": c.department.name}
            line = DigestLine(text, reverse("complaints:staff_detail", args=[c.pk]))
            for user in recipients[c.pk]:
                digests.setdefault(user, []).append(line)
    notifications_send_digests(digests=digests, title=_("投诉超期督办"))
    return escalated
