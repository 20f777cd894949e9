from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    BOSS = "boss", _("老板")
    DIRECTOR = "director", _("总监")
    MANAGER = "manager", _("经理")
    SALES = "sales", _("销售")
    ASSISTANT = "assistant", _("助理")
    SERVICE = "service", _("客服")
    FINANCE = "finance", _("财务")
    KEEPER = "keeper", _("库管")


class Scope(models.TextChoices):
    OWN = "own", _("本人")
    OWN_AND_SUBORDINATES = "own_and_subordinates", _("本人及下属")
    DEPARTMENT = "department", _("本部门")
    DEPARTMENT_TREE = "department_tree", _("本部门及下级部门")
    ALL = "all", _("全部")


class Action(models.TextChoices):
    VIEW = "view", _("查看")
    CREATE = "create", _("新建")
    EDIT = "edit", _("编辑")
    DELETE = "delete", _("删除")
    EXPORT = "export", _("导出")
    TRANSFER = "transfer", _("转移")


# Who counts as a subordinate of whom inside one department tree.
RANK = {Role.BOSS: 4, Role.DIRECTOR: 3, Role.MANAGER: 2}
MANAGING_ROLES = (Role.BOSS, Role.DIRECTOR, Role.MANAGER)
