from django.contrib.auth.backends import BaseBackend

from .models import User


def find_user_by_login(login: str) -> User | None:
    login = (login or "").strip()
    if not login:
        return None
    if "@" in login:
        return User.objects.select_related("tenant").filter(email__iexact=login).first()
    return User.objects.select_related("tenant").filter(mobile=login).first()


class LoginBackend(BaseBackend):
    """Email or mobile + password; users who left (离职) and suspended tenants cannot log in."""

    def authenticate(self, request, username=None, password=None, login=None, **kwargs):
        user = find_user_by_login(login or username or kwargs.get("email") or "")
        if user is None:
            User().set_password(password)  # same work as a real check, so timing says nothing
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def user_can_authenticate(self, user) -> bool:
        if not user.is_active:
            return False
        return user.tenant is None or user.tenant.status != "suspended"

    def get_user(self, user_id):
        user = User.objects.select_related("tenant", "department").filter(pk=user_id).first()
        return user if user and self.user_can_authenticate(user) else None
