from django.db import models
from django.utils.translation import gettext_lazy as _

from zhuli.tenancy.models import TenantModel

from .roles import Role, Scope


class RolePermission(TenantModel):
    """One cell row of the permission matrix: role × module → scope and actions."""

    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    module = models.CharField(_("模块"), max_length=40)
    scope = models.CharField(_("数据范围"), max_length=30, choices=Scope.choices)
    can_view = models.BooleanField(_("查看"), default=False)
    can_create = models.BooleanField(_("新建"), default=False)
    can_edit = models.BooleanField(_("编辑"), default=False)
    can_delete = models.BooleanField(_("删除"), default=False)
    can_export = models.BooleanField(_("导出"), default=False)
    can_transfer = models.BooleanField(_("转移"), default=False)

    class Meta:
        verbose_name = _("权限")
        verbose_name_plural = _("权限矩阵")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "role", "module"], name="access_rolepermission_unique")
        ]

    def actions(self) -> frozenset[str]:
        return frozenset(a for a in ("view", "create", "edit", "delete", "export", "transfer") if getattr(self, f"can_{a}"))
