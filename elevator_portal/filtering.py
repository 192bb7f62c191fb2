"""The API's filter backend: django-filter's, refusing id filters beyond the database's integers (issue 14).

An id filter (`?firm_id=`, `?district_id=`) was compared with whatever number it was sent; a value beyond 64 bits
(`?firm_id=-4.6e+87`, found by tests/test_schemathesis.py) overflowed SQLite's driver, a 500. It is now a 400 naming
the filter, before any query runs: Django guards plain integer lookups this way, not lookups through a relation.
"""

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django_filters import ModelChoiceFilter, ModelMultipleChoiceFilter, NumberFilter
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

LARGEST = 2**63 - 1  # PostgreSQL's bigint and SQLite's INTEGER


def out_of_range(raw: str) -> bool:
    try:
        number = Decimal(raw)
    except (InvalidOperation, ValueError):
        return False  # not a number: the filter's own field says so
    return number.is_finite() and abs(number) > LARGEST


def numeric(filter_) -> bool:
    if isinstance(filter_, NumberFilter):
        return True
    by_object = isinstance(filter_, ModelChoiceFilter | ModelMultipleChoiceFilter)
    return by_object and not filter_.extra.get("to_field_name")  # by id, not by a code


class CheckedFilterBackend(DjangoFilterBackend):
    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        errors = {
            name: [_("数值超出范围。")]
            for name, filter_ in filterset.filters.items()
            if numeric(filter_) and any(out_of_range(value) for value in filterset.data.getlist(name))
        }
        if errors:
            raise ValidationError(errors)
        return filterset
