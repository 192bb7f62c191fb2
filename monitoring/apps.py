from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """Reads across every domain: key monitoring (plan §2(4)), 三无 elevators (三(1)), each elevator's history."""

    name = "monitoring"
    verbose_name = "重点监控"

    def ready(self):
        from . import checks  # noqa: F401  (registers the settings checks)
