import pytest

from zhuli.sales.models import Stage
from zhuli.sales.services import stages_ensure


@pytest.fixture
def stages(org):
    """The tenant's stages by name (the defaults: 初步接洽 … 赢单, 输单)."""
    stages_ensure()
    return {s.name: s for s in Stage.objects.all()}
