"""Writes of elevator safety liability insurance (电梯安全责任保险, plan §2(12); docs/rules.md "Preparedness"):
policies and their claims, the bulk import of policies, and the daily reminder before a policy ends.

Who may write is accounts.access.can_manage_preparedness (the insured use unit itself, regulators for a use unit of
their scope); whether an elevator is insured on a day is preparedness.rules (both ends of the period included).
"""

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import (
    DateField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from accounts import access
from notifications.choices import ReminderKind
from notifications.models import Reminder
from notifications.services import (
    DigestLine,
    digests_for_organizations,
    notifications_send_digests,
    reminders_insert_from,
)
from registry.choices import OrganizationKind
from registry.imports import CellError, Column, map_header, parse_date, parse_decimal
from registry.models import Elevator, Organization

from ..choices import ClaimStatus
from ..files import check_upload
from ..models import InsuranceClaim, InsurancePolicy
from ..rules import elevators_of_other_use_units

# ---------------------------------------------------------------- policies


def _check_elevators(*, insured: Organization, elevators) -> list[Elevator]:
    """Plan §2(12): a use unit insures its own elevators; a policy naming another use unit's elevator is refused,
    naming each such elevator by its registration code."""
    elevators = list({e.pk: e for e in elevators}.values())
    if not elevators:
        raise ValidationError({"elevators": _("承保电梯：至少选择一台电梯。")})
    others = sorted(e.registration_code for e in elevators_of_other_use_units(elevators, insured))
    if others:
        raise ValidationError(
            {
                "elevators": _("承保电梯：%(codes)s 不是被保险人%(name)s使用的电梯，不能投保。")
                % {"codes": "、".join(others), "name": insured.name}
            }
        )
    return elevators


def _check_unique_number(*, insurer: str, policy_no: str, exclude_pk: int | None = None) -> None:
    clash = InsurancePolicy.objects.filter(insurer=insurer, policy_no=policy_no)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError(
            {"policy_no": _("保单号：%(insurer)s的保单%(no)s已登记。") % {"insurer": insurer, "no": policy_no}}
        )


def _save_policy(policy: InsurancePolicy, *, user, elevators, document) -> InsurancePolicy:
    if document is not None:
        policy.document = document
    policy._history_user = user
    policy.full_clean(exclude=["document"], validate_constraints=False)  # the number is checked above, by name
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError:  # the same number registered at the same moment by someone else
        names = {"insurer": policy.insurer, "no": policy.policy_no}
        raise ValidationError({"policy_no": _("保单号：%(insurer)s的保单%(no)s已登记。") % names}) from None
    policy.elevators.set(elevators)
    return policy


@transaction.atomic
def policy_register(
    *,
    user,
    insured: Organization,
    insurer: str,
    policy_no: str,
    elevators,
    cover_per_person: Decimal,
    cover_per_accident: Decimal,
    starts_on: date,
    ends_on: date,
    document=None,
) -> InsurancePolicy:
    """Register a use unit's liability policy (plan §2(12)) covering some of its own elevators."""
    if not access.can_manage_preparedness(user, insured):
        raise PermissionDenied(_("保单由被保险的使用单位或其辖区监管部门登记。"))
    if insured.kind != OrganizationKind.USE_UNIT:
        raise ValidationError({"insured": _("被保险人应为电梯使用单位。")})
    insurer, policy_no = insurer.strip(), policy_no.strip()
    elevators = _check_elevators(insured=insured, elevators=elevators)
    check_upload(document, field="document", label=_("保单文件"), kinds=("pdf",))
    _check_unique_number(insurer=insurer, policy_no=policy_no)
    policy = InsurancePolicy(
        insurer=insurer,
        policy_no=policy_no,
        insured=insured,
        cover_per_person=cover_per_person,
        cover_per_accident=cover_per_accident,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=user,
    )
    return _save_policy(policy, user=user, elevators=elevators, document=document)


@transaction.atomic
def policy_update(
    *,
    user,
    policy: InsurancePolicy,
    insurer: str,
    policy_no: str,
    elevators,
    cover_per_person: Decimal,
    cover_per_accident: Decimal,
    starts_on: date,
    ends_on: date,
    document=None,
) -> InsurancePolicy:
    """Correct a policy (the insured stays: another use unit's policy is a new registration). `document=None` keeps
    the stored scan."""
    policy = InsurancePolicy.objects.select_for_update().select_related("insured").get(pk=policy.pk)
    if not access.can_manage_preparedness(user, policy.insured):
        raise PermissionDenied(_("保单由被保险的使用单位或其辖区监管部门修改。"))
    insurer, policy_no = insurer.strip(), policy_no.strip()
    elevators = _check_elevators(insured=policy.insured, elevators=elevators)
    check_upload(document, field="document", label=_("保单文件"), kinds=("pdf",))
    _check_unique_number(insurer=insurer, policy_no=policy_no, exclude_pk=policy.pk)
    policy.insurer, policy.policy_no = insurer, policy_no
    policy.cover_per_person, policy.cover_per_accident = cover_per_person, cover_per_accident
    policy.starts_on, policy.ends_on = starts_on, ends_on
    return _save_policy(policy, user=user, elevators=elevators, document=document)


# ---------------------------------------------------------------- claims

# A claim is decided once: paid and rejected are final (the insurer's answer).
CLAIM_NEXT = {
    ClaimStatus.FILED: {ClaimStatus.ACCEPTED, ClaimStatus.PAID, ClaimStatus.REJECTED},
    ClaimStatus.ACCEPTED: {ClaimStatus.PAID, ClaimStatus.REJECTED},
    ClaimStatus.PAID: set(),
    ClaimStatus.REJECTED: set(),
}


@transaction.atomic
def claim_file(
    *,
    user,
    policy: InsurancePolicy,
    elevator: Elevator,
    occurred_on: date,
    claimed_on: date,
    amount: Decimal,
    fault=None,
    accident=None,
    note: str = "",
    today: date | None = None,
) -> InsuranceClaim:
    """File a claim under a policy for harm on one of its elevators while the policy was in force (plan §2(12)),
    linked to the fault or accident behind it."""
    today = today or timezone.localdate()
    policy = InsurancePolicy.objects.select_related("insured").get(pk=policy.pk)
    if not access.can_manage_preparedness(user, policy.insured):
        raise PermissionDenied(_("理赔由被保险的使用单位或其辖区监管部门登记。"))
    errors = {}
    if not policy.elevators.filter(pk=elevator.pk).exists():
        errors["elevator"] = _("电梯：%(code)s 不在保单%(no)s承保范围内。") % {
            "code": elevator.registration_code,
            "no": policy.policy_no,
        }
    if occurred_on and not policy.in_force_on(occurred_on):
        errors["occurred_on"] = _("出险日期：保单保险期间为%(start)s至%(end)s，出险日期不在其内。") % {
            "start": policy.starts_on,
            "end": policy.ends_on,
        }
    if claimed_on and claimed_on > today:
        errors["claimed_on"] = _("报案日期：不能晚于今天。")
    elif claimed_on and occurred_on and claimed_on < occurred_on:
        errors["claimed_on"] = _("报案日期：不能早于出险日期。")
    if fault is not None and fault.elevator_id != elevator.pk:
        errors["fault"] = _("关联故障：该故障不是此电梯的故障。")
    if accident is not None and accident.elevator_id != elevator.pk:
        errors["accident"] = _("关联事故：该事故不是此电梯的事故。")
    if amount is not None and amount <= 0:
        errors["amount"] = _("索赔金额：应大于0元。")
    if errors:
        raise ValidationError(errors)
    claim = InsuranceClaim(
        policy=policy,
        elevator=elevator,
        fault=fault,
        accident=accident,
        occurred_on=occurred_on,
        claimed_on=claimed_on,
        amount=amount,
        note=note.strip(),
        created_by=user,
    )
    claim._history_user = user
    claim.full_clean()
    claim.save()
    return claim


@transaction.atomic
def claim_update_status(
    *, user, claim: InsuranceClaim, status: str, paid_amount: Decimal | None = None, note: str = ""
) -> InsuranceClaim:
    """Record the insurer's answer: accepted, paid (with the amount paid, at most the amount claimed) or rejected
    (with the reason). Locked, so two people recording at once cannot both move it."""
    claim = InsuranceClaim.objects.select_for_update().get(pk=claim.pk)
    insured = Organization.objects.get(pk=claim.policy.insured_id)
    if not access.can_manage_preparedness(user, insured):
        raise PermissionDenied(_("理赔状态由被保险的使用单位或其辖区监管部门更新。"))
    if status not in CLAIM_NEXT.get(claim.status, set()):
        raise ValidationError(
            {
                "status": _("状态：理赔当前为“%(now)s”，不能改为“%(new)s”。")
                % {"now": claim.get_status_display(), "new": dict(ClaimStatus.choices).get(status, status)}
            }
        )
    note = note.strip()
    if status == ClaimStatus.PAID:
        if paid_amount is None:
            raise ValidationError({"paid_amount": _("赔付金额：已赔付的理赔须填写赔付金额。")})
        if paid_amount <= 0 or paid_amount > claim.amount:
            raise ValidationError(
                {"paid_amount": _("赔付金额：应大于0元且不超过索赔金额%(amount)s元。") % {"amount": claim.amount}}
            )
        claim.paid_amount = paid_amount
    elif paid_amount is not None:
        raise ValidationError({"paid_amount": _("赔付金额：只有已赔付的理赔填写赔付金额。")})
    if status == ClaimStatus.REJECTED and not note:
        raise ValidationError({"note": _("说明：拒赔须写明理由。")})
    if note:
        stamp = timezone.localdate().isoformat()
        line = f"[{stamp} {ClaimStatus(status).label}] {note}"
        claim.note = f"{claim.note}\n{line}" if claim.note else line
    claim.status = status
    claim._history_user = user
    claim.full_clean()
    claim.save(update_fields=["status", "paid_amount", "note"])
    return claim


# ---------------------------------------------------------------- the expiry reminder (daily job)


def renewal_exists() -> Exists:
    """Whether the policy row is renewed: another policy of the same use unit, in force on the day after the row's
    policy ends (it starts on or before that day and ends after it), covering every elevator the row's policy
    covers. Kept simple on purpose: one follow-on policy must cover them all; cover split over several new policies
    still gets the reminder (the use unit can ignore it, nobody is left uncovered by mistake)."""
    day_after = ExpressionWrapper(OuterRef("ends_on") + timedelta(days=1), output_field=DateField())
    through = InsurancePolicy.elevators.through
    # An elevator of the expiring policy (two levels out) that the candidate renewal (one level out) does not cover.
    uncovered = through.objects.filter(insurancepolicy_id=OuterRef(OuterRef("pk"))).exclude(
        Exists(through.objects.filter(insurancepolicy_id=OuterRef(OuterRef("pk")), elevator_id=OuterRef("elevator_id")))
    )
    return Exists(
        InsurancePolicy.objects.filter(
            insured_id=OuterRef("insured_id"),
            starts_on__lte=day_after,
            ends_on__gte=day_after,
        )
        .exclude(pk=OuterRef("pk"))
        .exclude(Exists(uncovered))
    )


def policies_expiring_queryset(*, today: date):
    """Policies whose last day is today or within INSURANCE_REMINDER_DAYS days, not renewed (plan §2(12))."""
    return InsurancePolicy.objects.filter(
        ends_on__gte=today, ends_on__lte=today + timedelta(days=settings.INSURANCE_REMINDER_DAYS)
    ).exclude(renewal_exists())


def insurance_expiry_run(*, today: date) -> int:
    """Remind each insured use unit, once per policy and end day, that a policy ends within
    INSURANCE_REMINDER_DAYS and no renewal is on record (plan §2(12)); one digest per organisation.

    A fixed handful of queries whatever the number of policies; safe to run twice or on two workers.
    Returns the number of policies reminded in this run."""
    run_id = uuid.uuid4()
    # The cycle is the policy's last day, so a policy extended later is reminded again.
    reminders_insert_from(
        ReminderKind.INSURANCE_EXPIRING,
        policies_expiring_queryset(today=today),
        subject="policy",
        cycle_field="ends_on",
        run_id=run_id,
        foreign_key=("organization", "insured_id"),
    )
    new = list(Reminder.objects.filter(run_id=run_id, kind=ReminderKind.INSURANCE_EXPIRING).order_by("cycle", "pk"))
    if not new:
        return 0
    ids = [int(r.subject_key.split(":", 1)[1]) for r in new]
    policies = InsurancePolicy.objects.in_bulk(ids)
    by_org: dict[int, list[DigestLine]] = defaultdict(list)
    for reminder, policy_id in zip(new, ids, strict=True):
        policy = policies.get(policy_id)
        if policy is None:  # deleted between the insert and now
            continue
        text = _("%(insurer)s 保单%(no)s 将于%(day)s到期（剩余%(n)d天），尚无续保保单，请及时续保。") % {
            "insurer": policy.insurer,
            "no": policy.policy_no,
            "day": policy.ends_on.isoformat(),
            "n": (policy.ends_on - today).days,
        }
        by_org[reminder.organization_id].append(
            DigestLine(text, reverse("preparedness:policy_detail", args=[policy.pk]))
        )
    notifications_send_digests(
        digests=digests_for_organizations(by_org),
        title=_("%(day)s 电梯安全责任保险到期提醒") % {"day": today.isoformat()},
        link=reverse("preparedness:policies") + "?expiring=true",
    )
    return len(new)


# ---------------------------------------------------------------- bulk import of policies

POLICY_COLUMNS = [
    Column("insurer", "保险公司", required=True),
    Column("policy_no", "保单号", required=True),
    Column("insured", "被保险人", required=True),
    Column("elevators", "承保电梯注册代码", required=True),
    Column("cover_per_person", "每人赔偿限额", required=True),
    Column("cover_per_accident", "每次事故赔偿限额", required=True),
    Column("starts_on", "保险起期", required=True),
    Column("ends_on", "保险止期", required=True),
]
CODE_SEPARATORS = re.compile(r"[、,，;；\s]+")
BATCH_SIZE = 2000


@dataclass
class ImportReport:
    created: int = 0
    errors: list[dict] = field(default_factory=list)  # {"row", "column", "message"}


def _amount(text: str, *, max_digits: int) -> Decimal:
    """An amount in yuan as the model stores it: positive, at most two decimals and `max_digits` digits in all."""
    value = parse_decimal(text.replace(",", "").replace("，", ""))
    if not value.is_finite() or value <= 0:
        raise CellError(_("应为大于0的金额（元）。"))
    if value.as_tuple().exponent < -2 or value >= Decimal(10) ** (max_digits - 2):
        raise CellError(_("“%(v)s”不是有效金额（元，最多两位小数）。") % {"v": text})
    return value


def policies_import(*, user, rows: list[list[str]]) -> ImportReport:
    """Import policies from a table (first row the header; POLICY_COLUMNS): all or nothing. Every row is checked
    first and every bad cell reported (row, column, message); only a file without errors is written, in one
    transaction. The insured is named by its name or credit code and must be a use unit the user writes for; each
    covered elevator must be that use unit's (plan §2(12))."""
    if not access.can_manage_preparedness(user):
        raise PermissionDenied(_("保单由使用单位或监管部门导入。"))
    positions = map_header(rows[0], POLICY_COLUMNS)
    labels = {c.key: c.label for c in POLICY_COLUMNS}
    data = rows[1:]
    report = ImportReport()

    def cell(row, key):
        index = positions.get(key)
        return row[index].strip() if index is not None and index < len(row) else ""

    # Every name and code the file mentions, looked up in three queries.
    names = {cell(r, "insured") for r in data} - {""}
    units = Organization.objects.filter(kind=OrganizationKind.USE_UNIT).filter(
        Q(name__in=names) | Q(credit_code__in=names)
    )
    by_name = {}
    for unit in units:
        by_name[unit.name] = unit
        if unit.credit_code:
            by_name.setdefault(unit.credit_code, unit)
    writable = set(access.preparedness_use_units_for(user, units).values_list("pk", flat=True))
    codes = set()
    for r in data:
        codes.update(c for c in CODE_SEPARATORS.split(cell(r, "elevators")) if c)
    elevators = {e.registration_code: e for e in Elevator.objects.filter(registration_code__in=codes)}
    numbers = {(cell(r, "insurer"), cell(r, "policy_no")) for r in data}
    on_record = set(
        InsurancePolicy.objects.filter(
            insurer__in={n[0] for n in numbers}, policy_no__in={n[1] for n in numbers}
        ).values_list("insurer", "policy_no")
    )

    seen: dict[tuple[str, str], int] = {}
    good = []
    for offset, row in enumerate(data):
        line = offset + 2  # the header is row 1
        errors = []

        def bad(key, message, errors=errors, line=line):
            errors.append({"row": line, "column": labels[key], "message": str(message)})

        values = {}
        for key, limit in (("insurer", 100), ("policy_no", 64)):
            text = cell(row, key)
            if not text:
                bad(key, _("必填。"))
            elif len(text) > limit:
                bad(key, _("不能超过%(n)d个字符。") % {"n": limit})
            values[key] = text
        number = (values["insurer"], values["policy_no"])
        if all(number):
            if number in seen:
                bad("policy_no", _("与第%(row)d行的保单重复。") % {"row": seen[number]})
            elif number in on_record:
                bad("policy_no", _("%(insurer)s的保单%(no)s已登记。") % {"insurer": number[0], "no": number[1]})
            else:
                seen[number] = line
        insured = None
        name = cell(row, "insured")
        if not name:
            bad("insured", _("必填。"))
        elif name not in by_name:
            bad("insured", _("未找到名称或统一社会信用代码为“%(v)s”的使用单位。") % {"v": name})
        elif by_name[name].pk not in writable:
            bad("insured", _("“%(v)s”不在您的管辖范围内。") % {"v": name})
        else:
            insured = by_name[name]
        covered = []
        row_codes = list(dict.fromkeys(c for c in CODE_SEPARATORS.split(cell(row, "elevators")) if c))
        if not row_codes:
            bad("elevators", _("至少填写一台电梯的注册代码。"))
        unknown = [c for c in row_codes if c not in elevators]
        if unknown:
            bad("elevators", _("未找到注册代码为%(codes)s的电梯。") % {"codes": "、".join(unknown)})
        if insured is not None:
            others = [c for c in row_codes if c in elevators and elevators[c].use_unit_id != insured.pk]
            if others:
                bad(
                    "elevators",
                    _("%(codes)s 不是被保险人%(name)s使用的电梯，不能投保。")
                    % {"codes": "、".join(others), "name": insured.name},
                )
            covered = [elevators[c] for c in row_codes if c in elevators and c not in others]
        for key in ("cover_per_person", "cover_per_accident"):
            text = cell(row, key)
            try:
                if not text:
                    raise CellError(_("必填。"))
                values[key] = _amount(text, max_digits=InsurancePolicy._meta.get_field(key).max_digits)
            except CellError as exc:
                bad(key, exc)
        if (
            values.get("cover_per_person")
            and values.get("cover_per_accident")
            and values["cover_per_accident"] < values["cover_per_person"]
        ):
            bad("cover_per_accident", _("每次事故赔偿限额不能低于每人赔偿限额。"))
        for key in ("starts_on", "ends_on"):
            text = cell(row, key)
            try:
                if not text:
                    raise CellError(_("必填。"))
                values[key] = parse_date(text)
            except CellError as exc:
                bad(key, exc)
        if values.get("starts_on") and values.get("ends_on") and values["ends_on"] < values["starts_on"]:
            bad("ends_on", _("保险止期不能早于保险起期。"))
        report.errors.extend(errors)
        if not errors:
            good.append((values, insured, covered))
    if report.errors:
        return report

    # Set-based: the policies with their history in one insert, then their elevators in another (a few queries
    # whatever the number of rows). The rows were checked above, the model's rules included (InsurancePolicy.clean).
    policies = [InsurancePolicy(insured=insured, created_by=user, **values) for values, insured, _covered in good]
    try:
        with transaction.atomic():
            created = bulk_create_with_history(
                policies, InsurancePolicy, batch_size=BATCH_SIZE, default_user=user, default_change_reason="import"
            )
            through = InsurancePolicy.elevators.through
            through.objects.bulk_create(
                [
                    through(insurancepolicy_id=policy.pk, elevator_id=elevator.pk)
                    for policy, (_values, _insured, covered) in zip(created, good, strict=True)
                    for elevator in covered
                ],
                batch_size=BATCH_SIZE,
            )
    except IntegrityError:  # a number registered by someone else since the check: nothing of the file was kept
        report.errors.append(
            {
                "row": 0,
                "column": labels["policy_no"],
                "message": _("导入期间有相同保单号被登记，未导入任何保单，请重新上传。"),
            }
        )
        return report
    report.created = len(created)
    return report


def import_template_header() -> list[str]:
    return [c.label for c in POLICY_COLUMNS]
