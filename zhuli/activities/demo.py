"""Demo follow-ups and todos: 18 months of history spread over the salespeople, and open todos that
are overdue, due today (in the tenant's zone) or due this week for every salesperson, so each
workbench is full. The customers' last/next follow-up dates follow the services' rule exactly.
Follow-ups made while an opportunity of the customer was open mostly belong to it (opportunity.last_followup_at
follows), and their dates keep the pool rules the customers seeder planned (zhuli.customers.demo)."""
from __future__ import annotations

import datetime
from collections import Counter

from django.db.models import Max, Min, OuterRef, Subquery

from zhuli.core.demo import DemoContext, analyze, chunks, manual_timestamps
from zhuli.core.registry import demo_seeders
from zhuli.customers.models import Customer
from zhuli.preferences.models import DictionaryItem, DictionaryKind
from zhuli.sales.models import Opportunity
from zhuli.tenancy.unscoped import for_tenant

from .models import FollowUp, Todo

HISTORY_DAYS = 548  # about 18 months
TYPE_WEIGHTS = {"phone": 45, "wechat": 25, "visit": 12, "email": 8, "meeting": 5, "other": 5}
TEMPLATES = {
    "phone": [
        "电话联系{contact}，了解{topic}，对方表示{reaction}。",
        "给{contact}打电话确认{topic}，{reaction}。",
        "电话回访{contact}，客户反馈{feedback}。",
        "{contact}来电咨询{topic}，已详细解答，{reaction}。",
    ],
    "visit": [
        "上门拜访{contact}，现场演示了{product}，{reaction}。",
        "到客户公司拜访，与{contact}当面沟通{topic}，{reaction}。",
        "陪同技术同事拜访{contact}，调研{topic}，客户{feedback}。",
    ],
    "wechat": [
        "微信把{doc}发给{contact}，{reaction}。",
        "微信沟通{topic}，{contact}回复{feedback}。",
        "{contact}在微信上询问{topic}，已回复并发送{doc}。",
    ],
    "email": ["邮件发送{doc}给{contact}，请其确认。", "收到{contact}的邮件，{feedback}，已回复。"],
    "meeting": [
        "参加客户关于{topic}的评审会，{contact}主持，{reaction}。",
        "线上会议演示{product}，{contact}等{n}人参加，{reaction}。",
    ],
    "other": ["节日给{contact}寄送了礼品，表示感谢。", "行业展会上遇到{contact}，简单交流了{topic}。"],
}
WORDS = {
    "topic": ["年度采购计划", "系统升级需求", "新产品功能", "报价细节", "合同条款", "售后服务问题", "付款方式",
              "交付周期", "培训安排", "续费事宜", "项目预算", "技术方案", "与竞品的差异"],
    "reaction": ["预计下月立项", "需要内部再讨论", "对价格比较敏感", "希望提供同行业案例", "决策人是总经理，需要再约",
                 "竞争对手也在接触", "今年暂时没有预算", "态度比较积极", "要求再优惠5%", "已提交领导审批", "下周给答复",
                 "基本认可我们的方案"],
    "feedback": ["使用情况良好", "希望增加几个功能", "对交付进度不太满意", "价格可以接受", "需要补充资质材料",
                 "发票已收到", "还在比较几家供应商"],
    "product": ["标准版方案", "新版系统", "样品", "核心功能", "定制方案"],
    "doc": ["报价单", "产品资料", "合同草稿", "技术方案", "案例介绍", "培训计划"],
}
NEXT_ACTIONS = ["发送正式报价", "约技术交流", "跟进合同审批进度", "寄送样品", "电话确认需求细节", "安排产品演示",
                "回访使用情况", "确认付款时间", "邀请参加新品发布会", "提交技术方案"]
SALES_KEYS = [f"sales{i}" for i in range(1, 7)] + ["manager1", "manager2"]
# Open todo due … (for owned customers beyond the first three of each owner, which get one of each).
BUCKETS = [("overdue", 18), ("today", 7), ("week", 35), ("later", 40)]
OPEN_TODO_SHARE = 0.4
DONE_TODO_SHARE = 0.25  # earlier follow-ups that had planned the next one
OPPORTUNITY_SHARE = 0.6  # follow-ups made while an opportunity of the customer is open that are about it


