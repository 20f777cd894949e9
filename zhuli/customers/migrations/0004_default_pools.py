"""Every existing tenant gets its default pool (公海) with the default auto-return rule; customers without
an owner move into it, owned ones start their ownership clock at their creation."""
from django.db import migrations
from django.db.models import F

DEFAULT_POOL_NAME = "公海"
DEFAULT_NO_FOLLOWUP_DAYS = 30
DEFAULT_NO_DEAL_DAYS = 180


def forwards(apps, schema_editor):
    Tenant = apps.get_model("tenancy", "Tenant")
    Pool = apps.get_model("customers", "Pool")
    PoolRule = apps.get_model("customers", "PoolRule")
    Customer = apps.get_model("customers", "Customer")
    for tenant in Tenant.objects.all():
        pool = Pool.objects.filter(tenant=tenant, is_default=True).first()
        if pool is None:
            pool = Pool.objects.create(tenant=tenant, name=DEFAULT_POOL_NAME, is_default=True)
            PoolRule.objects.create(tenant=tenant, pool=pool, no_followup_days=DEFAULT_NO_FOLLOWUP_DAYS,
                                    no_deal_days=DEFAULT_NO_DEAL_DAYS)
        Customer.objects.filter(tenant=tenant, owner__isnull=True, pool__isnull=True).update(pool=pool, pooled_at=F("updated_at"))
        Customer.objects.filter(tenant=tenant, owner__isnull=False, owned_since__isnull=True).update(owned_since=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_pools"), ("tenancy", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
