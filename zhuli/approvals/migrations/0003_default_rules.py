"""Companies that existed before approvals get the default rules new companies get (tenant_setup)."""
from decimal import Decimal

from django.db import migrations

DEFAULT_RULES = (
    ("contract", "合同金额 ≥ ¥100,000", Decimal("100000.00"), None, ["manager", "boss"]),
    ("order", "订单折扣超过 20%", None, Decimal("20.00"), ["manager", "boss"]),
    ("invoice", "开票申请金额 ≥ ¥50,000", Decimal("50000.00"), None, ["manager"]),
)


def install(apps, schema_editor):
    Tenant = apps.get_model("tenancy", "Tenant")
    ApprovalRule = apps.get_model("approvals", "ApprovalRule")
    rows = []
    for tenant_id in Tenant.objects.values_list("id", flat=True):
        have = set(ApprovalRule.objects.filter(tenant_id=tenant_id).values_list("doc_type", flat=True))
        rows += [ApprovalRule(tenant_id=tenant_id, doc_type=code, name=name, min_amount=amount, min_discount=discount,
                              steps=steps, order=10)
                 for code, name, amount, discount, steps in DEFAULT_RULES if code not in have]
    ApprovalRule.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0002_waiting_role")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
