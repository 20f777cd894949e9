from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhuli.tenancy.models import TenantModel


class ProductKind(models.TextChoices):
    SERVICE = "service", _("服务")
    PHYSICAL = "physical", _("实物")


class ProductCategory(TenantModel):
    """A node of the product category tree; `path` ("/1/4/") makes subtree queries one indexed LIKE."""

    name = models.CharField(_("分类名称"), max_length=60)
    parent = models.ForeignKey("self", null=True, blank=True, db_index=False, on_delete=models.PROTECT,
                               related_name="children", verbose_name=_("上级分类"))
    path = models.CharField(_("路径"), max_length=500, blank=True)
    depth = models.PositiveSmallIntegerField(_("层级"), default=0)
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("产品分类")
        verbose_name_plural = _("产品分类")
        indexes = [models.Index(fields=["tenant", "path"], name="catalog_category_path")]

    def __str__(self) -> str:
        return self.name


class Product(TenantModel):
    """A catalogue item; contracts sell services, orders sell physical products."""

    code = models.CharField(_("产品编码"), max_length=40)
    name = models.CharField(_("产品名称"), max_length=200)
    specification = models.CharField(_("规格型号"), max_length=200, blank=True)
    category = models.ForeignKey(ProductCategory, null=True, blank=True, db_index=False, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("产品分类"))
    unit = models.ForeignKey("preferences.DictionaryItem", null=True, blank=True, db_index=False,
                             on_delete=models.PROTECT, related_name="+", verbose_name=_("单位"))
    kind = models.CharField(_("产品类型"), max_length=10, choices=ProductKind.choices, default=ProductKind.PHYSICAL)
    list_price = models.DecimalField(_("标准价格"), max_digits=14, decimal_places=2, default=0)
    cost = models.DecimalField(_("成本价"), max_digits=14, decimal_places=2, null=True, blank=True)
    tax_rate = models.DecimalField(_("税率（%）"), max_digits=5, decimal_places=2, default=13)
    is_active = models.BooleanField(_("启用"), default=True)
    description = models.TextField(_("产品说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, db_index=False,
                                   on_delete=models.SET_NULL, related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    # name + code + specification + pinyin (full and initials), rebuilt by the services (zhuli.core.text).
    search_text = models.TextField(blank=True, editable=False)

    class Meta:
        verbose_name = _("产品")
        verbose_name_plural = _("产品")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="catalog_product_code"),
            models.CheckConstraint(condition=models.Q(list_price__gte=0), name="catalog_product_price_not_negative"),
        ]
        indexes = [
            models.Index(fields=["tenant", "is_active", "name"], name="catalog_product_active_name"),
            models.Index(fields=["tenant", "category"], name="catalog_product_category"),
        ]

    def __str__(self) -> str:
        return self.name
