"""Opportunities (销售机会) through the same importer and exporter as customers.

A row names its customer by the exact name of a customer the importer can see, and its stage by name;
probability, amount and dates go through the sales services, so the probability rule and the money
checks are the ones of every other path.
"""
from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhuli.access.actor import Actor
from zhuli.access.scoping import require, visible
from zhuli.accounts.models import owner_display
from zhuli.core import text
from zhuli.core.errors import InvalidInput
from zhuli.core.money import weighted_amount
from zhuli.customers.models import Customer
from zhuli.preferences.models import DictionaryKind
from zhuli.preferences.services import dictionary_item_ensure
from zhuli.sales.models import Opportunity, OpportunityStatus
from zhuli.sales.selectors import OpportunityFilters, opportunity_list, stages_active
from zhuli.sales.services import opportunity_create, opportunity_update, parse_amount_filter

from . import selectors
from .exports import DATE, MOMENT, ExportColumn, _choice, _ChoiceColumn, _text
from .readers import parse_date
from .resources import ImportField, ParsedRow, _user_by_id
from .resources import _text as cell_text

F = ImportField
OPPORTUNITY_FIELDS = [
    F("title", gettext_lazy("机会名称"), ("机会", "商机", "商机名称", "项目名称", "销售机会", "opportunity", "title"),
      "ERP 系统升级", True),
    F("customer", gettext_lazy("客户名称"), ("客户", "公司名称", "客户全称", "customer", "company"),
      "深圳市示例科技有限公司", True),
    F("stage", gettext_lazy("阶段"), ("销售阶段", "机会阶段", "stage"), "需求确认"),  # tenant data: not translated
    F("amount", gettext_lazy("预计金额"), ("金额", "预计成交金额", "预计签单金额", "amount"), "120000.00"),
    F("close_date", gettext_lazy("预计成交日期"), ("预计签单日期", "成交日期", "预计结单日期", "close date"),
      "2030-06-30"),
    F("probability", gettext_lazy("赢率"), ("赢率（%）", "可能性", "成功率", "probability")),
    F("status", gettext_lazy("状态"), ("机会状态", "status")),
    F("owner", gettext_lazy("负责人"), ("销售负责人", "业务员", "owner")),
    F("source", gettext_lazy("机会来源"), ("来源", "source")),
    F("category", gettext_lazy("机会类型"), ("类型", "category")),
    F("lost_reason", gettext_lazy("输单原因"), ("失败原因", "lost reason")),
    F("competitors", gettext_lazy("竞争对手"), ("竞争者", "competitors")),
    F("remarks", gettext_lazy("备注"), ("说明", "remarks", "note")),
]
del F
STATUS_WORDS = {
    "跟踪": OpportunityStatus.TRACKING, "跟进": OpportunityStatus.TRACKING, "进行中": OpportunityStatus.TRACKING,
    "赢单": OpportunityStatus.WON, "成功": OpportunityStatus.WON, "成交": OpportunityStatus.WON,
    "输单": OpportunityStatus.LOST, "失败": OpportunityStatus.LOST, "丢单": OpportunityStatus.LOST,
    "搁置": OpportunityStatus.ON_HOLD, "暂停": OpportunityStatus.ON_HOLD, "失效": OpportunityStatus.INVALID,
    "无效": OpportunityStatus.INVALID, "on hold": OpportunityStatus.ON_HOLD,
    **{code: code for code in OpportunityStatus.values},
}
DICTIONARIES = {"source": DictionaryKind.SOURCE, "category": DictionaryKind.OPPORTUNITY_TYPE,
                "lost_reason": DictionaryKind.LOST_REASON}
SERVICE_ERROR_FIELDS = {"customer_id": "customer", "stage_id": "stage", "owner_id": "owner", "source_id": "source",
                        "category_id": "category", "lost_reason_id": "lost_reason"}


