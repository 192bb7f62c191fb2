"""Writes to the registry: every create and change goes through here so validation and the audit trail hold."""

from django.db import models, transaction

from .models import Elevator, Organization


@transaction.atomic
def _validated_save(instance: models.Model, *, changed_by=None, reason: str = ""):
    """Validate and save; django-simple-history records who changed what, and why."""
    instance.full_clean()
    if changed_by is not None:
        instance._history_user = changed_by
    if reason:
        instance._change_reason = reason
    instance.save()
    return instance


def elevator_save(*, elevator: Elevator, changed_by=None, reason: str = "") -> Elevator:
    """Validate and save an elevator with its audit record."""
    return _validated_save(elevator, changed_by=changed_by, reason=reason)


def organization_save(*, organization: Organization, changed_by=None, reason: str = "") -> Organization:
    """Validate and save an organisation with its audit record."""
    return _validated_save(organization, changed_by=changed_by, reason=reason)
