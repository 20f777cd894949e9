"""Reads: the onboarding state, the checklist judged from real data, norms and policies."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from zhuli.access.actor import Actor
from zhuli.access.scoping import get_visible_or_404, visible
from zhuli.accounts.models import User
from zhuli.core.registry import import_resources
from zhuli.customers.models import Customer

from .models import Document, DocumentKind, DocumentStatus, ManualTick, OnboardingState

# The guide's data-preparation step: import templates of these resources, where their importer exists.
DATA_RESOURCES = ("customers", "contacts", "products")


def onboarding_state(*, actor: Actor) -> OnboardingState | None:
    return visible(OnboardingState, actor).first()


def document_list(*, actor: Actor, kind: str = "") -> QuerySet:
    qs = visible(Document, actor).select_related("published_by")
    if kind in DocumentKind.values:
        qs = qs.filter(kind=kind)
    return qs.order_by("kind", "-status", "-published_at", "-id")


def document_get(*, actor: Actor, document_id) -> Document:
    return get_visible_or_404(Document, actor, document_id, queryset=visible(Document, actor).select_related(
        "published_by", "created_by"))


def import_templates(*, actor: Actor) -> list[dict]:
    """The data-preparation downloads the actor may use: only resources whose importer is registered."""
    out = []
    for key in DATA_RESOURCES:
        resource = import_resources.get(key)
        if resource is None:
            continue
        module, _sep, action = resource.permission.partition(".")
        if not actor.can(module, action or "view"):
            continue
        try:
            url = reverse("imports:template", args=[key])
        except NoReverseMatch:
            continue
        out.append({"key": key, "label": resource.label, "template_url": url,
                    "upload_url": reverse("imports:upload") + f"?resource={key}"})
    return out


@dataclass
class ChecklistItem:
    key: str
    title: object
    description: object
    done: bool
    url: str = ""
    link_label: object = ""
    manual: bool = False  # may be ticked by hand (nothing in the data proves it)
    ticked: bool = False  # ticked by hand, so it may be unticked
    extra: list = field(default_factory=list)


@dataclass
class Checklist:
    items: list[ChecklistItem]
    state: OnboardingState | None

    @property
    def done_count(self) -> int:
        return sum(1 for i in self.items if i.done)

    @property
    def all_done(self) -> bool:
        return self.done_count == len(self.items)

    @property
    def percent(self) -> int:
        return round(100 * self.done_count / len(self.items)) if self.items else 100

    @property
    def pending(self) -> list[ChecklistItem]:
        return [i for i in self.items if not i.done]


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def checklist(*, actor: Actor) -> Checklist:
    """The guide's steps, each judged from the company's data (4 queries, whatever its size)."""
    tenant = actor.tenant
    state = onboarding_state(actor=actor)
    ticks = state.ticks if state else {}
    # Facts about the company as a whole, not the viewer's data scope: only yes / no is shown.
    company = Actor.system_for(tenant)
    users = visible(User, company).filter(is_active=True).count()
    has_customers = visible(Customer, company).exists()
    published = set(visible(Document, company).filter(status=DocumentStatus.PUBLISHED)
                    .values_list("kind", flat=True).distinct())
    templates = import_templates(actor=actor)

    def admin_url(name: str) -> str:
        return _url(name) if actor.is_admin else ""  # settings pages refuse everyone else

    items = [
        ChecklistItem("setup", _("完成初始设置"), _("选择客户类型、合同或订单、跟踪方式和是否启用库存。"),
                      bool(state and state.completed_at), admin_url("onboarding:setup"),
                      _("修改设置") if state and state.completed_at else _("继续设置")),
        ChecklistItem("logo", _("上传公司标志"), _("标志显示在左上角，让同事一眼认出这是自己公司的系统。"),
                      bool(tenant.logo), admin_url("preferences:company"), _("公司资料")),
        ChecklistItem("users", _("创建用户"), _("为老板、经理、销售等同事开通帐号，并放入对应的部门。"),
                      users > 1, admin_url("accounts:user_list"), _("用户管理")),
        ChecklistItem("training", _("培训同事"), _("和大家一起看一遍帮助中心：每个模块做什么、每天怎么用。"),
                      bool(ticks.get(ManualTick.TRAINING)), _url("onboarding:help"), _("打开帮助中心"), manual=True,
                      ticked=bool(ticks.get(ManualTick.TRAINING))),
        ChecklistItem("norms", _("制定操作规范"), _("例如“每次拜访当天记录跟进”。从模板开始修改，发布后全员可见。"),
                      DocumentKind.NORM in published, _url("onboarding:norms"), _("编写规范")),
        ChecklistItem("policies", _("配套制度"), _("考核、奖惩等制度，让规范真正执行。可在系统里发布，也可以线下制定后勾选。"),
                      DocumentKind.POLICY in published or bool(ticks.get(ManualTick.POLICIES)),
                      _url("onboarding:norms") + "?kind=policy", _("编写制度"), manual=True,
                      ticked=bool(ticks.get(ManualTick.POLICIES))),
        ChecklistItem("data", _("准备数据"), _("下载导入模板（含示例行），整理现有的客户、联系人和产品后导入。"),
                      has_customers, _url("imports:upload"), _("导入数据"), extra=templates),
    ]
    return Checklist(items=items, state=state)
