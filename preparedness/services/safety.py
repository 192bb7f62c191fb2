"""Writes of a use unit's safety management (plan §2(7); 特种设备安全法 §13, §33; TSG T5002-2017; TSG 08-2017 2.4):
its body, principal, rules and budget; its 安全管理员, each a certified registry Person of kind 安全管理员 with the
elevators they answer for; and the daily alert to district regulators of use units with an elevator in use and no
valid safety manager.

The designation written here is the one accounts.access.is_safety_manager reads: only a designated manager of the
use unit, certificate valid on the day, confirms maintenance records. Who may write is
accounts.access.can_manage_preparedness (the use unit itself, regulators for a use unit of their scope); every change
is recorded by django-simple-history with the user who made it.
"""

import uuid
from collections import defaultdict
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, ProtectedError, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import access
from notifications.choices import ReminderKind
from notifications.models import Reminder
from notifications.services import DigestLine, digests_for_district_regulators, notifications_send_digests
from registry.choices import OrganizationKind, PersonKind
from registry.models import Elevator, Organization, Person

from ..files import check_upload
from ..models import SafetyAssignment, SafetyManagement
from ..rules import elevators_of_other_use_units, use_units_without_safety_manager_q

# The cycle of a use unit that never had a safety manager: any fixed day before the portal's records.
NEVER_HAD_ONE = date(2000, 1, 1)


def _require_manage(user, use_unit: Organization) -> None:
    if not access.can_manage_preparedness(user, use_unit):
        raise PermissionDenied(_("您只能管理本单位或本辖区使用单位的安全管理。"))
    if use_unit.kind != OrganizationKind.USE_UNIT:
        raise ValidationError({"use_unit": _("使用单位：“%(name)s”不是使用单位。") % {"name": use_unit.name}})


# ---------------------------------------------------------------- the body, its rules and money


@transaction.atomic
def safety_management_save(
    *, user, use_unit: Organization, body_name: str, principal: str, rules_document=None, annual_budget=None
) -> SafetyManagement:
    """Create or update the use unit's one SafetyManagement row (特种设备安全法 §13: body or managers, rules, money).

    `rules_document`: a new PDF replaces the stored one; None keeps it."""
    _require_manage(user, use_unit)
    check_upload(rules_document, field="rules_document", label=_("安全管理制度"), kinds=("pdf",))
    row = SafetyManagement.objects.select_for_update().filter(use_unit=use_unit).first()
    if row is None:
        row = SafetyManagement(use_unit=use_unit)
    row.body_name = (body_name or "").strip()
    row.principal = (principal or "").strip()
    row.annual_budget = annual_budget
    if annual_budget is not None and annual_budget < 0:
        raise ValidationError({"annual_budget": _("年度安全经费不能为负数。")})
    if rules_document is not None:
        row.rules_document = rules_document
    row.updated_by = user
    row.full_clean()
    row._history_user = user
    row.save()
    return row


# ---------------------------------------------------------------- safety managers


def _lock_use_unit(use_unit: Organization) -> None:
    """Changes to one use unit's managers and assignments are made one after the other (two regulators, or a
    regulator and the use unit, at once)."""
    Organization.objects.select_for_update().filter(pk=use_unit.pk).first()


def _check_elevators(use_unit: Organization, elevators) -> list[Elevator]:
    """TSG 08-2017 2.4: a manager answers for elevators of their own use unit; any other is refused by its code."""
    elevators = list({e.pk: e for e in elevators}.values())
    others = sorted(e.registration_code for e in elevators_of_other_use_units(elevators, use_unit))
    if others:
        raise ValidationError(
            {
                "elevators": _("负责电梯：%(codes)s 不是%(name)s使用的电梯，不能指定。")
                % {"codes": "、".join(others), "name": use_unit.name}
            }
        )
    return elevators


