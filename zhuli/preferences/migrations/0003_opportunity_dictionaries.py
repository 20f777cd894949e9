"""Existing tenants get the two dictionaries the opportunities bring (lost reasons, opportunity types)."""
from django.db import migrations

VALUES = {
    "lost_reason": ["价格太高", "选择了竞争对手", "需求取消", "预算不足", "产品不满足需求", "联系不上", "其他"],
    "opportunity_type": ["新客户", "老客户增购", "续费", "渠道合作"],
}


def forwards(apps, schema_editor):
    Tenant = apps.get_model("tenancy", "Tenant")
    DictionaryItem = apps.get_model("preferences", "DictionaryItem")
    for tenant in Tenant.objects.all():
        DictionaryItem.objects.bulk_create(
            [DictionaryItem(tenant=tenant, kind=kind, name=name, order=i)
             for kind, names in VALUES.items() for i, name in enumerate(names, start=1)],
            ignore_conflicts=True,
        )


class Migration(migrations.Migration):
    dependencies = [("preferences", "0002_alter_dictionaryitem_kind"), ("tenancy", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
