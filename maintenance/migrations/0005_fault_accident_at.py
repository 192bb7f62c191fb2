"""Fault.accident_at (条例 §64: the job that alerts regulators of an entrapment at 2 hours marks it), and the two
dates the rules read filled in once for the rows already there:

- Elevator.contract_starts_on, the start of each elevator's active contract (kept in step by the contract services
  from now on);
- accident_at of the entrapments already released 2 hours or more after the report: they are history, so the new
  job does not alert them as news (still-open ones it does alert).
"""

from datetime import timedelta

from django.conf import settings
from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery


def fill(apps, schema_editor):
    Elevator = apps.get_model("registry", "Elevator")
    ContractElevator = apps.get_model("maintenance", "ContractElevator")
    Fault = apps.get_model("maintenance", "Fault")
    active = ContractElevator.objects.filter(elevator=OuterRef("pk"), active=True).values("contract__starts_on")[:1]
    Elevator.objects.filter(contract_coverage__active=True).update(contract_starts_on=Subquery(active))
    Fault.objects.filter(
        kind="entrapment",
        accident_at__isnull=True,
        released_at__gte=F("reported_at") + timedelta(minutes=settings.ENTRAPMENT_ACCIDENT_MINUTES),
    ).update(accident_at=F("released_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("maintenance", "0004_record_start_index"),
        ("registry", "0008_elevator_contract_starts_on"),
    ]

    operations = [
        migrations.AddField(
            model_name="fault",
            name="accident_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="计为事故时间"),
        ),
        migrations.AddField(
            model_name="historicalfault",
            name="accident_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="计为事故时间"),
        ),
        migrations.AddIndex(
            model_name="fault",
            index=models.Index(
                condition=models.Q(
                    ("accident_at__isnull", True), ("kind", "entrapment"), ("released_at__isnull", True)
                ),
                fields=["reported_at"],
                name="fault_open_entrapment_idx",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
