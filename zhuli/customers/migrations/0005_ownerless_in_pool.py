from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_default_pools")]
    operations = [
        migrations.AddConstraint(
            model_name="customer",
            constraint=models.CheckConstraint(
                condition=models.Q(("owner__isnull", False), ("pool__isnull", False), _connector="OR"),
                name="customers_ownerless_in_pool",
            ),
        ),
    ]
