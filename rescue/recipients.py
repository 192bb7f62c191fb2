"""Who the rescue loop tells, rung by rung (docs/rules.md "Entrapment rescue loop"; plan §2(10) 使用单位为主、
维保单位为辅): the firm's people on call, its duty manager, the use unit's safety managers, the district regulators,
the 96333 centre and the city regulators. Each is a Contact: one person, with every channel they can be reached on."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from accounts import access
from accounts.models import User
from registry.choices import PersonKind
from registry.models import Person

from .models import DutyShift


@dataclass(frozen=True)
class Contact:
    key: str  # unique per person within one step ("shift:3", "user:12", "person:7")
    name: str
    user: User | None = None
    phone: str = ""
    email: str = ""


def _user_contact(user: User) -> Contact:
    return Contact(
        key=f"user:{user.pk}",
        name=user.get_full_name() or user.get_username(),
        user=user,
        phone=user.phone,
        email=user.email,
    )


def on_duty(firm_id: int | None, *, now: datetime, level: str) -> list[DutyShift]:
    """The firm's shifts of `level` covering `now` (a shift ending at `now` is over)."""
    if firm_id is None:
        return []
    return list(
        DutyShift.objects.filter(firm_id=firm_id, level=level, starts_at__lte=now, ends_at__gt=now)
        .select_related("user")
        .order_by("starts_at", "pk")
    )


def firm_contacts(firm_id: int | None, *, now: datetime, level: str) -> list[Contact]:
    """The firm's people of `level` on duty now; with no one on the roster, every active login of the firm, so that
    an alarm is never sent to nobody."""
    shifts = on_duty(firm_id, now=now, level=level)
    if shifts:
        return [
            Contact(key=f"shift:{s.pk}", name=s.name, user=s.user, phone=s.phone, email=s.email or "") for s in shifts
        ]
    if firm_id is None:
        return []
    return [_user_contact(u) for u in User.objects.filter(is_active=True, organization_id=firm_id).order_by("pk")]


def use_unit_contacts(use_unit_id: int | None, *, today=None) -> list[Contact]:
    """The use unit's safety managers with a valid certificate (TSG T5002-2017; 条例 §33), by their login and their
    phone; with none designated, every active login of the use unit."""
    if use_unit_id is None:
        return []
    today = today or timezone.localdate()
    managers = list(
        Person.objects.filter(
            organization_id=use_unit_id, kind=PersonKind.SAFETY_MANAGER, certificate_valid_until__gte=today
        )
        .select_related("user")
        .order_by("pk")
    )
    if managers:
        return [
            Contact(
                key=f"person:{p.pk}",
                name=p.name,
                user=p.user if p.user_id and p.user.is_active else None,
                phone=p.phone or (p.user.phone if p.user_id else ""),
                email=p.user.email if p.user_id else "",
            )
            for p in managers
        ]
    return [_user_contact(u) for u in User.objects.filter(is_active=True, organization_id=use_unit_id).order_by("pk")]


def regulator_contacts(district_id: int | None, *, city: bool = False, centre: bool = True) -> list[Contact]:
    """The district's regulators, the 96333 centre's operators and (with `city`) the city regulators."""
    users = access.district_regulators().filter(organization__district_id=district_id)
    query = Q(pk__in=users.values("pk"))
    if centre:
        query |= Q(pk__in=access.rescue_centre_users().values("pk"))
    if city:
        query |= Q(pk__in=access.city_regulators().values("pk"))
    return [_user_contact(u) for u in User.objects.filter(query).order_by("pk")]


def unique(contacts: list[Contact]) -> list[Contact]:
    """Each person once, even when on two rungs of the same step (a login named on a shift and as a user)."""
    seen_users, seen_keys, result = set(), set(), []
    for c in contacts:
        if c.key in seen_keys or (c.user is not None and c.user.pk in seen_users):
            continue
        seen_keys.add(c.key)
        if c.user is not None:
            seen_users.add(c.user.pk)
        result.append(c)
    return result
