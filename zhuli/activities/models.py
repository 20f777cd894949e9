from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhuli.customers.models import Contact, Customer
from zhuli.preferences.models import DictionaryItem
from zhuli.sales.models import Opportunity
from zhuli.tenancy.models import TenantModel


class FollowUp(TenantModel):
    """行动记录: what was done with a customer, when, by whom."""

    customer = models.ForeignKey(Customer, db_index=False, on_delete=models.CASCADE, related_name="followups", verbose_name=_("客户"))
    contact = models.ForeignKey(Contact, null=True, blank=True, db_index=False, on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("联系人"))
    # Logged against an opportunity it shows on both the opportunity and its customer.
    opportunity = models.ForeignKey(Opportunity, null=True, blank=True, db_index=False, on_delete=models.SET_NULL,
                                    related_name="followups", verbose_name=_("销售机会"))
    type = models.ForeignKey(DictionaryItem, null=True, blank=True, db_index=False, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("跟进方式"))
    occurred_at = models.DateTimeField(_("跟进时间"))
    content = models.TextField(_("跟进内容"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, db_index=False, on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("跟进人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("跟进记录")
        verbose_name_plural = _("跟进记录")
        indexes = [
            models.Index(fields=["tenant", "customer", "occurred_at"], name="activities_fu_customer"),
            models.Index(fields=["tenant", "owner", "occurred_at"], name="activities_fu_owner"),
            models.Index(fields=["tenant", "occurred_at", "id"], name="activities_fu_time"),
            models.Index(fields=["tenant", "opportunity", "occurred_at"], name="activities_fu_opportunity",
                         condition=models.Q(opportunity__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.occurred_at:%Y-%m-%d}"


class Todo(TenantModel):
    """A planned follow-up: the customer's next follow-up is the earliest open one."""

    customer = models.ForeignKey(Customer, db_index=False, on_delete=models.CASCADE, related_name="todos", verbose_name=_("客户"))
    due_at = models.DateTimeField(_("计划时间"))
    content = models.CharField(_("待办事项"), max_length=500, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, db_index=False, on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("负责人"))
    source = models.ForeignKey(FollowUp, null=True, blank=True, db_index=False, on_delete=models.SET_NULL, related_name="planned",
                               verbose_name=_("来自跟进"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = models.ForeignKey(FollowUp, null=True, blank=True, db_index=False, on_delete=models.SET_NULL, related_name="completed",
                                verbose_name=_("完成于跟进"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("待办")
        verbose_name_plural = _("待办")
        indexes = [
            models.Index(fields=["tenant", "owner", "done_at", "due_at"], name="activities_todo_owner"),
            models.Index(fields=["tenant", "customer", "done_at", "due_at"], name="activities_todo_customer"),
        ]

    @property
    def is_open(self) -> bool:
        return self.done_at is None
