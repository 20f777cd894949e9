"""Demo opportunities (issue 3): a year of pipeline on the owned customers, most lost early (初步接洽 /
需求确认), a share won after walking through the stages, the rest open at every stage with close dates
around today. Each move is a StageChange row; the opportunity's stage, probability, stage_entered_at and
closed_at follow its last one, and a won opportunity sets its customer's last_won_at."""
from __future__ import annotations

import calendar
import datetime
import math
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max, OuterRef, Subquery

from zhuli.core import text
from zhuli.core.demo import DemoContext, analyze, chunks, manual_timestamps
from zhuli.core.registry import demo_seeders
from zhuli.customers.models import Customer
from zhuli.preferences.models import DictionaryItem, DictionaryKind
from zhuli.tenancy.unscoped import for_tenant

from .models import Opportunity, OpportunityStatus, Stage, StageChange, StageKind

HISTORY_DAYS = 365
OUTCOMES = [("lost", 44), ("won", 20), ("open", 31), ("on_hold", 3), ("invalid", 2)]
# The last open stage (index in the pipeline) an opportunity reached before it was lost / where it is now.
LOST_AT = [(0, 46), (1, 31), (2, 14), (3, 9)]
OPEN_AT = [(0, 34), (1, 30), (2, 21), (3, 15)]
DWELL_DAYS = [(2, 20), (5, 30), (5, 35), (3, 25)]  # how long opportunities sit in each open stage
CURRENT_DAYS = 45  # open ones entered their stage within this
CLOSE_BUCKETS = [("overdue", 15), ("month", 35), ("quarter", 30), ("later", 20)]
PRODUCTS = [
    ("CRM系统采购", 1.0), ("ERP实施", 1.6), ("办公设备采购", 0.5), ("年度维保服务", 0.4), ("数据中台建设", 2.5),
    ("智能仓储方案", 2.0), ("员工培训服务", 0.3), ("云服务器扩容", 0.8), ("安防监控改造", 1.2), ("网络设备升级", 1.0),
    ("定制开发", 1.4), ("软件许可续费", 0.5), ("门店收银系统", 0.7), ("生产管理系统", 1.8), ("视频会议系统", 0.6),
]
PERSONAL_PRODUCTS = [("年度会员服务", 0.15), ("家庭净水设备", 0.12), ("私人定制方案", 0.3), ("咨询服务套餐", 0.2)]
TITLE_SUFFIXES = [("", 50), ("项目", 30), ("（二期）", 8), ("年度合作", 12)]
COMPETITORS = ["用友", "金蝶", "销售易", "纷享销客", "浪潮", "鼎捷", "华为云", "阿里云", "本地服务商", "神州数码"]
CATEGORY_WEIGHTS = {"新客户": 50, "老客户增购": 25, "续费": 15, "渠道合作": 10}
SOURCE_WEIGHTS = {"电话营销": 18, "网络推广": 20, "客户介绍": 22, "展会": 12, "广告": 5, "老客户": 13, "自主开发": 8, "其他": 2}
LOST_REASON_WEIGHTS = {"价格太高": 26, "选择了竞争对手": 24, "需求取消": 14, "预算不足": 16, "产品不满足需求": 10,
                       "联系不上": 7, "其他": 3}
STAGE_NOTES = {1: ["完成需求调研", "客户确认了需求范围", "拿到需求清单"], 2: ["已发送方案和报价", "提交技术方案", "报价已确认收到"],
               3: ["进入价格谈判", "合同条款沟通中", "客户走内部审批"]}
WON_NOTES = ["客户已签约", "合同盖章回传", "首付款到账"]
REMARKS = ["客户对价格比较敏感", "需要走招标流程", "决策人是总经理", "预算年初已批", "竞争对手报价较低", "客户希望分期付款"]


@dataclass(frozen=True)
class DemoOpportunity:
    """What the follow-up seeder needs to link follow-ups to an opportunity of the same customer."""

    id: int
    created_at: datetime.datetime
    closed_at: datetime.datetime | None


