"""Demo customers and contacts (DESIGN §5): realistic Chinese companies and people, owned only by
the two sales departments' members or sitting in a pool, with the derived search keys filled in.

Ownership follows the default pool's auto-return rules (30 days without a follow-up, 180 without a deal),
so the daily job moves nothing on a fresh demo except the few customers each owner is warned about:
owned customers were claimed, assigned or created within the last 170 days (the owner log says how) and
the follow-up seeder gives each a follow-up within the last 26 days, except three per owner whose last
one is 28–30 days old (1–3 days from returning). Pool customers were never owned, auto-returned or
released; a second pool, 销售二部公海, serves that department."""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from zhuli.access.roles import Role
from zhuli.core import text
from zhuli.core.demo import DemoContext, chunks, manual_timestamps
from zhuli.core.models import Region
from zhuli.core.registry import demo_seeders
from zhuli.preferences.models import DictionaryItem, DictionaryKind
from zhuli.tenancy.unscoped import for_tenant

from .models import (
    Contact,
    Customer,
    CustomerCap,
    CustomerKind,
    Gender,
    OwnerChange,
    Pool,
    PoolDepartment,
    PoolRule,
)
from .services import DEFAULT_NO_DEAL_DAYS, DEFAULT_NO_FOLLOWUP_DAYS, OwnerChangeKind, customer_search_keys

# Owners: sales1–6 carry the load, the two managers keep a few key accounts. About 18 % sit in a pool.
OWNER_WEIGHTS = [(f"sales{i}", 1.0) for i in range(1, 7)] + [("manager1", 0.35), ("manager2", 0.35)]
POOL_SHARE = 0.18
TEAMS = {"manager1": ["sales1", "sales2", "sales3"], "manager2": ["sales4", "sales5", "sales6"]}
SECOND_POOL_NAME = "销售二部公海"
SECOND_POOL_TEAM = "manager2"  # its member department is this manager's (销售二部)
# Owned customers: followed up within RECENT_FOLLOWUP_DAYS and owned for at most OWNED_WITHIN_DAYS (the
# default rules return them after 30 / 180 days; warned 3 days before), except NEAR_RETURN per owner.
RECENT_FOLLOWUP_DAYS = DEFAULT_NO_FOLLOWUP_DAYS - 4
OWNED_WITHIN_DAYS = DEFAULT_NO_DEAL_DAYS - 10
NEAR_RETURN = 3
NEWLY_ASSIGNED = 2  # per owner, assigned in the last week (the workbench's newly-assigned card)
RELEASE_REASONS = ["客户暂无采购需求", "多次联系不上", "非目标客户", "客户已选择其他供应商", "精力有限，交给同事跟进",
                   "客户预算冻结，明年再联系"]
TRANSFER_REASONS = ["工作调整", "区域调整", "客户要求更换对接人"]
# A sales role cap well above what each salesperson owns (claiming from the pool works).
CAP_HEADROOM = 1.5

