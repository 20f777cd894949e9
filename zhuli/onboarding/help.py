"""The in-app help pages (帮助中心): one template per module under templates/onboarding/help/."""
from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class HelpPage:
    slug: str
    title: object
    icon: str
    summary: object

    @property
    def template(self) -> str:
        return f"onboarding/help/{self.slug}.html"


HELP_PAGES = [
    HelpPage("workbench", _("工作台"), "speedometer2", _("每天登录后的第一页：今天要跟进谁、哪些逾期了、本月数字。")),
    HelpPage("customers", _("客户与联系人"), "building", _("企业客户和个人客户、联系人、查重、客户视图。")),
    HelpPage("pool", _("公海"), "water", _("无人负责的客户：领取、分配、放入公海和自动回收。")),
    HelpPage("followups", _("跟进记录"), "chat-dots", _("记录电话、拜访、微信，安排下次跟进。")),
    HelpPage("opportunities", _("销售机会与看板"), "kanban", _("阶段、赢率、预计金额，看板拖动推进。")),
    HelpPage("deals", _("合同与订单"), "file-earmark-text", _("成交后的协议：合同管服务，订单管实物。")),
    HelpPage("payments", _("回款与发票"), "cash-coin", _("回款计划、回款记录、开票和应收。")),
    HelpPage("products", _("产品"), "box-seam", _("产品目录、价格，以及启用库存后的出入库。")),
    HelpPage("imports", _("导入导出"), "upload", _("用 Excel 导入现有数据，导出报表和备份。")),
    HelpPage("settings", _("设置与权限"), "gear", _("公司资料、用户、部门、角色权限和数据字典。")),
    HelpPage("scopes", _("数据范围"), "diagram-3", _("谁能看到谁的数据：本人、本部门、全部……")),
]
_BY_SLUG = {p.slug: p for p in HELP_PAGES}


def help_page(slug: str) -> HelpPage | None:
    return _BY_SLUG.get(slug)
