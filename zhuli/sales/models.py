from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhuli.customers.models import Customer
from zhuli.preferences.models import DictionaryItem
from zhuli.tenancy.models import TenantModel


class StageKind(models.TextChoices):
    OPEN = "open", _("进行中")
    WON = "won", _("赢单")
    LOST = "lost", _("输单")


class Stage(TenantModel):
    """A step of the pipeline; its probability is what an opportunity entering it takes."""

    name = models.CharField(_("阶段名称"), max_length=40)
    probability = models.PositiveSmallIntegerField(_("赢率（%）"))
    kind = models.CharField(_("阶段类型"), max_length=8, choices=StageKind.choices, default=StageKind.OPEN)
    order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("销售阶段")
        verbose_name_plural = _("销售阶段")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="sales_stage_unique_name"),
            models.CheckConstraint(condition=Q(probability__lte=100), name="sales_stage_probability_range"),
        ]
        indexes = [models.Index(fields=["tenant", "order"], name="sales_stage_order")]

    def __str__(self) -> str:
        return self.name


DEFAULT_STAGES = [
    ("初步接洽", 10, StageKind.OPEN), ("需求确认", 30, StageKind.OPEN), ("方案报价", 60, StageKind.OPEN),
    ("商务谈判", 80, StageKind.OPEN), ("赢单", 100, StageKind.WON), ("输单", 0, StageKind.LOST),
]


class OpportunityStatus(models.TextChoices):
    TRACKING = "tracking", _("跟踪")
    WON = "won", _("赢单")
    LOST = "lost", _("输单")
    ON_HOLD = "on_hold", _("搁置")
    INVALID = "invalid", pgettext_lazy("opportunity status", "失效")


CLOSED_STATUSES = (OpportunityStatus.WON, OpportunityStatus.LOST)

# Allowed status changes (statuses as data; services and templates use the predicates below).
# Won and lost go back to tracking only by moving the opportunity to an open stage (reopen);
# an invalid opportunity is revived to tracking before it moves again.
STATUS_TRANSITIONS = {
    OpportunityStatus.TRACKING: {OpportunityStatus.WON, OpportunityStatus.LOST, OpportunityStatus.ON_HOLD,
                                 OpportunityStatus.INVALID},
    OpportunityStatus.ON_HOLD: {OpportunityStatus.TRACKING, OpportunityStatus.WON, OpportunityStatus.LOST,
                                OpportunityStatus.INVALID},
    OpportunityStatus.INVALID: {OpportunityStatus.TRACKING},
    OpportunityStatus.WON: {OpportunityStatus.TRACKING},
    OpportunityStatus.LOST: {OpportunityStatus.TRACKING},
}


def status_can_become(current: str, target: str) -> bool:
    return current == target or target in STATUS_TRANSITIONS.get(current, set())


def status_can_move(current: str) -> bool:
    """Stage moves are refused for invalid opportunities (revive them first)."""
    return current != OpportunityStatus.INVALID


def _dict_fk(label):
    return models.ForeignKey(DictionaryItem, null=True, blank=True, db_index=False, on_delete=models.PROTECT,
                             related_name="+", verbose_name=label)