class _Writer:
    def __init__(self, ctx: DemoContext):
        self.ctx, self.rng = ctx, ctx.rng
        types = {i.code: i for i in for_tenant(DictionaryItem, ctx.tenant).filter(kind=DictionaryKind.FOLLOWUP_TYPE)}
        self.types = [(types[code], w) for code, w in TYPE_WEIGHTS.items() if code in types]
        self.sales_ids = [ctx.users[k].pk for k in SALES_KEYS]
        self.horizon = ctx.now - datetime.timedelta(days=HISTORY_DAYS)
        self.opportunities = ctx.shared.get("opportunities") or {}

    def content(self, type_code: str, contact: str) -> str:
        template = self.rng.choice(TEMPLATES.get(type_code) or TEMPLATES["phone"])
        words = {k: self.rng.choice(v) for k, v in WORDS.items()}
        return template.format(contact=contact, n=self.rng.randint(3, 8), **words)

    def due(self, bucket: str) -> datetime.datetime:
        today, rng = self.ctx.today, self.rng
        offset = {"overdue": -rng.randint(1, 20), "today": 0, "week": rng.randint(1, 7),
                  "later": rng.randint(8, 45)}[bucket]
        return self.ctx.work_time(today + datetime.timedelta(days=offset))

    def times(self, c, n: int, start: datetime.datetime, end: datetime.datetime) -> list[datetime.datetime]:
        """n follow-up moments between start and end, within the limits the customer's ownership sets
        (see zhuli.customers.demo): none while it sat in a pool, none after it went there, one exactly at
        `last_followup` for those about to return, and one after `followup_since` for the other owned ones."""
        if c.followups_until is not None:
            end = min(end, c.followups_until)
        if c.last_followup is not None:
            end = min(end, c.last_followup - datetime.timedelta(minutes=30))
        times = sorted(self.moment(start, end) for _ in range(n)) if end > start else []
        if c.quiet is not None:
            times = [t for t in times if not c.quiet[0] <= t <= c.quiet[1]]
        if c.last_followup is not None:
            times = [*times[:-1], c.last_followup] if len(times) > 1 else [c.last_followup]
        elif c.followup_since is not None and (not times or times[-1] < c.followup_since):
            recent = self.moment(max(start, c.followup_since), end)
            times = [*times[:-1], recent] if times else [recent]
        return times

    def owner_at(self, c, t: datetime.datetime) -> int:
        """Who logged a follow-up at t: the owner, or the former owner before the current one got it."""
        if c.former_owner_id and (c.owner_id is None or (c.owned_since and t < c.owned_since)):
            return c.former_owner_id
        return c.owner_id or self.rng.choice(self.sales_ids)

    def opportunity_at(self, customer_id: int, t: datetime.datetime) -> int | None:
        """Most follow-ups while an opportunity of the customer is open are about it (the latest one)."""
        live = [o for o in self.opportunities.get(customer_id, ())
                if o.created_at <= t and (o.closed_at is None or t <= o.closed_at)]
        if not live or self.rng.random() > OPPORTUNITY_SHARE:
            return None
        return max(live, key=lambda o: o.created_at).id

    def moment(self, start: datetime.datetime, end: datetime.datetime) -> datetime.datetime:
        """A time between start and end, in office hours where the window allows."""
        span = (end - start).total_seconds()
        t = start + datetime.timedelta(seconds=self.rng.random() * span)
        local = t.astimezone(self.ctx.zone)
        if not 8 <= local.hour < 20:
            moved = self.ctx.work_time(local.date())
            if start <= moved <= end:
                t = moved
        return t


def _buckets(ctx: DemoContext, customers) -> dict[int, list[str]]:
    """When each owned customer's open todos are due. Every owner gets one overdue, one due today and
    one due this week on their oldest customers (old enough to have history before an overdue plan),
    whatever the size; the others get one with a chance."""
    out: dict[int, list[str]] = {}
    by_owner: dict[int, list] = {}
    for c in customers:
        if c.owner_id is not None:
            by_owner.setdefault(c.owner_id, []).append(c)
    for owned in by_owner.values():
        oldest = sorted(owned, key=lambda c: c.created_at)
        for j, bucket in enumerate(("overdue", "today", "week")):
            out.setdefault(oldest[j % len(oldest)].id, []).append(bucket)
        for c in owned:
            if c.id not in out and ctx.rng.random() < OPEN_TODO_SHARE:
                out[c.id] = [ctx.weighted(BUCKETS)]
    return out


