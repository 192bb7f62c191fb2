"""Reads of monitoring: the flags a user may see, the rules of the scan and the 三无 elevators (三(1))."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import (
    BooleanField,
    Case,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils.translation import gettext_lazy

from accounts import access
from registry.choices import BuildingKind, ElevatorStatus, MaintenanceFund

# ---------------------------------------------------------------- reads


def age_building_kinds() -> tuple[str, ...]:
    """The building kinds the age rule scans (RISK_AGE_BUILDING_KINDS); a kind that is not a BuildingKind fails
    loudly (monitoring/checks.py says so at start-up)."""
    kinds = tuple(settings.RISK_AGE_BUILDING_KINDS)
    unknown = [kind for kind in kinds if kind not in BuildingKind.values]
    if unknown or not kinds:
        raise ImproperlyConfigured(
            f"RISK_AGE_BUILDING_KINDS must name one or more of {', '.join(BuildingKind.values)}; "
            f"not {', '.join(unknown) or 'nothing'}"
        )
    return kinds


def risk_rules() -> dict:
    """What the daily scan flags, from the settings, for the key-monitoring page to state (plan §2(4))."""
    labels = dict(BuildingKind.choices)
    return {
        "age_years": settings.RISK_AGE_YEARS,
        "age_building_kinds": [labels[kind] for kind in age_building_kinds()],
        "faults": settings.RISK_FAULTS_12M,
        "failure_percentile": settings.RISK_FAILURE_PERCENTILE,
        "complaints": settings.RISK_COMPLAINTS_12M,
        "entrapments": settings.RISK_ENTRAPMENTS_12M,
    }


def risk_flag_list(*, user) -> QuerySet:
    """The flags of the elevators a user may see, with what the list, export and API show (no N+1)."""
    return access.risk_flags_for(user).select_related(
        "elevator__district", "elevator__use_unit", "elevator__maintenance_firm"
    )


# ---------------------------------------------------- 三无 elevators (三(1); docs/rules.md "三无 elevators")

SANWU_REASONS = {
    "no_use_unit": gettext_lazy("无使用单位（无物管）"),
    "no_maintenance": gettext_lazy("无维保单位（无维保）"),
    "no_fund": gettext_lazy("无专项维修资金"),
}


def sanwu_q() -> dict[str, Q]:
    """The three conditions: no use unit, no active maintenance contract (no current firm), or a residential
    elevator whose special maintenance fund was never established."""
    return {
        "no_use_unit": Q(use_unit__isnull=True),
        "no_maintenance": Q(maintenance_firm__isnull=True),
        "no_fund": Q(building_kind=BuildingKind.RESIDENTIAL, maintenance_fund=MaintenanceFund.NONE),
    }


def sanwu_elevators(*, user, reason: str | None = None) -> QuerySet:
    """The 三无 elevators a user may see (not scrapped), each annotated with which conditions hold."""
    conditions = sanwu_q()
    wanted = Q()
    for q in [conditions[reason]] if reason in conditions else conditions.values():
        wanted |= q
    qs = access.elevators_for(user).exclude(status=ElevatorStatus.SCRAPPED).filter(wanted)
    return (
        qs.annotate(
            **{
                key: Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())
                for key, q in conditions.items()
            }
        )
        .select_related("district", "use_unit", "maintenance_firm")
        .order_by("district__code", "registration_code")
    )