@dataclass
class OpportunityImportContext:
    actor: Actor
    owner: object | None
    mapping: dict[int, str]
    writes: bool
    customers: dict[str, list[int]]
    stages: dict[str, int]
    users: list[dict]
    existing: dict[tuple[int, str], dict]
    dictionary_cache: dict = field(default_factory=dict)


class OpportunityResource:
    key = "opportunities"
    label = gettext_lazy("销售机会")
    permission = "opportunities.create"
    fields = OPPORTUNITY_FIELDS
    field_map = {f.name: f for f in OPPORTUNITY_FIELDS}
    service_error_fields = SERVICE_ERROR_FIELDS
    batch_inserts = False

    def auto_mapping(self, headers):
        from .resources import CustomerResource

        return CustomerResource.auto_mapping(self, headers)

    def check_mapping(self, mapping):
        from .resources import CustomerResource

        return CustomerResource.check_mapping(self, mapping)

    def begin(self, *, actor: Actor, owner, mapping, sheet, writes: bool) -> OpportunityImportContext:
        """The file's customers (exact names among visible ones), the stages and the colleagues, read once."""
        require(actor, self.permission)
        col = next((i for i, n in mapping.items() if n == "customer"), None)
        names = {cell_text(cells[col]) for _n, cells in sheet.rows if col is not None and col < len(cells)} - {""}
        customers: dict[str, list[int]] = {}
        for pk, name in visible(Customer, actor).filter(name__in=names).values_list("id", "name"):
            customers.setdefault(name, []).append(pk)
        existing = {}
        ids = [pk for pks in customers.values() for pk in pks]
        for row in visible(Opportunity, actor).filter(customer_id__in=ids).values("id", "customer_id", "title",
                                                                                   "owner__name"):
            existing.setdefault((row["customer_id"], row["title"]), {
                "id": row["id"], "name": row["title"], "owner": row["owner__name"]})
        return OpportunityImportContext(
            actor=actor, owner=owner, mapping=mapping, writes=writes, customers=customers,
            stages={s.name: s.pk for s in stages_active(actor)},
            users=selectors.active_users(actor=actor) if "owner" in mapping.values() else [], existing=existing)

    def parse(self, ctx: OpportunityImportContext, number: int, cells: list) -> ParsedRow:
        row = ParsedRow(number=number, cells=cells)
        values = {name: cells[index] for index, name in ctx.mapping.items() if index < len(cells)}
        data = row.data
        data["title"] = cell_text(values.get("title"))
        if not data["title"]:
            row.errors.append(("title", _("机会名称不能为空")))
        customer = cell_text(values.get("customer"))
        matches = ctx.customers.get(customer, [])
        if not customer:
            row.errors.append(("customer", _("客户名称不能为空")))
        elif not matches:
            row.errors.append(("customer", _("找不到客户“%(name)s”（须与您可见的客户名称完全一致）") % {"name": customer}))
        elif len(matches) > 1:
            row.errors.append(("customer", _("有多个客户叫“%(name)s”，无法确定是哪一个") % {"name": customer}))
        else:
            data["customer_id"] = matches[0]
        stage = cell_text(values.get("stage"))
        if stage:
            if stage in ctx.stages:
                data["stage_id"] = ctx.stages[stage]
            else:
                row.errors.append(("stage", _("找不到阶段“%(name)s”（可选：%(names)s）")
                                   % {"name": stage, "names": "、".join(ctx.stages)}))
        for name in ("amount", "probability", "competitors", "remarks"):
            if values.get(name) is not None:
                value = values[name]
                data[name] = value if isinstance(value, int | float | Decimal) and name != "competitors" \
                    else cell_text(value)
        if isinstance(data.get("amount"), float):
            data["amount"] = _money(data["amount"])
        if isinstance(data.get("probability"), float) and 0 < data["probability"] < 1:
            data["probability"] = round(data["probability"] * 100)  # a cell formatted as 35%
        if values.get("close_date") is not None:
            try:
                data["close_date"] = parse_date(values["close_date"], allow_serial=True)
            except ValueError as exc:
                row.errors.append(("close_date", str(exc)))
        status = cell_text(values.get("status"))
        if status:
            code = STATUS_WORDS.get(status.casefold()) or STATUS_WORDS.get(status)
            if code is None:
                row.errors.append(("status", _("状态只能填写 跟踪、赢单、输单、搁置 或 失效")))
            else:
                data["status"] = code
        for name, kind in DICTIONARIES.items():
            value = cell_text(values.get(name))
            if value:
                item = self._dictionary(ctx, kind, value)
                if item is not None:
                    data[f"{name}_id"] = item.pk
        owner = cell_text(values.get("owner"))
        if owner:
            user = self._owner(ctx, owner, row)
            if user is not None:
                data["owner_id"] = user.pk
        elif ctx.owner is not None and ctx.owner.pk != ctx.actor.user_id:
            data["owner_id"] = ctx.owner.pk
        if data.get("customer_id"):
            row.name_key = str(data["customer_id"])
        return row

    def duplicate_of(self, ctx, row: ParsedRow) -> dict | None:
        """The same title on the same customer (an existing opportunity or an earlier row of this file)."""
        return ctx.existing.get((row.data.get("customer_id"), row.data.get("title")))

    def remember(self, ctx, row: ParsedRow, opportunity) -> dict:
        match = {"id": opportunity.pk, "name": opportunity.title, "owner": ""}
        ctx.existing.setdefault((row.data.get("customer_id"), row.data.get("title")), match)
        return match

    def prepare(self, ctx, row):
        return None  # one service call a row: the probability rule and the stage history stay in one place

    def insert(self, ctx, records):  # pragma: no cover - prepare never batches
        raise NotImplementedError

    def needs_savepoint(self, row) -> bool:
        return False

    def create(self, ctx, row: ParsedRow, *, allow_duplicate: bool):
        return opportunity_create(actor=ctx.actor, data=row.data)

    def update(self, ctx, match: dict, row: ParsedRow):
        """Fills in the cells the row has; customer and title (the match key) stay."""
        data = {k: v for k, v in row.data.items() if k not in ("customer_id", "title") and v not in ("", None)}
        return opportunity_update(actor=ctx.actor, opportunity_id=match["id"], data=data)

    def template(self) -> tuple[list[str], list[str]]:
        shown = [f for f in self.fields if f.example or f.required]
        return [str(f.label) for f in shown], [str(f.example) for f in shown]

    def _dictionary(self, ctx, kind, value):
        """Matched by code or label, else added (never a row error), as for customers."""
        key = (kind, value.casefold())
        if key not in ctx.dictionary_cache:
            ctx.dictionary_cache[key] = dictionary_item_ensure(actor=ctx.actor, kind=kind, value=value) \
                if ctx.writes else None
        return ctx.dictionary_cache[key]

    def _owner(self, ctx, value: str, row):
        folded = value.casefold()
        matches = [u for u in ctx.users
                   if u["name"] == value or (u["email"] or "").casefold() == folded or u["mobile"] == value]
        if len(matches) == 1:
            if matches[0]["id"] != ctx.actor.user_id and not ctx.actor.can("opportunities", "transfer"):
                row.errors.append(("owner", _("您没有转移销售机会的权限，负责人只能填写您自己")))
                return None
            return _user_by_id(ctx, matches[0]["id"])
        if matches:
            row.errors.append(("owner", _("有多位同事叫“%(name)s”，请填写负责人的邮箱或手机") % {"name": value}))
        else:
            row.errors.append(("owner", _("找不到负责人“%(name)s”（请填写在职同事的姓名、邮箱或手机）") % {"name": value}))
        return None