def _set_assignments(*, user, person: Person, elevators: list[Elevator]) -> None:
    """Make the person's assignments exactly `elevators`, each change with its audit record."""
    wanted = {e.pk for e in elevators}
    current = {a.elevator_id: a for a in SafetyAssignment.objects.filter(person=person)}
    for elevator_id, assignment in current.items():
        if elevator_id not in wanted:
            assignment._history_user = user
            assignment.delete()
    for elevator_id in sorted(wanted - current.keys()):
        assignment = SafetyAssignment(person=person, elevator_id=elevator_id, assigned_by=user)
        assignment._history_user = user
        assignment.save()


def _check_manager(user, person: Person) -> None:
    _require_manage(user, person.organization)
    if person.kind != PersonKind.SAFETY_MANAGER:
        raise ValidationError({"person": _("“%(name)s”不是安全管理员。") % {"name": person.name}})


@transaction.atomic
def safety_manager_designate(
    *,
    user,
    use_unit: Organization,
    name: str,
    certificate_no: str,
    certificate_valid_until: date,
    phone: str = "",
    login=None,
    elevators=(),
    person: Person | None = None,
) -> Person:
    """Designate a 安全管理员 of the use unit (or, with `person`, update one), and the elevators they answer for.

    特种设备安全法 §33 / plan §2(7): a certified person; the certificate is checked like a maintenance worker's
    (refused when not valid today). `login`: the use-unit account they sign in with, which then confirms maintenance
    records (accounts.access.is_safety_manager) while the certificate is valid."""
    _require_manage(user, use_unit)
    _lock_use_unit(use_unit)
    if person is not None:
        person = Person.objects.select_for_update().get(pk=person.pk)
        if person.organization_id != use_unit.pk:
            raise ValidationError({"person": _("该人员不属于%(name)s。") % {"name": use_unit.name}})
        _check_manager(user, person)
    else:
        person = Person(organization=use_unit, kind=PersonKind.SAFETY_MANAGER)
    elevators = _check_elevators(use_unit, elevators)
    errors = {}
    today = timezone.localdate()
    certificate_no = (certificate_no or "").strip()
    if certificate_valid_until is not None and certificate_valid_until < today:
        # As for maintenance workers (条例 §38): a lapsed certificate designates no one.
        errors["certificate_valid_until"] = _("证书已过期：有效期至%(until)s，不能指定为安全管理员。") % {
            "until": certificate_valid_until.isoformat()
        }
    if certificate_no:
        holder = Person.objects.filter(certificate_no=certificate_no).exclude(pk=person.pk).first()
        if holder is not None:
            errors["certificate_no"] = _("证书编号“%(no)s”已登记在其他人员名下，请核对。") % {"no": certificate_no}
    if login is not None:
        linked = Person.objects.filter(user=login).exclude(pk=person.pk).first()
        if linked is not None:
            errors["login"] = _("登录账号“%(login)s”已关联人员“%(name)s”，一个账号只能关联一名人员。") % {
                "login": login.get_username(),
                "name": linked.name,
            }
        elif login.organization_id != use_unit.pk:
            errors["login"] = _("登录账号必须属于本人所在单位。")
    if errors:
        raise ValidationError(errors)
    person.name = (name or "").strip()
    person.certificate_no = certificate_no
    person.certificate_valid_until = certificate_valid_until
    person.phone = (phone or "").strip()
    person.user = login
    try:
        person.full_clean()
    except ValidationError as exc:
        # Person.clean names its login field "user"; the form and the API call it "login".
        raise ValidationError(
            {("login" if field == "user" else field): messages for field, messages in exc.message_dict.items()}
        ) from None
    person._history_user = user
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        # Two designations of one certificate (or one login) at once: the unique constraint keeps one.
        raise ValidationError(
            {"certificate_no": _("证书编号“%(no)s”已登记在其他人员名下，请核对。") % {"no": certificate_no}}
        ) from None
    _set_assignments(user=user, person=person, elevators=elevators)
    return person


@transaction.atomic
def safety_manager_assign(*, user, person: Person, elevators) -> Person:
    """Replace the set of elevators the safety manager answers for (TSG 08-2017 2.4)."""
    _check_manager(user, person)
    _lock_use_unit(person.organization)
    _set_assignments(user=user, person=person, elevators=_check_elevators(person.organization, elevators))
    return person


