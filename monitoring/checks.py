"""Start-up checks of the key-monitoring settings (plan §2(4)): a wrong value fails before the first scan."""

from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register()
def risk_age_building_kinds_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """RISK_AGE_BUILDING_KINDS names building kinds that exist (registry.choices.BuildingKind)."""
    from .selectors import age_building_kinds

    try:
        age_building_kinds()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="monitoring.E001")]
    return []
