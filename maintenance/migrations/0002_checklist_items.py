from django.db import migrations


def load(apps, schema_editor):
    from maintenance.checklists import load_checklists

    load_checklists(apps.get_model("maintenance", "ChecklistItem"))


class Migration(migrations.Migration):
    dependencies = [("maintenance", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
