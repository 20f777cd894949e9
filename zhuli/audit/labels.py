"""Chinese names for what the services write into the audit log: action codes, their groups (the viewer's
filter), target types and the field names inside `changes`.

Action codes are `entity.verb` (customer.transfer, export.customers, login.failed). A code missing from
ACTIONS is named from its parts (ENTITIES × VERBS), so a module landing later reads sensibly before anyone
adds it here; the raw code is the last resort.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhuli.tenancy.models import TenantKind, TenantStatus

ACTIONS = {
    "login": _("登录"),
    "login.failed": _("登录失败"),
    "user.create": _("添加用户"),
    "user.update": _("修改用户"),
    "user.deactivate": _("设为离职"),
    "user.activate": _("恢复在职"),
    "user.delete": _("删除用户"),
    "user.transfer_records": _("批量转移数据"),
    "user.password_change": _("修改密码"),
    "token.create": _("创建 API 令牌"),
    "token.revoke": _("作废 API 令牌"),
    "permission.set": _("修改权限"),
    "permission.reset": _("恢复默认权限"),
    "department.create": _("新建部门"),
    "department.update": _("修改部门"),
    "department.delete": _("删除部门"),
    "customer.transfer": _("转移客户"),
    "customer.claim": _("领取客户"),
    "customer.assign": _("分配客户"),
    "customer.release": _("放入公海"),
    "customer.auto_return": _("自动退回公海"),
    "customer.signed": _("客户签约"),
    "opportunity.transfer_all": _("批量转移销售机会"),
    "opportunity.follow_customer": _("销售机会随客户转移"),
    "opportunity.move": _("推进阶段"),
    "opportunity.win": _("赢单"),
    "opportunity.lose": _("输单"),
    "opportunity.status": _("修改机会状态"),
    "todo.complete": _("完成待办"),
    "tenant.create": _("开通帐户"),
    "tenant.update": _("修改公司资料"),
    "tenant.features": _("修改功能设置"),
    "tenant.logo_set": _("上传公司标志"),
    "tenant.logo_clear": _("清除公司标志"),
    "tenant.expire": _("试用到期"),
    "tenant.convert": _("转为正式帐户"),
    "tenant.convert_to_formal": _("转为正式帐户"),
    "tenant.extend_trial": _("延长试用"),
    "tenant.trial_extend": _("延长试用"),
    "tenant.set_limits": _("修改用户数上限"),
    "tenant.limits": _("修改用户数上限"),
    "tenant.suspend": _("停用帐户"),
    "tenant.resume": _("恢复帐户"),
    "demo.seed": _("生成演示数据"),
    "demo.reset": _("重置演示数据"),
    "dictionary.reorder": _("调整字典顺序"),
    "stage.reorder": _("调整阶段顺序"),
    "stage.activate": _("启用阶段"),
    "stage.deactivate": _("停用阶段"),
    "pool.rule": _("设置公海规则"),
    "pool.rule_clear": _("清除公海规则"),
    "customer_cap.set": _("设置客户数上限"),
    "customer_cap.delete": _("取消客户数上限"),
    "platform.settings": _("修改平台设置"),
    "platform.login": _("登录平台控制台"),
    "platform.login_failed": _("平台控制台登录失败"),
}

ENTITIES = {
    "customer": _("客户"), "contact": _("联系人"), "followup": _("跟进记录"), "todo": _("待办"),
    "opportunity": _("销售机会"), "stage": _("销售阶段"), "user": _("用户"), "department": pgettext_lazy("heading", "部门"),
    "dictionary": _("数据字典"), "pool": _("公海"), "tenant": _("帐户"), "product": _("产品"), "contract": _("合同"),
    "order": _("订单"), "quote": _("报价单"), "payment": _("回款"), "payment_plan": _("回款计划"), "invoice": _("发票"),
    "approval": _("审批"), "norm": _("工作规范"), "import": _("导入"), "export": _("导出"),
}
VERBS = {
    "create": _("新建"), "update": _("修改"), "delete": _("删除"), "submit": _("提交"), "approve": _("审批通过"),
    "reject": _("驳回"), "cancel": _("作废"), "publish": _("发布"),
}


def action_label(code: str) -> str:
    """The Chinese name of an action code, composed from its parts when it has no entry of its own."""
    if code in ACTIONS:
        return str(ACTIONS[code])
    entity, _sep, verb = code.partition(".")
    if entity in ("import", "export") and verb:
        return f"{ENTITIES[entity]}{entity_label(verb)}"
    if entity in ENTITIES and verb in VERBS:
        return f"{VERBS[verb]}{ENTITIES[entity]}"
    return code


def entity_label(name: str) -> str:
    # Export / import resource keys are plural English (customers, opportunities, audit-events).
    singular = {"opportunities": "opportunity", "audit-events": "audit"}.get(name, name.rstrip("s"))
    if singular == "audit":
        return str(_("操作日志"))
    return str(ENTITIES.get(singular, name))


@dataclass(frozen=True)
class ActionGroup:
    key: str
    label: object
    exact: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()

    def condition(self) -> Q:
        q = Q(action__in=self.exact) if self.exact else Q(pk__in=[])
        for prefix in self.prefixes:
            q |= Q(action__startswith=prefix)
        for suffix in self.suffixes:
            q |= Q(action__endswith=suffix)
        return q


# The filter the issue names (登录 / 登录失败 / 用户与权限 / 转移 / 导出 / 导入 / 删除 / 设置).
GROUPS = [
    ActionGroup("login", _("登录"), exact=("login",)),
    ActionGroup("login_failed", _("登录失败"), exact=("login.failed",)),
    ActionGroup("users", _("用户与权限"), prefixes=("user.", "permission.", "department.", "token.")),
    ActionGroup("transfer", _("转移"), exact=(
        "customer.transfer", "customer.claim", "customer.assign", "customer.release", "customer.auto_return",
        "user.transfer_records", "opportunity.transfer_all", "opportunity.follow_customer")),
    ActionGroup("export", _("导出"), prefixes=("export.",)),
    ActionGroup("import", _("导入"), prefixes=("import.",)),
    ActionGroup("delete", _("删除"), suffixes=(".delete",)),
    ActionGroup("settings", _("设置"), prefixes=(
        "tenant.", "dictionary.", "stage.", "pool.", "customer_cap.", "numbering.", "feature.", "norm.", "demo.")),
]
GROUPS_BY_KEY = {g.key: g for g in GROUPS}

# Target types worth a filter entry (model label_lower → name); any other type is named from its model.
TARGET_TYPES = (
    "customers.customer", "customers.contact", "activities.followup", "sales.opportunity", "accounts.user",
    "accounts.department", "access.rolepermission", "preferences.dictionaryitem", "sales.stage", "customers.pool",
    "imports.importjob", "tenancy.tenant",
)


def target_type_label(label_lower: str) -> str:
    if not label_lower:
        return ""
    try:
        return str(apps.get_model(label_lower)._meta.verbose_name)
    except (LookupError, ValueError):
        return label_lower


def target_type_choices() -> list[tuple[str, str]]:
    return [(t, target_type_label(t)) for t in TARGET_TYPES if target_type_label(t) != t]


# Keys found in `changes`, for the before/after column.
FIELDS = {
    "name": _("名称"), "title": _("标题"), "role": _("角色"), "email": _("邮箱"), "mobile": _("手机"),
    "department": pgettext_lazy("heading", "部门"), "is_admin": _("管理员"), "owner": _("负责人"), "reason": _("原因"),
    "kind": _("类型"), "format": _("格式"), "rows": _("行数"), "filters": _("条件"), "status": _("状态"),
    "stage": _("阶段"), "amount": _("金额"), "probability": _("赢率"), "note": _("备注"), "to": _("接收人"),
    "moved": _("转移数量"), "code": _("代码"), "size": _("规模"), "logo": _("标志"), "tracking_style": _("跟踪方式"),
    "max_users": _("用户数上限"), "max_bosses": _("老板席位上限"), "trial_ends_on": _("试用截止日"),
    "service_ends_on": _("服务截止日"), "days": _("天数"), "limit": _("上限"), "target": _("对象"),
    "fields": _("字段"), "customer": _("客户"), "created": _("新增"), "updated": _("更新"), "skipped": _("跳过"),
    "failed": _("失败"), "user_id": _("用户"), "address": _("地址"), "phone": _("电话"), "website": _("网址"),
    "introduction": _("公司简介"), "time_zone": _("时区"), "module": _("模块"), "scope": _("数据范围"),
    "actions": _("操作"), "trial_days": _("试用天数"), "trial_max_users": _("试用用户数上限"),
    "trial_max_bosses": _("试用老板席位上限"), "grace_days": _("过期后保留天数"),
    "signups_per_ip_per_hour": _("每个 IP 每小时注册上限"), "demo_reset_hours": _("演示帐户重置间隔（小时）"),
    "by": _("操作人"), "ends_on": _("截止日"), "expired_on": _("过期日"),
    "lifecycle": _("生命周期"), "first_signed_on": _("首次签约日期"), "signed_count": _("已签约数"),
}
# Codes stored as values of these keys, in Chinese (the account's kind and status; other codes show as stored).
VALUE_LABELS = {
    "kind": {**dict(TenantKind.choices), "enterprise": _("企业客户"), "individual": _("个人客户"),
             "transfer": _("转移"), "claim": _("领取"), "assign": _("分配"), "release": _("放入公海"),
             "auto_return": _("自动退回公海")},
    "status": {**dict(TenantStatus.choices), "tracking": _("跟踪"), "won": _("赢单"), "lost": _("输单"),
               "on_hold": _("搁置"), "invalid": _("失效")},
    "lifecycle": {"potential": _("潜在"), "signed": _("签约"), "repeat": _("重复购买"), "lapsed": _("失效")},
}
# Keys whose values are user ids, shown as the user's name.
USER_ID_KEYS = ("owner", "user_id")
