"""Loads GB/T 2260 regions from zhuli/core/data/regions.json (see its README)."""
import json
from pathlib import Path

from django.db import migrations

from zhuli.core.regions_names import short_region_name


def load(apps, schema_editor):
    Region = apps.get_model("core", "Region")
    rows = json.loads((Path(__file__).resolve().parent.parent / "data" / "regions.json").read_text("utf-8"))
    Region.objects.bulk_create(
        [Region(code=c, name=n, short_name=short_region_name(n), parent_id=p, level=lvl) for c, n, p, lvl in rows],
        batch_size=1000,
    )


def unload(apps, schema_editor):
    apps.get_model("core", "Region").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
