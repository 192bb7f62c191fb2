"""Writes to the registry: every create and change goes through here so validation and the audit trail hold."""

from django.db import transaction

from .models import Elevator, Organization


@transaction.atomic
def elevator_save(*, elevator: Elevator, changed_by=None, reason: str = "") -> Elevator:
    """Validate and save an elevator; django-simple-history records who changed what."""
    elevator.full_clean()
    if changed_by is not None:
        elevator._history_user = changed_by
    if reason:
        elevator._change_reason = reason
    elevator.save()
    return elevator


@transaction.atomic
def organization_save(*, organization: Organization, changed_by=None, reason: str = "") -> Organization:
    """Validate and save an organisation with its audit record."""
    organization.full_clean()
    if changed_by is not None:
        organization._history_user = changed_by
    if reason:
        organization._change_reason = reason
    organization.save()
    return organization
