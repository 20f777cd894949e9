"""A small approval engine: rules per document type decide which steps (roles, in order) a submitted document
needs; a request walks the steps, each approve / reject recorded with a comment. Documents plug in through
`zhuli.approvals.registry` (doc types: contract, order, invoice)."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhuli.tenancy.models import TenantModel


class StepRole(models.TextChoices):
    """Who approves a step. manager: active managers and directors whose department tree holds the
    submitter's (current) department; boss: any boss; finance: any finance. The admin flag never counts."""

    MANAGER = "manager", _("部门主管")
    BOSS = "boss", _("老板")
    FINANCE = "finance", _("财务")


class ApprovalRule(TenantModel):
    """When a document of `doc_type` needs approval: amount ≥ min_amount and/or max discount > min_discount
    (both empty: always). `steps` is the ordered list of approver roles, e.g. ["manager", "boss"]."""

    doc_type = models.CharField(_("单据类型"), max_length=20)
    name = models.CharField(_("规则名称"), max_length=60)
    min_amount = models.DecimalField(_("金额达到"), max_digits=16, decimal_places=2, null=True, blank=True)
    min_discount = models.DecimalField(_("折扣超过（%）"), max_digits=5, decimal_places=2, null=True, blank=True)
    steps = models.JSONField(_("审批步骤"), default=list)
    is_active = models.BooleanField(_("启用"), default=True)
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("审批规则")
        verbose_name_plural = _("审批规则")
        indexes = [models.Index(fields=["tenant", "doc_type", "order"], name="approvals_rule_doc_type")]

    def __str__(self) -> str:
        return self.name


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("审批中")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤回")


class ApprovalRequest(TenantModel):
    doc_type = models.CharField(_("单据类型"), max_length=20)
    object_id = models.BigIntegerField(_("单据编号"))
    object_label = models.CharField(_("单据"), max_length=200)
    rule = models.ForeignKey(ApprovalRule, null=True, blank=True, db_index=False, on_delete=models.SET_NULL,
                             related_name="+", verbose_name=_("审批规则"))
    steps = models.JSONField(_("审批步骤"), default=list)  # the rule's steps when submitted
    current_step = models.PositiveSmallIntegerField(_("当前步骤"), default=0)
    # steps[current_step] while pending, "" once finished: "waiting for me" is then one indexed filter.
    current_role = models.CharField(_("当前审批角色"), max_length=20, blank=True)
    # The document's amount when submitted (base currency), for lists and the workbench.
    amount = models.DecimalField(_("金额"), max_digits=16, decimal_places=2, null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=ApprovalStatus.choices,
                              default=ApprovalStatus.PENDING)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, db_index=False, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("提交人"))
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("审批")
        verbose_name_plural = _("审批")
        indexes = [
            models.Index(fields=["tenant", "doc_type", "object_id"], name="approvals_request_object"),
            models.Index(fields=["tenant", "status", "submitted_at"], name="approvals_request_status"),
            models.Index(fields=["tenant", "status", "current_role"], name="approvals_request_waiting"),
            models.Index(fields=["tenant", "submitted_by"], name="approvals_request_submitter"),
        ]

    def __str__(self) -> str:
        return self.object_label


class ApprovalDecision(TenantModel):
    class Decision(models.TextChoices):
        APPROVE = "approve", _("同意")
        REJECT = "reject", _("驳回")

    request = models.ForeignKey(ApprovalRequest, db_index=False, on_delete=models.CASCADE, related_name="decisions",
                                verbose_name=_("审批"))
    step = models.PositiveSmallIntegerField(_("步骤"))
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, db_index=False, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("审批人"))
    decision = models.CharField(_("意见"), max_length=10, choices=Decision.choices)
    comment = models.CharField(_("审批意见"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("审批记录")
        verbose_name_plural = _("审批记录")
        indexes = [models.Index(fields=["tenant", "request", "step"], name="approvals_decision_request")]