BRAND_CHARS = (
    "华信达通博瑞恒泰鑫盛源宏远创新科联合安康金隆兴昌丰德嘉诚汇邦力海天星辰云龙凯越卓智优中正和顺佳益永升腾"
    "飞祥福万晟锐航宇晨光明宝鼎峰森林沃蓝景东方启迪思维凌致众成立铭驰鹏浩瀚润泽弘毅奥迈捷朗豪亿途威尚品"
)
# (industry word in the name, GB/T 4754 section code of the industry dictionary)
INDUSTRY_WORDS = [
    ("信息技术", "I"), ("网络科技", "I"), ("软件", "I"), ("智能科技", "I"), ("通信技术", "I"), ("电子科技", "C"),
    ("数据科技", "I"), ("机械设备", "C"), ("自动化设备", "C"), ("新材料", "C"), ("精密制造", "C"), ("电气", "C"),
    ("汽车配件", "C"), ("包装材料", "C"), ("化工", "C"), ("食品", "C"), ("服饰", "C"), ("医疗器械", "C"),
    ("仪器仪表", "C"), ("建筑工程", "E"), ("装饰工程", "E"), ("商贸", "F"), ("国际贸易", "F"), ("进出口", "F"),
    ("建材", "F"), ("医药", "F"), ("物流", "G"), ("供应链管理", "G"), ("餐饮管理", "H"), ("酒店管理", "H"),
    ("金融信息服务", "J"), ("房地产开发", "K"), ("物业管理", "K"), ("企业管理咨询", "L"), ("人力资源", "L"),
    ("广告", "L"), ("生物科技", "M"), ("检测技术", "M"), ("环保科技", "N"), ("教育科技", "P"), ("健康管理", "Q"),
    ("文化传媒", "R"), ("农业发展", "A"), ("新能源", "D"),
]
SUFFIXES = [("有限公司", 70), ("有限责任公司", 14), ("股份有限公司", 10), ("集团有限公司", 4), ("科技有限公司", 2)]
# Where the companies are: the big commercial cities most, every other city a little.
CITY_WEIGHTS = {
    "北京": 14, "上海": 14, "深圳": 10, "广州": 9, "杭州": 7, "成都": 6, "南京": 5, "苏州": 5, "武汉": 5,
    "西安": 4, "重庆": 4, "天津": 4, "长沙": 3, "郑州": 3, "青岛": 3, "宁波": 3, "东莞": 3, "佛山": 3,
    "合肥": 3, "厦门": 2, "济南": 2, "无锡": 2, "沈阳": 2, "大连": 2, "福州": 2, "昆明": 2,
}
AREA_CODES = {
    "北京": "010", "上海": "021", "广州": "020", "深圳": "0755", "天津": "022", "重庆": "023", "成都": "028",
    "杭州": "0571", "南京": "025", "武汉": "027", "西安": "029", "苏州": "0512", "长沙": "0731", "郑州": "0371",
    "青岛": "0532", "宁波": "0574", "东莞": "0769", "佛山": "0757", "合肥": "0551", "厦门": "0592",
    "济南": "0531", "无锡": "0510", "沈阳": "024", "大连": "0411", "福州": "0591", "昆明": "0871",
}
ROADS = ["中山路", "人民路", "建设路", "解放路", "长江路", "科技园路", "高新大道", "创业路", "学院路", "滨江大道",
         "金融街", "环城东路", "工业大道", "软件园二期", "文化路", "新华路", "和平大街", "世纪大道"]
TITLES = [("总经理", 10), ("副总经理", 6), ("采购经理", 14), ("技术总监", 8), ("财务经理", 8), ("行政主管", 8),
          ("销售总监", 6), ("IT经理", 8), ("项目经理", 10), ("董事长", 3), ("办公室主任", 6), ("采购专员", 8)]
CONTACT_DEPTS = {"总经理": "总经办", "副总经理": "总经办", "董事长": "董事会", "采购经理": "采购部", "采购专员": "采购部",
                 "技术总监": "技术部", "IT经理": "信息部", "财务经理": "财务部", "行政主管": "行政部",
                 "办公室主任": "行政部", "销售总监": "销售部", "项目经理": "项目部"}
TAGS = ["重点客户", "老客户转介绍", "展会获取", "上市公司", "政府背景", "集团客户", "价格敏感"]
STATUS_WEIGHTS = {"潜在客户": 25, "初步接触": 20, "持续跟进": 30, "已成交": 12, "暂停跟进": 8, "已流失": 5}
POOL_STATUS_WEIGHTS = {"潜在客户": 40, "暂停跟进": 35, "已流失": 25}
LEVEL_WEIGHTS = {"A": 10, "B": 25, "C": 40, "D": 25}
SOURCE_WEIGHTS = {"电话营销": 20, "网络推广": 22, "客户介绍": 18, "展会": 12, "广告": 6, "老客户": 8, "自主开发": 10, "其他": 4}
TYPE_WEIGHTS = {"潜在客户": 40, "普通客户": 35, "VIP客户": 10, "代理商": 7, "合作伙伴": 5, "失效客户": 3}
# How much attention a customer of each level gets (follow-ups are spread by this weight).
LEVEL_ATTENTION = {"A": 3.0, "B": 2.0, "C": 1.0, "D": 0.5}
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass
class DemoCustomer:
    """What the later seeders (opportunities, follow-ups) need to know about a seeded customer, without
    re-reading it, and the limits their dates must keep for the pool rules to hold."""

    id: int
    owner_id: int | None
    created_at: datetime.datetime
    attention: float
    name: str = ""
    label: str = ""  # how an opportunity's title names the customer (its brand or short name)
    owned_since: datetime.datetime | None = None
    former_owner_id: int | None = None  # who had it before owned_since / before it went to the pool
    followup_since: datetime.datetime | None = None  # owned: at least one follow-up after this
    followups_until: datetime.datetime | None = None  # no follow-up after this (pool customers)
    last_followup: datetime.datetime | None = None  # about to return: the last follow-up is exactly this
    quiet: tuple[datetime.datetime, datetime.datetime] | None = None  # no follow-ups between (in the pool)
    contact_ids: list[int] = field(default_factory=list)
    contact_names: list[str] = field(default_factory=list)


