"""Reads of maintenance records and contracts."""

from django.db.models import QuerySet

from accounts import access


def record_list(*, user) -> QuerySet:
    """Records a user may see, with what the list shows (no N+1)."""
    return (
        access.maintenance_records_for(user)
        .select_related("elevator", "firm", "signed_by")
        .order_by("-started_at", "-id")
    )


def contract_list(*, user) -> QuerySet:
    return access.contracts_for(user).select_related("use_unit", "firm").order_by("-starts_on", "number")
