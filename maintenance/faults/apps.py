from django.apps import AppConfig


class FaultsConfig(AppConfig):
    """Faults and entrapment rescue: no models of its own (Fault is maintenance's table), its pages and API."""

    name = "maintenance.faults"
    label = "faults"
    verbose_name = "故障与困人救援"
