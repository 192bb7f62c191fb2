"""Reads of the registry."""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.lookups import DataContains
from django.db import connection
from django.db.models import F, Func, Q, QuerySet, TextField, Value
from django.db.models.functions import Cast, Upper

from accounts.access import elevators_for

from .models import Elevator, Organization


def elevator_list_queryset(*, user) -> QuerySet:
    """The elevators a user may see, with what list pages, the API and exports display (no N+1)."""
    return elevators_for(user).select_related("district", "use_unit", "maintenance_firm")


class _Bigrams(Func):
    """portal_bigrams(text): the set of a text's two-character pieces (registry migration 0005)."""

    function = "portal_bigrams"
    output_field = ArrayField(TextField())


def text_contains(field: str, text: str) -> Q:
    """`field` contains `text`, case-insensitively, in the form the database's indexes answer (bench/README.md).

    On PostgreSQL a two-character text is looked up in the bigram index (pg_trgm needs three characters); longer
    texts use `icontains`, which the trigram index serves. Elsewhere it is plain `icontains`.
    """
    if connection.vendor == "postgresql" and len(text) == 2:
        pieces = _Bigrams(Upper(Cast(F(field), TextField())))
        return Q(DataContains(pieces, Value([text.upper()], output_field=ArrayField(TextField()))))
    return Q(**{f"{field}__icontains": text})


def elevator_search_q(text: str) -> Q:
    """Free-text search: code prefixes, exact rescue code, address, building and use unit names."""
    text = text.strip()
    if not text:
        return Q()
    # The use units are looked up first (a small table), so that the search stays on the elevator table, where
    # each branch of the OR has its own index (trigram indexes on address and building, B-trees on the rest).
    use_units = list(Organization.objects.filter(name__icontains=text).values_list("pk", flat=True))
    q = text_contains("address", text) | text_contains("building_name", text) | Q(use_unit_id__in=use_units)
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
    return qs.filter(text_contains("address", text) | text_contains("building_name", text))


def elevator_by_public_code(
    code: str, *, related: tuple[str, ...] = ("district", "use_unit", "maintenance_firm")
) -> Elevator | None:
    """The elevator behind /e/<code>/: a 20-digit registration code or a 5-6 digit rescue code.

    `related`: what to join; the public page shows the use unit and the firm, the complaint intake needs only the
    district (every complaint would pay for the other two joins).
    """
    field = "registration_code" if len(code) == 20 else "rescue_code"
    try:
        # get(), not first(): both codes are unique, and first() would have the database sort by them.
        return Elevator.objects.select_related(*related).get(**{field: code})
    except Elevator.DoesNotExist:
        return None