class _Unique:
    """Hands out values not seen before (names, phones, codes), retrying the generator."""

    def __init__(self):
        self.seen: set[str] = set()

    def take(self, make, key=lambda v: v):
        for _attempt in range(50):
            value = make()
            if key(value) not in self.seen:
                self.seen.add(key(value))
                return value
        raise RuntimeError("demo data generator ran out of unique values")


def _dictionary(tenant) -> dict[str, dict[str, DictionaryItem]]:
    out: dict[str, dict[str, DictionaryItem]] = {}
    for item in for_tenant(DictionaryItem, tenant):
        out.setdefault(item.kind, {})[item.name] = item
    return out


def _cities() -> list[tuple[Region, float, list[Region]]]:
    """Level-2 regions with their weight and districts."""
    regions = list(Region.objects.all())
    by_parent: dict[str, list[Region]] = {}
    for r in regions:
        by_parent.setdefault(r.parent_id, []).append(r)
    return [(r, CITY_WEIGHTS.get(r.short_name, 0.15), by_parent.get(r.code, [])) for r in regions if r.level == 2]


class _Generator:
    def __init__(self, ctx: DemoContext):
        self.ctx, self.rng, self.fake = ctx, ctx.rng, ctx.faker
        self.dicts = _dictionary(ctx.tenant)
        self.industry_by_code = {i.code: i for i in self.dicts.get(DictionaryKind.INDUSTRY, {}).values()}
        self.cities = _cities()
        self.city_weights = [w for _c, w, _d in self.cities]
        self.levels = [(i, LEVEL_WEIGHTS[i.code]) for i in self.dicts.get(DictionaryKind.LEVEL, {}).values()
                       if i.code in LEVEL_WEIGHTS]
        self.names, self.phones, self.codes, self.hosts = _Unique(), _Unique(), _Unique(), _Unique()

    def pick(self, kind: str, weights: dict[str, float]) -> DictionaryItem | None:
        items = self.dicts.get(kind, {})
        pairs = [(items[n], w) for n, w in weights.items() if n in items]
        return self.ctx.weighted(pairs) if pairs else None

    def pick_any(self, kind: str) -> DictionaryItem | None:
        items = list(self.dicts.get(kind, {}).values())
        return self.rng.choice(items) if items else None

    def city(self):
        city, _w, districts = self.rng.choices(self.cities, weights=self.city_weights, k=1)[0]
        return city, (self.rng.choice(districts) if districts else None)

    def mobile(self) -> str:
        rng = self.rng
        return self.phones.take(lambda: f"1{rng.choice('35789')}{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}")

    def landline(self, city_short: str) -> str:
        area = AREA_CODES.get(city_short) or f"0{self.rng.randint(310, 999)}"
        digits = 8 if len(area) == 3 else self.rng.choice([7, 8])
        return self.phones.take(lambda: f"{area}-{self.rng.randint(2, 8)}{self.rng.randint(0, 10 ** (digits - 1) - 1):0{digits - 1}d}")

    def credit_code(self, region_code: str) -> str:
        def make():
            body = "91" + region_code.ljust(6, "0")[:6] + "".join(self.rng.choice(USCC_CHARS) for _ in range(9))
            return body + text.uscc_check_char(body)
        return self.codes.take(make)

    def company_name(self, city_short: str) -> tuple[str, str, str]:
        """(name, brand, industry code), e.g. 北京沃力森信息技术有限公司."""
        def make():
            brand = "".join(self.rng.sample(BRAND_CHARS, self.rng.choice([2, 2, 2, 3])))
            word, code = self.rng.choice(INDUSTRY_WORDS)
            suffix = self.ctx.weighted(SUFFIXES)
            if suffix.startswith("科技") and "科技" in word:
                suffix = "有限公司"
            if self.rng.random() < 0.12:
                name = f"{brand}（{city_short}）{word}{suffix}"
            else:
                name = f"{city_short}{brand}{word}{suffix}"
            return name, brand, code
        return self.names.take(make, key=lambda v: text.name_key(v[0]))

    def person_name(self, gender: str) -> str:
        return self.fake.name_male() if gender == Gender.MALE else self.fake.name_female()

    def address(self, district: Region | None) -> str:
        place = district.name if district else ""
        building = f"{self.rng.choice('ABCDE')}座{self.rng.randint(2, 28)}{self.rng.randint(1, 20):02d}室" \
            if self.rng.random() < 0.5 else ""
        return f"{place}{self.rng.choice(ROADS)}{self.rng.randint(1, 999)}号{building}"

    def created_at(self) -> datetime.datetime:
        # Two years of history, a bit more of it recent (the company grows).
        days = int(730 * (self.rng.random() ** 1.3))
        moment = self.ctx.work_time(self.ctx.today - datetime.timedelta(days=days))
        return min(moment, self.ctx.now - datetime.timedelta(minutes=self.rng.randint(30, 600)))

    def customer(self, owner) -> tuple[Customer, list[Contact], float, str]:
        rng = self.rng
        enterprise = rng.random() < 0.85
        city, district = self.city()
        level = self.ctx.weighted(self.levels) if self.levels else None
        created = self.created_at()
        c = Customer(
            tenant=self.ctx.tenant, owner=owner, department_id=getattr(owner, "department_id", None),
            created_by=owner or self.ctx.users.get("assistant"), created_at=created, updated_at=created,
            source=self.pick(DictionaryKind.SOURCE, SOURCE_WEIGHTS), level=level,
            status=self.pick(DictionaryKind.STATUS, STATUS_WEIGHTS if owner else POOL_STATUS_WEIGHTS),
            customer_type=self.pick(DictionaryKind.CUSTOMER_TYPE, TYPE_WEIGHTS),
            province_id=city.parent_id, city=city, district=district, address=self.address(district),
        )
        contacts: list[Contact] = []
        label = ""
        if enterprise:
            name, brand, industry_code = self.company_name(city.short_name)
            c.kind, c.name = CustomerKind.ENTERPRISE, name
            c.short_name = brand if rng.random() < 0.6 else ""
            label = brand
            c.industry = self.industry_by_code.get(industry_code)
            c.staff_size = self.pick_any(DictionaryKind.STAFF_SIZE)
            c.phone = self.landline(city.short_name)
            if rng.random() < 0.35:
                initials = text.pinyin_keys(brand)[1]
                c.website = "www." + self.hosts.take(
                    lambda initials=initials: f"{initials}{rng.choice(['', '', rng.randint(1, 999)])}"
                                              f".{rng.choice(['com', 'cn', 'com.cn', 'net'])}")
            if rng.random() < 0.3:
                c.credit_code = self.credit_code(district.code if district else city.code)
            if rng.random() < 0.4:
                c.legal_representative = self.fake.name()
            if rng.random() < 0.2:
                c.introduction = f"{name}成立于{rng.randint(1998, 2022)}年，主营{industry_word(name)}相关业务，" \
                                 f"员工约{rng.choice([20, 50, 80, 150, 300, 600])}人。"
            for n in range(self.ctx.weighted([(1, 45), (2, 35), (3, 20)])):
                contacts.append(self.contact(primary=n == 0))
        else:
            gender = rng.choice([Gender.MALE, Gender.FEMALE])

            def person():
                name = self.person_name(gender)
                return name + ("先生" if gender == Gender.MALE else "女士") if rng.random() < 0.5 else name
            c.kind, c.name, c.gender = CustomerKind.INDIVIDUAL, self.names.take(person, key=text.name_key), gender
            label = c.name
            c.mobile = self.mobile()
            if rng.random() < 0.4:
                c.wechat = f"wx_{rng.randint(10000, 99999999)}"
            if rng.random() < 0.3:
                c.birthday = self.birthday()
        if rng.random() < 0.1:
            c.tags = ",".join(rng.sample(TAGS, rng.choice([1, 1, 2])))
        customer_search_keys(c, contacts)
        level_code = getattr(c.level, "code", "C")
        return c, contacts, LEVEL_ATTENTION.get(level_code, 1.0) * (0.4 if owner is None else 1.0), label

    def contact(self, *, primary: bool) -> Contact:
        rng = self.rng
        gender = rng.choice([Gender.MALE, Gender.FEMALE])
        title = self.ctx.weighted(TITLES)
        return Contact(
            tenant=self.ctx.tenant, name=self.person_name(gender), gender=gender, title=title,
            department_name=CONTACT_DEPTS.get(title, ""), mobile=self.mobile(), is_primary=primary,
            wechat=f"wx_{rng.randint(10000, 99999999)}" if rng.random() < 0.3 else "",
            birthday=self.birthday() if rng.random() < 0.25 else None, has_left=rng.random() < 0.03,
        )

    def birthday(self) -> datetime.date:
        # A few fall in the coming week, so the workbench's birthday reminders show something.
        today = self.ctx.today
        if self.rng.random() < 0.05:
            soon = today + datetime.timedelta(days=self.rng.randint(0, 6))
            year = self.rng.randint(1965, 1998)
            return soon.replace(year=year) if not (soon.month == 2 and soon.day == 29) else datetime.date(year, 3, 1)
        return datetime.date(self.rng.randint(1960, 2000), 1, 1) + datetime.timedelta(days=self.rng.randint(0, 364))


