"""Existing tenants get the default pipeline; new tenants get it from the sales app's setup step."""
from django.db import migrations

STAGES = [("初步接洽", 10, "open"), ("需求确认", 30, "open"), ("方案报价", 60, "open"), ("商务谈判", 80, "open"),
          ("赢单", 100, "won"), ("输单", 0, "lost")]


def forwards(apps, schema_editor):
    Tenant = apps.get_model("tenancy", "Tenant")
    Stage = apps.get_model("sales", "Stage")
    for tenant in Tenant.objects.all():
        if not Stage.objects.filter(tenant=tenant).exists():
            Stage.objects.bulk_create([Stage(tenant=tenant, name=n, probability=p, kind=k, order=i)
                                       for i, (n, p, k) in enumerate(STAGES, start=1)])


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial"), ("tenancy", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