def seed(ctx: DemoContext) -> None:
    """Follow-ups (by customer level), their todos, then the customers' last/next follow-up dates."""
    customers = ctx.shared.get("customers") or []
    if not customers:
        return
    w = _Writer(ctx)
    rng = ctx.rng
    counts = Counter(rng.choices(range(len(customers)), weights=[c.attention for c in customers],
                                 k=ctx.size.followups))
    buckets = _buckets(ctx, customers)
    latest_allowed = ctx.now - datetime.timedelta(minutes=10)
    total_fu = total_todo = 0
    with manual_timestamps(FollowUp, Todo):
        for batch in chunks(list(enumerate(customers)), ctx.size.batch):
            followups: list[FollowUp] = []
            plans: list[tuple[object, int, int]] = []  # customer, index of its first follow-up, count
            due_of: dict[int, list[datetime.datetime]] = {}
            for index, c in batch:
                start = max(c.created_at, w.horizon)
                dues = [w.due(b) for b in buckets.get(c.id, [])]
                end = min([latest_allowed, *(d - datetime.timedelta(hours=2) for d in dues)])
                if dues and end <= start:  # too new a customer for an overdue plan: make it this week's
                    dues = [d if d > ctx.now else w.due("week") for d in dues]
                    end = latest_allowed
                due_of[c.id] = dues
                times = w.times(c, counts.get(index, 0), start, end)
                first = len(followups)
                for t in times:
                    type_item = w.ctx.weighted(w.types) if w.types else None
                    if c.contact_ids:
                        k = rng.randrange(len(c.contact_ids))
                        contact_id, contact_name = c.contact_ids[k], c.contact_names[k]
                    else:
                        contact_id, contact_name = None, "客户"
                    followups.append(FollowUp(
                        tenant=ctx.tenant, customer_id=c.id, contact_id=contact_id, type=type_item, occurred_at=t,
                        content=w.content(getattr(type_item, "code", "phone"), contact_name),
                        owner_id=w.owner_at(c, t), opportunity_id=w.opportunity_at(c.id, t), created_at=t, updated_at=t,
                    ))
                plans.append((c, first, len(times)))
            for_tenant(FollowUp, ctx.tenant).bulk_create(followups, batch_size=1000)
            todos = []
            for c, first, n in plans:
                mine = followups[first:first + n]
                for prev, nxt in zip(mine, mine[1:], strict=False):
                    if rng.random() < DONE_TODO_SHARE:
                        todos.append(Todo(
                            tenant=ctx.tenant, customer_id=c.id, due_at=nxt.occurred_at, owner_id=nxt.owner_id,
                            content=rng.choice(NEXT_ACTIONS), source=prev, done_at=nxt.occurred_at, done_by=nxt,
                            created_at=prev.occurred_at,
                        ))
                source = mine[-1] if mine else None
                for due in due_of[c.id]:
                    todos.append(Todo(
                        tenant=ctx.tenant, customer_id=c.id, due_at=due, owner_id=c.owner_id,
                        content=rng.choice(NEXT_ACTIONS), source=source,
                        created_at=source.occurred_at if source else c.created_at,
                    ))
            for_tenant(Todo, ctx.tenant).bulk_create(todos, batch_size=1000)
            total_fu += len(followups)
            total_todo += len(todos)
            if len(customers) >= 20 * ctx.size.batch:
                ctx.say(f"    … {total_fu} follow-ups")
    analyze(Customer, FollowUp, Todo, Opportunity)
    _refresh_followup_dates(ctx.tenant)
    _refresh_opportunity_followups(ctx.tenant)
    ctx.say(f"  follow-ups: {total_fu}, todos: {total_todo} ({sum(map(len, buckets.values()))} open)")


def _refresh_followup_dates(tenant) -> None:
    """One UPDATE for the whole tenant, with the rule of customer_refresh_followup_dates:
    last = latest follow-up, next = earliest open todo."""
    last = for_tenant(FollowUp, tenant).filter(customer_id=OuterRef("pk")).values("customer_id") \
        .annotate(m=Max("occurred_at")).values("m")
    nxt = for_tenant(Todo, tenant).filter(customer_id=OuterRef("pk"), done_at__isnull=True).values("customer_id") \
        .annotate(m=Min("due_at")).values("m")
    for_tenant(Customer, tenant).update(last_followup_at=Subquery(last), next_followup_at=Subquery(nxt))


def _refresh_opportunity_followups(tenant) -> None:
    """Each opportunity's last_followup_at: its latest linked follow-up."""
    last = for_tenant(FollowUp, tenant).filter(opportunity_id=OuterRef("pk")).values("opportunity_id") \
        .annotate(m=Max("occurred_at")).values("m")
    linked = for_tenant(FollowUp, tenant).filter(opportunity__isnull=False).values("opportunity_id")
    for_tenant(Opportunity, tenant).filter(pk__in=linked).update(last_followup_at=Subquery(last))


demo_seeders.register("followups", seed, order=20)
