from django.db import models


class DataVersion(models.Model):
    """A counter that PostgreSQL triggers raise on every change to the tables behind the dashboards' figures
    (migration 0001), in the same transaction as the change. Cached figures are keyed by it, so a cached figure is
    never older than the data it would be computed from (dashboards.selectors)."""

    name = models.CharField(max_length=32, primary_key=True)
    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "data version"

    def __str__(self):
        return f"{self.name} v{self.version}"