def industry_word(name: str) -> str:
    for word, _code in INDUSTRY_WORDS:
        if word in name:
            return word
    return "综合"


class _Ownership:
    """Decides each customer's ownership dates and owner log so that the pool rules hold (module docstring)."""

    def __init__(self, ctx: DemoContext, pools: dict[str, Pool]):
        self.ctx, self.rng, self.pools = ctx, ctx.rng, pools
        self.team_of = {ctx.users[k].pk: m for m, keys in TEAMS.items() for k in [m, *keys]}
        self.members = {m: [ctx.users[k].pk for k in [m, *keys]] for m, keys in TEAMS.items()}
        self.manager_of = {uid: ctx.users[m].pk for uid, m in self.team_of.items()}
        self.director_id = ctx.users["director"].pk
        self.sales_ids = [ctx.users[k].pk for k, _w in OWNER_WEIGHTS]
        self.sales_weights = [w for _k, w in OWNER_WEIGHTS]
        self.near: dict[int, int] = {}  # owner → customers about to return so far
        self.assigned: dict[int, int] = {}  # owner → customers newly assigned so far
        now = ctx.now
        self.recent = now - datetime.timedelta(days=RECENT_FOLLOWUP_DAYS)
        self.owned_floor = now - datetime.timedelta(days=OWNED_WITHIN_DAYS)

    def moment(self, start: datetime.datetime, end: datetime.datetime) -> datetime.datetime:
        """An office-hours moment between start and end where the window allows, never in the future."""
        end = min(end, self.ctx.now - datetime.timedelta(minutes=5))
        if end <= start:
            return end
        t = start + datetime.timedelta(seconds=self.rng.random() * (end - start).total_seconds())
        moved = self.ctx.work_time(t.astimezone(self.ctx.zone).date())
        return moved if start <= moved <= end else t

    def colleague(self, owner_id: int) -> int:
        """A former owner: mostly someone of the same department."""
        team = self.members.get(self.team_of.get(owner_id), [])
        others = [u for u in team if u != owner_id] if self.rng.random() < 0.7 else []
        if not others:
            others = [u for u in self.sales_ids if u != owner_id]
        return self.rng.choice(others)

    def plan(self, c: Customer) -> tuple[dict, list[dict]]:
        """(DemoCustomer fields, owner-log rows without the customer) for one customer; sets its pool and dates."""
        return self.owned(c) if c.owner_id else self.pooled(c)

    def owned(self, c: Customer) -> tuple[dict, list[dict]]:
        rng, now, day = self.rng, self.ctx.now, datetime.timedelta(days=1)
        owner_id, created = c.owner_id, c.created_at
        c.pool = self.pools["team2"] if self.team_of.get(owner_id) == SECOND_POOL_TEAM else self.pools["default"]
        c.pooled_at = None
        info: dict = {}
        last = None
        if self.near.get(owner_id, 0) < NEAR_RETURN and created < now - 45 * day:
            # Last followed up 28–30 tenant days ago: the rule (more than 30 days) returns it in 1–3 days.
            self.near[owner_id] = self.near.get(owner_id, 0) + 1
            last = self.ctx.work_time(self.ctx.today - datetime.timedelta(days=rng.choice([28, 29, 30])))
            info["last_followup"] = last
        if created >= self.owned_floor:
            c.owned_since = created
            history: list[dict] = []
        else:
            newly = last is None and self.assigned.get(owner_id, 0) < NEWLY_ASSIGNED
            if newly:
                self.assigned[owner_id] = self.assigned.get(owner_id, 0) + 1
                since = self.moment(now - 6 * day, now - 2 * datetime.timedelta(hours=3))
            else:
                since = self.moment(max(created + 40 * day, self.owned_floor), (last or now - 2 * day) - day)
            c.owned_since = since
            former = self.colleague(owner_id)
            info["former_owner_id"] = former
            manager = self.manager_of.get(owner_id)
            if manager in (None, owner_id):  # a manager's own customers are handed over by the director
                manager = self.director_id
            r = rng.random()
            if newly or 0.5 <= r < 0.8:
                # Released by the former owner, then assigned by the manager.
                out = max(since - rng.uniform(0.5, 30) * day, created + day)
                history = [self.row(former, None, OwnerChangeKind.RELEASE, rng.choice(RELEASE_REASONS), former, out),
                           self.row(None, owner_id, OwnerChangeKind.ASSIGN, "", manager, since)]
                info["quiet"] = (out, since)
            elif r < 0.5:
                # Returned automatically (a month without a follow-up), then claimed.
                out = max(since - rng.uniform(0.5, 45) * day, created + (DEFAULT_NO_FOLLOWUP_DAYS + 1) * day)
                out = min(out, since - datetime.timedelta(hours=1))
                history = [self.row(former, None, OwnerChangeKind.AUTO_RETURN, _no_followup_reason(), None, out),
                           self.row(None, owner_id, OwnerChangeKind.CLAIM, "", owner_id, since)]
                info["quiet"] = (out - DEFAULT_NO_FOLLOWUP_DAYS * day, since)
            else:
                history = [self.row(former, owner_id, OwnerChangeKind.TRANSFER, rng.choice(TRANSFER_REASONS),
                                    manager, since)]
        if last is None and c.owned_since < self.recent:
            info["followup_since"] = self.recent
        info["owned_since"] = c.owned_since
        return info, history

    def pooled(self, c: Customer) -> tuple[dict, list[dict]]:
        rng, now, day = self.rng, self.ctx.now, datetime.timedelta(days=1)
        created = c.created_at
        c.owned_since = None
        if created > now - 40 * day or rng.random() < 0.35:
            # Never owned: entered straight into the pool (imported leads, web sign-ups).
            c.pooled_at = created
            c.pool = self.pools["team2"] if rng.random() < 0.3 else self.pools["default"]
            return {"never_owned": True}, []
        former = rng.choices(self.sales_ids, weights=self.sales_weights, k=1)[0]
        out = self.moment(created + 35 * day, now - datetime.timedelta(hours=2))
        c.pooled_at = out
        second = self.team_of.get(former) == SECOND_POOL_TEAM and rng.random() < 0.6
        c.pool = self.pools["team2"] if second else self.pools["default"]
        info: dict = {"former_owner_id": former}
        if rng.random() < 0.75:
            if out - created > (DEFAULT_NO_DEAL_DAYS + 1) * day and rng.random() < 0.4:
                reason, until = _no_deal_reason(), out - datetime.timedelta(hours=1)
            else:
                reason, until = _no_followup_reason(), out - DEFAULT_NO_FOLLOWUP_DAYS * day
            history = [self.row(former, None, OwnerChangeKind.AUTO_RETURN, reason, None, out)]
        else:
            until = out - datetime.timedelta(hours=1)
            history = [self.row(former, None, OwnerChangeKind.RELEASE, rng.choice(RELEASE_REASONS), former, out)]
        info["followups_until"] = until
        return info, history

    @staticmethod
    def row(from_owner, to_owner, kind, reason, by, at) -> dict:
        return {"from_owner_id": from_owner, "to_owner_id": to_owner, "kind": kind, "reason": str(reason),
                "changed_by_id": by, "changed_at": at}


