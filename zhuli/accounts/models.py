from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhuli.access.roles import Role
from zhuli.tenancy.models import Tenant, TenantModel


class Department(TenantModel):
    """A node of the department tree; `path` ("/1/4/9/") makes subtree queries one indexed LIKE."""

    name = models.CharField(_("部门名称"), max_length=60)
    parent = models.ForeignKey(
        "self", null=True, blank=True, db_index=False, on_delete=models.PROTECT, related_name="children",
        verbose_name=_("上级部门"),
    )
    path = models.CharField(_("路径"), max_length=500, blank=True)
    depth = models.PositiveSmallIntegerField(_("层级"), default=0)
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        indexes = [models.Index(fields=["tenant", "path"], name="accounts_dept_tenant_path")]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email=None, password=None, **extra):
        user = self.model(email=self.normalize_email(email) or None, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        """Platform operators (the console), who belong to no tenant."""
        extra.update(is_staff=True, is_superuser=True, name=extra.get("name") or email)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser):
    """Global table (logins are unique across the platform, DESIGN §5); each user belongs to one tenant."""

    tenant = models.ForeignKey(
        Tenant, null=True, blank=True, on_delete=models.CASCADE, related_name="users", verbose_name=_("租户")
    )
    name = models.CharField(_("姓名"), max_length=50)
    email = models.EmailField(_("邮箱"), max_length=254, unique=True, null=True, blank=True)
    mobile = models.CharField(_("手机"), max_length=20, unique=True, null=True, blank=True)
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.SALES)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="members", verbose_name=_("部门")
    )
    is_admin = models.BooleanField(_("管理员"), default=False)
    is_active = models.BooleanField(_("在职"), default=True)
    left_at = models.DateTimeField(_("离职时间"), null=True, blank=True)
    language = models.CharField(_("语言"), max_length=10, blank=True)
    is_staff = models.BooleanField(_("平台运营"), default=False)
    is_superuser = models.BooleanField(_("超级用户"), default=False)
    date_joined = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=Q(email__isnull=False) | Q(mobile__isnull=False), name="accounts_user_has_login"
            )
        ]
        indexes = [models.Index(fields=["tenant", "department"], name="accounts_user_tenant_dept")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """`姓名(已离职)` for users who left, so their old records say so (issue: foundation, part 3)."""
        return self.name if self.is_active else f"{self.name}(已离职)"

    def has_perm(self, perm, obj=None) -> bool:
        return self.is_superuser

    def has_module_perms(self, app_label) -> bool:
        return self.is_superuser


def owner_display(name: str | None, active: bool | None) -> str:
    if name is None:
        return ""
    return name if active else f"{name}(已离职)"


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored. Global table: looked up before a tenant is known."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("用户"))
    name = models.CharField(_("名称"), max_length=60, default="API")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("前缀"), max_length=8)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class TrialSignup(models.Model):
    """The logins that opened a trial, kept even if the boss later changes login: one open trial per
    email / mobile (accounts.signup). Global table: checked before any tenant exists."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("租户"))
    email = models.EmailField(_("邮箱"), max_length=254, null=True, blank=True, db_index=True)
    mobile = models.CharField(_("手机"), max_length=20, null=True, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    created_at = models.DateTimeField(_("注册时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("试用注册")
        verbose_name_plural = _("试用注册")

    def __str__(self) -> str:
        return self.email or self.mobile or ""
