"""Writes to the registry: every create and change goes through here so validation and the audit trail hold."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from accounts import access

from .models import Elevator, Organization


def _check_scope(instance: models.Model, changed_by, may_change) -> None:
    """The one who changes it must be allowed to, before (where it was) and after (where it goes)."""
    if changed_by is None:
        return  # system writes: seeding, migrations
    stored = type(instance).objects.filter(pk=instance.pk).first() if instance.pk else None
    if (stored is not None and not may_change(changed_by, stored)) or not may_change(changed_by, instance):
        raise PermissionDenied(_("您只能登记和修改本辖区的数据。"))


@transaction.atomic
def _validated_save(instance: models.Model, *, changed_by=None, reason: str = "", may_change=None):
    """Validate and save; django-simple-history records who changed what, and why."""
    if may_change is not None:
        _check_scope(instance, changed_by, may_change)
    instance.full_clean()
    if changed_by is not None:
        instance._history_user = changed_by
    if reason:
        instance._change_reason = reason
    instance.save()
    return instance


def elevator_save(*, elevator: Elevator, changed_by=None, reason: str = "") -> Elevator:
    """Validate and save an elevator with its audit record.

    A user's write keeps the maintenance firm the elevator had: the firm follows the active contract, which
    maintenance.services sets when a contract starts or ends (docs/rules.md "Maintenance"), so no registry write
    hands a firm an elevator (issue 14)."""
    if changed_by is not None:
        stored = None
        if elevator.pk:
            stored = Elevator.objects.filter(pk=elevator.pk).values_list("maintenance_firm_id", flat=True).first()
        if elevator.maintenance_firm_id != stored:
            raise ValidationError(
                {"maintenance_firm": _("维保单位随生效的维保合同确定，请登记或终止维保合同，不能直接修改。")}
            )
    return _validated_save(elevator, changed_by=changed_by, reason=reason, may_change=access.can_change_elevator)


def organization_save(*, organization: Organization, changed_by=None, reason: str = "") -> Organization:
    """Validate and save an organisation with its audit record."""
    return _validated_save(
        organization, changed_by=changed_by, reason=reason, may_change=access.can_change_organization
    )