def _money(value: float) -> str:
    # A spreadsheet number like 1200.5 is 1200.50; 1.234 stays wrong and gets the service's message
    # (as do inf / nan / 1e300: the service names the column).
    if not math.isfinite(value) or abs(value) >= 1e15:
        return repr(value)
    return repr(value) if value != int(value) else str(int(value))


# ---- export ------------------------------------------------------------------------------------------

def _amount(lookup):
    return lambda r: f"{r[lookup]:.2f}"


def _opportunity_columns() -> list[ExportColumn]:
    t, L = _text, gettext_lazy
    return [
        t("title", L("机会名称")), t("customer__name", L("客户名称")), t("stage__name", L("阶段")),
        ExportColumn(L("赢率（%）"), ("probability",), lambda r: str(r["probability"])),
        ExportColumn(L("预计金额"), ("amount",), _amount("amount")),
        ExportColumn(L("加权金额"), ("amount", "probability"),
                     lambda r: f"{weighted_amount(r['amount'], r['probability']):.2f}"),
        ExportColumn(L("预计成交日期"), ("close_date",), lambda r: r["close_date"], kind=DATE),
        _choice("status", L("状态"), OpportunityStatus.choices),
        ExportColumn(L("负责人"), ("owner__name", "owner__is_active"),
                     lambda r: owner_display(r["owner__name"], r["owner__is_active"])),
        t("source__name", L("机会来源")), t("category__name", L("机会类型")), t("lost_reason__name", L("输单原因")),
        t("competitors", L("竞争对手")), t("remarks", L("备注")),
        ExportColumn(L("进入当前阶段"), ("stage_entered_at",), lambda r: r["stage_entered_at"], kind=MOMENT),
        ExportColumn(L("最近跟进"), ("last_followup_at",), lambda r: r["last_followup_at"], kind=MOMENT),
        ExportColumn(L("创建时间"), ("created_at",), lambda r: r["created_at"], kind=MOMENT),
    ]