class _Pipeline:
    def __init__(self, ctx: DemoContext):
        self.ctx, self.rng = ctx, ctx.rng
        stages = list(for_tenant(Stage, ctx.tenant).filter(is_active=True).order_by("order", "id"))
        self.open = [s for s in stages if s.kind == StageKind.OPEN]
        self.won = next(s for s in stages if s.kind == StageKind.WON)
        self.lost = next(s for s in stages if s.kind == StageKind.LOST)
        items: dict[str, dict[str, DictionaryItem]] = {}
        for item in for_tenant(DictionaryItem, ctx.tenant).filter(
                kind__in=[DictionaryKind.SOURCE, DictionaryKind.OPPORTUNITY_TYPE, DictionaryKind.LOST_REASON]):
            items.setdefault(item.kind, {})[item.name] = item
        self.sources = self.pairs(items.get(DictionaryKind.SOURCE, {}), SOURCE_WEIGHTS)
        self.categories = self.pairs(items.get(DictionaryKind.OPPORTUNITY_TYPE, {}), CATEGORY_WEIGHTS)
        self.reasons = self.pairs(items.get(DictionaryKind.LOST_REASON, {}), LOST_REASON_WEIGHTS)
        self.day = datetime.timedelta(days=1)
        self.latest = ctx.now - datetime.timedelta(minutes=5)
        today = ctx.today
        self.month_end = today.replace(day=calendar.monthrange(today.year, today.month)[1])
        quarter_month = (today.month - 1) // 3 * 3 + 3
        self.quarter_end = datetime.date(today.year, quarter_month, calendar.monthrange(today.year, quarter_month)[1])

    @staticmethod
    def pairs(items: dict, weights: dict) -> list:
        return [(items[name], w) for name, w in weights.items() if name in items]

    def pick(self, pairs: list):
        return self.ctx.weighted(pairs) if pairs else None

    def path(self, outcome: str) -> list[Stage]:
        """The stages the opportunity went through, in order, ending with where it is now."""
        if outcome == "lost":
            return self.open[:self.ctx.weighted(LOST_AT) + 1] + [self.lost]
        if outcome == "won":
            walked = list(self.open)
            if self.rng.random() < 0.2:  # some skip a step (需求确认 or 方案报价)
                walked.pop(self.rng.choice([1, 2]))
            return walked + [self.won]
        return self.open[:self.ctx.weighted(OPEN_AT) + 1]

    def dwell(self, stage: Stage) -> datetime.timedelta:
        lo, hi = DWELL_DAYS[min(self.open.index(stage), len(DWELL_DAYS) - 1)] if stage in self.open else (1, 5)
        return datetime.timedelta(days=lo + (hi - lo) * self.rng.random() ** 1.5)

    def times(self, path: list[Stage], start: datetime.datetime, closed: bool) -> list[datetime.datetime]:
        """When the opportunity entered each stage of its path: a year back for closed ones, recent moves for
        open ones, inside the customer's history, in office hours, strictly increasing, never in the future."""
        rng, now = self.rng, self.ctx.now
        gaps = [self.dwell(s) for s in path[:-1]]
        if closed:
            end = now - HISTORY_DAYS * self.day * rng.random() ** 1.3
        else:
            end = now - CURRENT_DAYS * self.day * rng.random() ** 1.2
        total = sum(gaps, datetime.timedelta())
        if end - total < start:  # too long for the customer's history: squeeze it in
            if end <= start:
                end = start + (now - start) * rng.uniform(0.3, 1.0)
            factor = (end - start) / total * rng.uniform(0.5, 1.0) if total else 0
            gaps = [g * factor for g in gaps]
            total = sum(gaps, datetime.timedelta())
        moments = [end - total]
        for gap in gaps:
            moments.append(moments[-1] + gap)
        out = []
        for t in moments:
            snapped = self.ctx.work_time(t.astimezone(self.ctx.zone).date())
            if abs(snapped - t) < datetime.timedelta(hours=14):
                t = snapped
            t = min(max(t, start + datetime.timedelta(minutes=1)), self.latest)
            if out and t <= out[-1]:
                t = out[-1] + datetime.timedelta(minutes=rng.randint(5, 90))
            out.append(t)
        if out[-1] > self.latest:  # the nudges ran past now: spread the tail back
            out = [min(t, self.latest - datetime.timedelta(minutes=len(out) - i)) for i, t in enumerate(out)]
        return out

    def close_date(self, created: datetime.datetime) -> datetime.date:
        rng, today = self.rng, self.ctx.today
        bucket = self.ctx.weighted(CLOSE_BUCKETS)
        if bucket == "overdue":
            first = created.astimezone(self.ctx.zone).date()
            return max(first, today - datetime.timedelta(days=rng.randint(1, 30)))
        if bucket == "quarter" and self.month_end == self.quarter_end:
            bucket = "month"  # the last month of a quarter
        if bucket == "month":
            return today + datetime.timedelta(days=rng.randint(0, (self.month_end - today).days))
        if bucket == "quarter":
            return self.month_end + datetime.timedelta(days=rng.randint(1, (self.quarter_end - self.month_end).days))
        return self.quarter_end + datetime.timedelta(days=rng.randint(1, 120))

    def amount(self, weight: float, attention: float) -> Decimal:
        value = self.rng.lognormvariate(math.log(45_000 * weight * (0.6 + attention / 3)), 0.9)
        value = min(max(value, 5_000), 800_000)
        step = 500 if value < 20_000 else 1_000 if value < 100_000 else 5_000 if value < 500_000 else 10_000
        return Decimal(int(round(value / step) * step))

    def title(self, c) -> tuple[str, float]:
        enterprise = c.label != c.name
        product, weight = self.rng.choice(PRODUCTS if enterprise else PERSONAL_PRODUCTS)
        suffix = self.ctx.weighted(TITLE_SUFFIXES) if enterprise else ""
        if suffix == "年度合作":
            product, suffix = f"{self.ctx.today.year}年度{product}", ""
        return f"{c.label}{product}{suffix}"[:200], weight

    def competitors(self, required: bool) -> str:
        if not required and self.rng.random() > 0.3:
            return ""
        return "、".join(self.rng.sample(COMPETITORS, self.rng.choice([1, 1, 2])))

    def build(self, c) -> tuple[Opportunity, list[StageChange]]:
        rng, ctx = self.rng, self.ctx
        outcome = ctx.weighted(OUTCOMES)
        closed = outcome in ("won", "lost")
        path = self.path(outcome)
        start = max(c.created_at, ctx.now - HISTORY_DAYS * self.day)
        moments = self.times(path, start, closed)
        last = moments[-1]
        # Closed before the current owner got the customer: it was the former owner's.
        owner_id = c.owner_id
        if closed and c.former_owner_id and c.owned_since and last < c.owned_since:
            owner_id = c.former_owner_id
        title, weight = self.title(c)
        stage = path[-1]
        status = {"won": OpportunityStatus.WON, "lost": OpportunityStatus.LOST, "open": OpportunityStatus.TRACKING,
                  "on_hold": OpportunityStatus.ON_HOLD, "invalid": OpportunityStatus.INVALID}[outcome]
        reason = self.pick(self.reasons) if outcome == "lost" else None
        updated = last
        if outcome in ("on_hold", "invalid"):
            updated = min(last + (ctx.now - last) * rng.random(), self.latest)
        opp = Opportunity(
            tenant=ctx.tenant, customer_id=c.id, title=title, stage=stage, probability=stage.probability,
            amount=self.amount(weight, c.attention), status=status,
            close_date=last.astimezone(ctx.zone).date() if closed else self.close_date(moments[0]),
            lost_reason=reason, source=self.pick(self.sources), category=self.pick(self.categories),
            competitors=self.competitors(getattr(reason, "name", "") == "选择了竞争对手"),
            owner_id=owner_id, created_by_id=owner_id, stage_entered_at=last, closed_at=last if closed else None,
            remarks=rng.choice(REMARKS) if rng.random() < 0.15 else "",
            created_at=moments[0], updated_at=updated, search_text=text.search_text(title, c.name),
        )
        changes = []
        previous = None
        for i, (s, t) in enumerate(zip(path, moments, strict=True)):
            if s == self.won:
                note = rng.choice(WON_NOTES)
            elif s == self.lost:
                note = getattr(reason, "name", "")
            else:
                notes = STAGE_NOTES.get(self.open.index(s), [])
                note = rng.choice(notes) if notes and rng.random() < 0.5 else ""
            changes.append(StageChange(
                tenant=ctx.tenant, from_stage=previous, to_stage=s,
                from_probability=previous.probability if previous else None, to_probability=s.probability,
                note=note, changed_by_id=owner_id, changed_at=t,
                seconds_in_previous=int((t - moments[i - 1]).total_seconds()) if i else None,
            ))
            previous = s
        return opp, changes


