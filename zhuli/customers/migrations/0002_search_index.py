"""PostgreSQL only: a GIN index over (tenant, character bigrams) so 2-character Chinese searches
use an index (DESIGN §7). btree_gin lets the tenant lead the index (DESIGN §4 rule 1)."""
from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS customers_search_bigrams ON customers_customer "
        "USING gin (tenant_id, search_bigrams)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS customers_search_bigrams")


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
