from __future__ import annotations

from zhuli.tenancy.context import require_tenant

from .models import DEFAULT_STAGES, Stage


def stages_install_defaults(**_ignored) -> None:
    """A new tenant's pipeline: 初步接洽 10% → 需求确认 30% → 方案报价 60% → 商务谈判 80% → 赢单 / 输单."""
    if Stage.objects.exists():
        return
    tenant = require_tenant()
    Stage.objects.bulk_create([Stage(tenant=tenant, name=str(name), probability=p, kind=kind, order=i)
                               for i, (name, p, kind) in enumerate(DEFAULT_STAGES, start=1)])