def seed(ctx: DemoContext) -> None:
    """Opportunities on owned customers (by the customers' attention), their stage history, last wins."""
    owned = [c for c in ctx.shared.get("customers") or [] if c.owner_id and c.attention > 0]
    if not owned or not ctx.size.opportunities:
        return
    pipeline = _Pipeline(ctx)
    counts = Counter(ctx.rng.choices(range(len(owned)), weights=[c.attention for c in owned],
                                     k=ctx.size.opportunities))
    wanted = [owned[i] for i in sorted(counts) for _ in range(counts[i])]
    by_customer: dict[int, list[DemoOpportunity]] = {}
    total_changes = 0
    with manual_timestamps(Opportunity):
        for batch in chunks(wanted, ctx.size.batch):
            built = [pipeline.build(c) for c in batch]
            opps = for_tenant(Opportunity, ctx.tenant).bulk_create([o for o, _ch in built], batch_size=1000)
            changes = []
            for opp, (_o, chs) in zip(opps, built, strict=True):
                for ch in chs:
                    ch.opportunity_id = opp.pk
                changes.extend(chs)
                by_customer.setdefault(opp.customer_id, []).append(
                    DemoOpportunity(opp.pk, opp.created_at, opp.closed_at))
            for_tenant(StageChange, ctx.tenant).bulk_create(changes, batch_size=1000)
            total_changes += len(changes)
    ctx.shared["opportunities"] = by_customer
    analyze(Customer, Opportunity)
    won = for_tenant(Opportunity, ctx.tenant).filter(status=OpportunityStatus.WON)
    last_won = won.filter(customer_id=OuterRef("pk")).values("customer_id").annotate(m=Max("closed_at")).values("m")
    for_tenant(Customer, ctx.tenant).filter(pk__in=won.values("customer_id")).update(last_won_at=Subquery(last_won))
    ctx.say(f"  opportunities: {len(wanted)}, stage changes: {total_changes}, won: {won.count()}")


demo_seeders.register("opportunities", seed, order=15)
