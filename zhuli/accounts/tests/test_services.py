"""Services added for the web UI."""
import pytest

from zhuli.accounts.services import user_language_set
from zhuli.core.errors import InvalidInput

pytestmark = pytest.mark.django_db


def test_user_language_set(org):
    user = org["sales1"]
    user_language_set(user=user, language="en")
    user.refresh_from_db()
    assert user.language == "en"
    with pytest.raises(InvalidInput):
        user_language_set(user=user, language="klingon")