@transaction.atomic
def safety_manager_withdraw(*, user, person: Person) -> None:
    """End a designation: the login no longer confirms records and the person no longer counts as the use unit's
    safety manager.

    The Person row is deleted, not kept: preparedness.rules counts every Person of kind 安全管理员 with a valid
    certificate as a safety manager of the use unit (and the model has no "withdrawn" state), so a kept row would
    keep the use unit off the regulators' list and a different kind would misstate the person's certificate.
    django-simple-history keeps the whole row and its assignments, with who withdrew them and when; the
    certificate number becomes free to designate the person again."""
    _check_manager(user, person)
    _lock_use_unit(person.organization)
    _set_assignments(user=user, person=person, elevators=[])
    person._history_user = user
    try:
        person.delete()
    except ProtectedError:
        raise ValidationError(
            {"person": _("“%(name)s”已被其他记录引用，不能撤销，请联系监管部门。") % {"name": person.name}}
        ) from None


# ---------------------------------------------------------------- the daily alert to district regulators


def _last_certificate_day() -> Subquery:
    """The last day of validity of the use unit row's latest-running safety manager certificate (None: never had)."""
    return Subquery(
        Person.objects.filter(organization=OuterRef("pk"), kind=PersonKind.SAFETY_MANAGER)
        .order_by("-certificate_valid_until")
        .values("certificate_valid_until")[:1]
    )


def safety_managers_missing_run(*, today: date) -> int:
    """Alert each district regulator of the use units of the district with an elevator in use and no valid safety
    manager (plan §2(7); 特种设备安全法 §33), once per gap; returns how many use units were newly flagged.

    The gap's cycle is the day after the last certificate of the unit's safety managers ran out, or NEVER_HAD_ONE: a
    new manager whose certificate later lapses opens a new gap. A fixed handful of queries whatever the number of
    use units (the flagged units; one insert; the new reminders; the regulators; the notifications); the ledger's
    unique key (kind, subject, cycle) makes a second alert impossible, also from two workers at once."""
    run_id = uuid.uuid4()
    created_at = timezone.now()
    flagged = (
        Organization.objects.filter(use_units_without_safety_manager_q(today))
        .annotate(last_valid=_last_certificate_day())
        .order_by("pk")
        .values_list("pk", "last_valid")
    )
    reminders = [
        Reminder(
            kind=ReminderKind.SAFETY_MANAGER_MISSING,
            subject_key=f"organization:{pk}",
            cycle=last_valid + timedelta(days=1) if last_valid else NEVER_HAD_ONE,
            organization_id=pk,
            run_id=run_id,
            created_at=created_at,
        )
        for pk, last_valid in flagged
    ]
    if not reminders:
        return 0
    with transaction.atomic():
        # In key order, so two runs at once take the unique-index locks in the same order (no deadlock); the later
        # waits for the earlier and skips its rows (ON CONFLICT DO NOTHING / INSERT OR IGNORE).
        Reminder.objects.bulk_create(reminders, ignore_conflicts=True, batch_size=1000)
        new = list(Reminder.objects.filter(run_id=run_id).select_related("organization").order_by("organization_id"))
        by_district: dict[int, list[DigestLine]] = defaultdict(list)
        for reminder in new:
            unit = reminder.organization
            if reminder.cycle == NEVER_HAD_ONE:
                text = _("%(name)s：有在用电梯，但从未登记安全管理员，请督促其配备持证安全管理员。")
            else:
                text = _("%(name)s：有在用电梯，安全管理员证书已于%(day)s过期且无其他持证安全管理员，请督促整改。")
            line = DigestLine(
                text % {"name": unit.name, "day": (reminder.cycle - timedelta(days=1)).isoformat()},
                f"{reverse('preparedness:safety')}?use_unit={unit.pk}",
            )
            if unit.district_id:
                by_district[unit.district_id].append(line)
        notifications_send_digests(
            digests=digests_for_district_regulators(by_district),
            title=_("%(day)s 使用单位无有效安全管理员告警") % {"day": today.isoformat()},
            link=reverse("preparedness:safety_missing"),
        )
    return len(new)