def _no_followup_reason() -> str:
    return f"超过 {DEFAULT_NO_FOLLOWUP_DAYS} 天未跟进"


def _no_deal_reason() -> str:
    return f"超过 {DEFAULT_NO_DEAL_DAYS} 天未成交"


def _pools(ctx: DemoContext) -> dict[str, Pool]:
    """The default pool (everyone a member, made at tenant setup) and 销售二部公海 with the same rules."""
    default = for_tenant(Pool, ctx.tenant).get(is_default=True)
    second = for_tenant(Pool, ctx.tenant).create(name=SECOND_POOL_NAME, order=1)
    for_tenant(PoolDepartment, ctx.tenant).create(pool=second, department_id=ctx.users[SECOND_POOL_TEAM].department_id)
    for_tenant(PoolRule, ctx.tenant).create(pool=second, no_followup_days=DEFAULT_NO_FOLLOWUP_DAYS,
                                            no_deal_days=DEFAULT_NO_DEAL_DAYS)
    return {"default": default, "team2": second}


def _cap(ctx: DemoContext, seeded: list[DemoCustomer]) -> None:
    """A customer cap for the sales role, well above what the busiest salesperson owns."""
    owned: dict[int, int] = {}
    for c in seeded:
        if c.owner_id:
            owned[c.owner_id] = owned.get(c.owner_id, 0) + 1
    busiest = max((owned.get(u.pk, 0) for u in ctx.users.values() if u.role == Role.SALES), default=0)
    limit = max(100, -(-int(busiest * CAP_HEADROOM) // 50) * 50)
    for_tenant(CustomerCap, ctx.tenant).create(role=Role.SALES, limit=limit)


def seed(ctx: DemoContext) -> None:
    """Customers (about 85 % enterprise) with 1–3 contacts each and their owner log, in batches."""
    gen = _Generator(ctx)
    owners = [(ctx.users[key], w) for key, w in OWNER_WEIGHTS] + [(None, sum(w for _k, w in OWNER_WEIGHTS)
                                                                   * POOL_SHARE / (1 - POOL_SHARE))]
    owner_values, owner_weights = zip(*owners, strict=True)
    ownership = _Ownership(ctx, _pools(ctx))
    seeded: list[DemoCustomer] = []
    logged = 0
    with manual_timestamps(Customer, Contact, OwnerChange):
        for batch in chunks(range(ctx.size.customers), ctx.size.batch):
            built = [gen.customer(ctx.rng.choices(owner_values, weights=owner_weights, k=1)[0]) for _ in batch]
            plans = [ownership.plan(c) for c, _cs, _a, _l in built]
            customers = for_tenant(Customer, ctx.tenant).bulk_create([b[0] for b in built], batch_size=1000)
            contacts, changes = [], []
            for customer, (_c, cs, attention, label), (info, history) in zip(customers, built, plans, strict=True):
                for contact in cs:
                    contact.customer_id, contact.created_at = customer.pk, customer.created_at
                contacts.extend(cs)
                if info.pop("never_owned", False):
                    attention = 0.0  # nobody has followed it up yet
                seeded.append(DemoCustomer(customer.pk, customer.owner_id, customer.created_at, attention,
                                           name=customer.name, label=label, **info))
                changes.extend(OwnerChange(tenant=ctx.tenant, customer_id=customer.pk, **row) for row in history)
            for_tenant(Contact, ctx.tenant).bulk_create(contacts, batch_size=1000)
            for_tenant(OwnerChange, ctx.tenant).bulk_create(changes, batch_size=1000)
            logged += len(changes)
            if ctx.size.customers >= 20 * ctx.size.batch:
                ctx.say(f"    … {len(seeded)} customers")
            by_id = {s.id: s for s in seeded[-len(customers):]}
            for contact in contacts:
                if not contact.has_left:
                    by_id[contact.customer_id].contact_ids.append(contact.pk)
                    by_id[contact.customer_id].contact_names.append(contact.name)
    # The newest pool customer waits in the general pool (everyone a member): the pool list, newest first, then
    # opens on a customer every salesperson can claim, as the demo walkthrough (and its acceptance check) does.
    newest = max((c.id for c in seeded if c.owner_id is None), default=None)
    if newest is not None:
        for_tenant(Customer, ctx.tenant).filter(pk=newest).update(pool=ownership.pools["default"])
    _cap(ctx, seeded)
    ctx.shared["customers"] = seeded
    pooled = sum(1 for c in seeded if c.owner_id is None)
    ctx.say(f"  customers: {len(seeded)} ({pooled} in the pools), contacts: "
            f"{for_tenant(Contact, ctx.tenant).count()}, owner changes: {logged}")


demo_seeders.register("customers", seed, order=10)
