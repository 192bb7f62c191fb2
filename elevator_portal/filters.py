"""Filters shared by the FilterSets of several apps."""

import django_filters
from drf_spectacular.utils import extend_schema_field


@extend_schema_field({"type": "string", "pattern": "^[0-9]{6}$"})
class DivisionCodeFilter(django_filters.ModelMultipleChoiceFilter):
    """Districts by their six-digit administrative division code (e.g. 510402), repeatable: `?district=510402
    &district=510403`. The FilterSet passes the District queryset and `to_field_name="code"`."""
