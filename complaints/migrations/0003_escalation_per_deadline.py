from django.db import migrations, models
from django.db.models import F, Q


def map_escalations(apps, schema_editor):
    """An escalation on record was the deadline first missed: acceptance when the complaint was not yet accepted at
    the time (the old job escalated a submitted complaint only on its acceptance deadline), the answer otherwise."""
    Complaint = apps.get_model("complaints", "Complaint")
    escalated = Complaint.objects.filter(escalated_at__isnull=False)
    escalated.filter(Q(accepted_at__isnull=True) | Q(accepted_at__gt=F("escalated_at"))).update(
        accept_escalated_at=F("escalated_at")
    )
    escalated.filter(accepted_at__lte=F("escalated_at")).update(resolve_escalated_at=F("escalated_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0002_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="complaint",
            name="accept_escalated_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="受理超期督办时间"),
        ),
        migrations.AddField(
            model_name="complaint",
            name="resolve_escalated_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="办结超期督办时间"),
        ),
        migrations.RunPython(map_escalations, migrations.RunPython.noop),
    ]