def opportunity_filters(params) -> tuple[OpportunityFilters, str, dict]:
    """The list's query parameters (web and API names are the same), the sort, and what was asked."""
    errors, values, asked = {}, {}, {}
    for name in ("q", "owner", "status"):
        value = (params.get(name) or "").strip()
        if value:
            values[name] = asked[name] = value[:100]
    for name in ("department", "stage", "customer", "stale_days"):
        value = (params.get(name) or "").strip()
        if value:
            if value.isdigit() and len(value) <= 18:
                values[name] = int(value)
                asked[name] = value
            else:
                errors[name] = _("必须是整数")
    for name in ("close_from", "close_to", "closed_from", "closed_to"):
        value = (params.get(name) or "").strip()
        if value:
            try:
                values[name] = datetime.date.fromisoformat(value)
                asked[name] = value
            except ValueError:
                errors[name] = _("日期格式应为 YYYY-MM-DD")
    for name in ("amount_min", "amount_max"):
        value = (params.get(name) or "").strip()
        if value:
            bound = parse_amount_filter(value, errors, name)
            if bound is not None:
                values[name] = bound
                asked[name] = value
    if values.get("owner") and not (values["owner"] in ("me", "none") or values["owner"].isdigit()):
        errors["owner"] = _("负责人应为用户 id、me 或 none")
    if values.get("status") and values["status"] not in OpportunityStatus.values:
        errors["status"] = _("状态只能是 tracking、won、lost、on_hold 或 invalid")
    if errors:
        raise InvalidInput(errors)
    values["q"] = text.clean_text(values.get("q", ""))
    sort = (params.get("sort") or "").strip()
    if sort:
        asked["sort"] = sort
    return OpportunityFilters(**values), sort, asked


class OpportunityExport:
    key = "opportunities"
    label = gettext_lazy("销售机会")
    permission = "opportunities.export"

    def columns(self, actor: Actor) -> list[ExportColumn]:
        return [c.resolved() if isinstance(c, _ChoiceColumn) else c for c in _opportunity_columns()]

    def rows(self, *, actor: Actor, params):
        filters, sort, asked = opportunity_filters(params)
        lookups = dict.fromkeys(lookup for c in self.columns(actor) for lookup in c.lookups)
        return opportunity_list(actor=actor, filters=filters, sort=sort).values("id", *lookups), asked
