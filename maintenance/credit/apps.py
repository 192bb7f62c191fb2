from django.apps import AppConfig


class CreditConfig(AppConfig):
    """Maintenance-firm credit: no models of its own (CreditEvaluation is maintenance's table), its job and pages."""

    name = "maintenance.credit"
    label = "credit"
    verbose_name = "维保单位信用评价"
