"""Actor: what is loaded with the user is not read again."""
import pytest

from zhuli.access.actor import Actor
from zhuli.accounts.models import User

pytestmark = pytest.mark.django_db


def test_department_path_comes_with_a_user_loaded_with_its_department(org, django_assert_num_queries):
    user = User.objects.select_related("tenant", "department").get(pk=org["manager1"].pk)
    actor, expected = Actor.for_user(user), org.department("销售一部").path
    with django_assert_num_queries(0):
        assert actor.department_path == expected


def test_department_path_is_read_when_the_user_came_without_it(org, django_assert_num_queries):
    user = User.objects.select_related("tenant").get(pk=org["manager1"].pk)
    actor, expected = Actor.for_user(user), org.department("销售一部").path
    with django_assert_num_queries(1):
        assert actor.department_path == expected
