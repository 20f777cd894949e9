"""Existing tenants get the two dictionaries deals bring (product units, payment methods)."""
from django.db import migrations

VALUES = {
    "product_unit": [("", n) for n in ["个", "台", "套", "件", "箱", "只", "米", "千克", "次", "项", "人天", "年", "月"]],
    "payment_method": [("bank", "银行转账"), ("cash", "现金"), ("check", "支票"), ("acceptance", "承兑汇票"),
                       ("alipay", "支付宝"), ("wechat", "微信支付"), ("other", "其他")],
}


def forwards(apps, schema_editor):
    Tenant = apps.get_model("tenancy", "Tenant")
    DictionaryItem = apps.get_model("preferences", "DictionaryItem")
    for tenant in Tenant.objects.all():
        DictionaryItem.objects.bulk_create(
            [DictionaryItem(tenant=tenant, kind=kind, code=code, name=name, order=i)
             for kind, values in VALUES.items() for i, (code, name) in enumerate(values, start=1)],
            ignore_conflicts=True,
        )


class Migration(migrations.Migration):
    dependencies = [("preferences", "0003_opportunity_dictionaries"), ("tenancy", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
