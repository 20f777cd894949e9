from django.db import models
from django.utils.translation import gettext_lazy as _

from zhuli.tenancy.models import TenantModel


class DictionaryKind(models.TextChoices):
    SOURCE = "source", _("客户来源")
    INDUSTRY = "industry", _("行业")
    LEVEL = "level", _("客户等级")
    STATUS = "status", _("客户状态")
    CUSTOMER_TYPE = "customer_type", _("客户类型")
    STAFF_SIZE = "staff_size", _("人员规模")
    FOLLOWUP_TYPE = "followup_type", _("跟进方式")
    LOST_REASON = "lost_reason", _("输单原因")
    OPPORTUNITY_TYPE = "opportunity_type", _("机会类型")
    PRODUCT_UNIT = "product_unit", _("产品单位")
    PAYMENT_METHOD = "payment_method", _("回款方式")


class DictionaryItem(TenantModel):
    """A picklist value; deactivated items leave pickers but stay valid on old records."""

    kind = models.CharField(_("字典"), max_length=30, choices=DictionaryKind.choices)
    name = models.CharField(_("名称"), max_length=60)
    code = models.CharField(_("代码"), max_length=20, blank=True)
    order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("字典项")
        verbose_name_plural = _("数据字典")
        ordering = ["kind", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "kind", "name"], name="preferences_dictitem_unique_name")
        ]
        indexes = [models.Index(fields=["tenant", "kind", "order"], name="preferences_dictitem_kind")]

    def __str__(self) -> str:
        return self.name


DEFAULT_DICTIONARIES: dict[str, list[tuple[str, str]]] = {
    DictionaryKind.SOURCE: [
        ("", "电话营销"), ("", "网络推广"), ("", "客户介绍"), ("", "展会"), ("", "广告"),
        ("", "老客户"), ("", "自主开发"), ("", "其他"),
    ],
    # GB/T 4754-2017 sections, so "C 制造业" in an imported file matches by code.
    DictionaryKind.INDUSTRY: [
        ("A", "农、林、牧、渔业"), ("B", "采矿业"), ("C", "制造业"),
        ("D", "电力、热力、燃气及水生产和供应业"), ("E", "建筑业"), ("F", "批发和零售业"),
        ("G", "交通运输、仓储和邮政业"), ("H", "住宿和餐饮业"), ("I", "信息传输、软件和信息技术服务业"),
        ("J", "金融业"), ("K", "房地产业"), ("L", "租赁和商务服务业"), ("M", "科学研究和技术服务业"),
        ("N", "水利、环境和公共设施管理业"), ("O", "居民服务、修理和其他服务业"), ("P", "教育"),
        ("Q", "卫生和社会工作"), ("R", "文化、体育和娱乐业"), ("S", "公共管理、社会保障和社会组织"),
        ("T", "国际组织"),
    ],
    DictionaryKind.LEVEL: [("A", "A 类（重点）"), ("B", "B 类（主要）"), ("C", "C 类（普通）"), ("D", "D 类（一般）")],
    DictionaryKind.STATUS: [
        ("", "潜在客户"), ("", "初步接触"), ("", "持续跟进"), ("", "已成交"), ("", "暂停跟进"), ("", "已流失"),
    ],
    DictionaryKind.CUSTOMER_TYPE: [
        ("", "潜在客户"), ("", "普通客户"), ("", "VIP客户"), ("", "代理商"), ("", "合作伙伴"), ("", "失效客户"),
    ],
    DictionaryKind.STAFF_SIZE: [
        ("", "1-9人"), ("", "10-49人"), ("", "50-99人"), ("", "100-499人"), ("", "500-999人"), ("", "1000人以上"),
    ],
    DictionaryKind.FOLLOWUP_TYPE: [
        ("phone", "电话"), ("visit", "拜访"), ("wechat", "微信"), ("email", "邮件"), ("meeting", "会议"),
        ("other", "其他"),
    ],
    DictionaryKind.PRODUCT_UNIT: [
        ("", "个"), ("", "台"), ("", "套"), ("", "件"), ("", "箱"), ("", "只"), ("", "米"), ("", "千克"),
        ("", "次"), ("", "项"), ("", "人天"), ("", "年"), ("", "月"),
    ],
    DictionaryKind.PAYMENT_METHOD: [
        ("bank", "银行转账"), ("cash", "现金"), ("check", "支票"), ("acceptance", "承兑汇票"), ("alipay", "支付宝"),
        ("wechat", "微信支付"), ("other", "其他"),
    ],
    DictionaryKind.LOST_REASON: [
        ("", "价格太高"), ("", "选择了竞争对手"), ("", "需求取消"), ("", "预算不足"), ("", "产品不满足需求"),
        ("", "联系不上"), ("", "其他"),
    ],
    DictionaryKind.OPPORTUNITY_TYPE: [("", "新客户"), ("", "老客户增购"), ("", "续费"), ("", "渠道合作")],
}
