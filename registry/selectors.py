"""Reads of the registry."""

from django.db.models import Q, QuerySet

from accounts.access import elevators_for

from .models import Elevator


def elevator_list_queryset(*, user) -> QuerySet:
    """The elevators a user may see, with what list pages, the API and exports display (no N+1)."""
    return elevators_for(user).select_related("district", "use_unit", "maintenance_firm")


def elevator_search_q(text: str) -> Q:
    """Free-text search: code prefixes, exact rescue code, address, building and use unit names."""
    text = text.strip()
    if not text:
        return Q()
    q = Q(address__icontains=text) | Q(building_name__icontains=text) | Q(use_unit__name__icontains=text)
    if text.isdigit():
        q |= Q(registration_code__startswith=text) | Q(rescue_code=text)
    return q


def elevator_public_lookup(*, text: str) -> QuerySet:
    """Public lookup on the home page: registration code, rescue code or address; never private fields."""
    text = text.strip()
    qs = Elevator.objects.select_related("district", "use_unit").exclude(status="scrapped")
    if not text:
        return qs.none()
    if text.isdigit():
        return qs.filter(Q(registration_code=text) | Q(rescue_code=text))
    return qs.filter(Q(address__icontains=text) | Q(building_name__icontains=text))


def elevator_by_public_code(code: str) -> Elevator | None:
    """The elevator behind /e/<code>/: a 20-digit registration code or a 5-6 digit rescue code."""
    field = "registration_code" if len(code) == 20 else "rescue_code"
    return (
        Elevator.objects.select_related("district", "use_unit", "maintenance_firm")
        .filter(**{field: code})
        .first()
    )