class Opportunity(TenantModel):
    """销售机会: a deal being worked on with one customer, moving through the stages.

    Probability rule (every path: create, edit, mass update, move, win/lose, import, API): the probability
    is the stage's; whenever the stage changes, probability becomes the new stage's; a hand-set probability
    (0–100) is kept until the next stage change (one sent together with a stage change is applied after it);
    won = 100, lost = 0 always. Changing a stage's probability in Settings does not rewrite opportunities.

    Ownership follows the customer: created only on an owned customer; when the customer changes owner its
    open (tracking / on_hold) opportunities of the previous owner follow the new one (closed ones keep theirs);
    when it goes to the pool the open ones become invalid, owner kept (services.opportunities_follow_customer_owner).
    """

    customer = models.ForeignKey(Customer, db_index=False, on_delete=models.CASCADE, related_name="opportunities",
                                 verbose_name=_("客户"))
    title = models.CharField(_("机会名称"), max_length=200)
    stage = models.ForeignKey(Stage, db_index=False, on_delete=models.PROTECT, related_name="+", verbose_name=_("阶段"))
    probability = models.PositiveSmallIntegerField(_("赢率（%）"))
    amount = models.DecimalField(_("预计金额"), max_digits=14, decimal_places=2, default=0)
    close_date = models.DateField(_("预计成交日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=OpportunityStatus.choices,
                              default=OpportunityStatus.TRACKING)
    lost_reason = _dict_fk(_("输单原因"))
    source = _dict_fk(_("机会来源"))
    category = _dict_fk(_("机会类型"))
    competitors = models.CharField(_("竞争对手"), max_length=300, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, db_index=False, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("负责人"))
    remarks = models.TextField(_("备注"), blank=True)
    stage_entered_at = models.DateTimeField(_("进入当前阶段"))
    last_followup_at = models.DateTimeField(_("最近跟进"), null=True, blank=True)
    closed_at = models.DateTimeField(_("赢单/输单时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, db_index=False,
                                   on_delete=models.SET_NULL, related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    # Title + customer name with pinyin, rebuilt by the services (see zhuli.core.text).
    search_text = models.TextField(blank=True, editable=False)

    class Meta:
        verbose_name = _("销售机会")
        verbose_name_plural = _("销售机会")
        constraints = [
            models.CheckConstraint(condition=Q(probability__lte=100), name="sales_opportunity_probability_range"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="sales_opportunity_amount_positive"),
        ]
        indexes = [
            # Covering (PostgreSQL): the board's and funnel's per-stage totals read the index alone.
            models.Index(fields=["tenant", "status", "stage", "probability"], include=["amount", "owner", "id"],
                         name="sales_opp_board_totals"),
            # Covering too: one salesperson's (or a team's) column totals read the index alone.
            models.Index(fields=["tenant", "owner", "status", "close_date"], include=["stage", "probability", "amount", "id"],
                         name="sales_opp_owner"),
            models.Index(fields=["tenant", "customer"], name="sales_opp_customer"),
            models.Index(fields=["tenant", "close_date", "id"], name="sales_opp_close"),
            # The board's cards (board.card_order): each column is one range of one of these.
            models.Index(fields=["tenant", "stage", "status", "close_date", "id"], name="sales_opp_stage_close"),
            models.Index(fields=["tenant", "stage", "closed_at", "id"], include=["owner", "probability", "amount"],
                         name="sales_opp_stage_closed"),
            models.Index(fields=["tenant", "closed_at"], name="sales_opp_closed"),
            models.Index(fields=["tenant", "created_at"], name="sales_opp_created"),
        ]

    def __str__(self) -> str:
        return self.title

    # Predicates for templates and services (see STATUS_TRANSITIONS).
    @property
    def can_win(self) -> bool:
        return self.status != OpportunityStatus.WON and status_can_become(self.status, OpportunityStatus.WON)

    @property
    def can_lose(self) -> bool:
        return self.status != OpportunityStatus.LOST and status_can_become(self.status, OpportunityStatus.LOST)

    @property
    def can_hold(self) -> bool:
        return self.status != OpportunityStatus.ON_HOLD and status_can_become(self.status, OpportunityStatus.ON_HOLD)

    @property
    def can_invalidate(self) -> bool:
        return self.status != OpportunityStatus.INVALID and status_can_become(self.status, OpportunityStatus.INVALID)

    @property
    def can_resume(self) -> bool:
        """Back to tracking without a stage move (from on hold or invalid)."""
        return self.status in (OpportunityStatus.ON_HOLD, OpportunityStatus.INVALID)

    @property
    def can_move(self) -> bool:
        return status_can_move(self.status)

    @property
    def weighted_amount(self):
        """amount × probability, ROUND_HALF_UP to the cent (zhuli.core.money.weighted_amount, as everywhere)."""
        from zhuli.core.money import weighted_amount

        return weighted_amount(self.amount, self.probability)


class StageChange(TenantModel):
    """Stage history: every move of an opportunity, with who, when and how long it sat before."""

    opportunity = models.ForeignKey(Opportunity, db_index=False, on_delete=models.CASCADE, related_name="stage_changes",
                                    verbose_name=_("销售机会"))
    from_stage = models.ForeignKey(Stage, null=True, blank=True, db_index=False, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("原阶段"))
    to_stage = models.ForeignKey(Stage, db_index=False, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("新阶段"))
    from_probability = models.PositiveSmallIntegerField(_("原赢率"), null=True, blank=True)
    to_probability = models.PositiveSmallIntegerField(_("新赢率"))
    note = models.CharField(_("阶段说明"), max_length=500, blank=True)
    seconds_in_previous = models.PositiveBigIntegerField(_("在原阶段停留（秒）"), null=True, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, db_index=False,
                                   on_delete=models.SET_NULL, related_name="+", verbose_name=_("操作人"))
    changed_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("阶段变更")
        verbose_name_plural = _("阶段历史")
        indexes = [models.Index(fields=["tenant", "opportunity", "changed_at"], name="sales_stagechg_opp")]
