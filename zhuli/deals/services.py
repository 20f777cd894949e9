"""Writes of contracts, orders (one Agreement table), quotes, attachments and numbering rules.

Every service checks the action and the row's scope first, enforces the rules, audits, and is atomic. Money is
parsed by zhuli.core.money (never float); a line is `line_amount(quantity, unit_price, discount)` and a total is
the sum of its rounded lines; `amount` (base currency) = round(foreign_amount × exchange_rate)."""
from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from zhuli.access.actor import Actor
from zhuli.access.scoping import get_visible_or_404, require, require_writable, visible
from zhuli.accounts.models import User
from zhuli.audit.services import audit_record
from zhuli.catalog.models import Product, ProductKind
from zhuli.core import text
from zhuli.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from zhuli.core.money import AMOUNT_MAX, CENT, MoneyError, line_amount, round_cents, to_decimal
from zhuli.core.uploads import check_document, store
from zhuli.customers.models import Customer
from zhuli.customers.services import customer_lock, customer_mark_signed
from zhuli.sales.models import Opportunity, OpportunityStatus
from zhuli.tenancy.context import require_tenant

from .models import (
    APPROVED_STATUS,
    DEFAULT_PATTERNS,
    Agreement,
    AgreementKind,
    AgreementLine,
    AgreementStatus,
    Attachment,
    NumberingRule,
    Quote,
    QuoteLine,
    ShippingState,
    agreement_can_become,
)
from .numbering import number_next, pattern_errors

CURRENCIES = ("CNY", "USD", "EUR", "HKD", "JPY", "GBP")
BASE_CURRENCY = "CNY"
RATE_MAX = Decimal("999999.999999")
RATE_PLACES = Decimal("0.000001")
# "One or a few items" for contracts; orders may be long.
CONTRACT_LINES_MAX = 20
ORDER_LINES_MAX = 500
TITLE_MAX = 200
SIGN_AHEAD_DAYS = 366  # a sign date may be planned, up to a year ahead
REMARKS_MAX = 5000
SHORT_MAX = {"customer_signer": 50, "delivery_address": 300, "delivery_contact": 50, "delivery_phone": 40,
             "contact_name": 50}
LINE_TEXT_MAX = {"name": 200, "specification": 200, "unit": 20}
KIND_LABELS = dict(AgreementKind.choices)
STATUS_LABELS = dict(AgreementStatus.choices)
# Fields of one kind only: sending the other kind's is refused, naming the field.
CONTRACT_ONLY = ("start_date", "end_date", "customer_signer", "our_signer_id")
ORDER_ONLY = ("delivery_address", "delivery_contact", "delivery_phone")
# What approval fixes: refused (409, naming the field) once the agreement is submitted.
AMOUNT_FIELDS = ("amount", "lines", "currency", "exchange_rate", "customer_id", "sign_date", "opportunity_id")
# What has been signed: in force, done, or (contracts) ended after being in force.
SIGNED_STATUSES = (AgreementStatus.ACTIVE, AgreementStatus.CONFIRMED, AgreementStatus.COMPLETED,
                   AgreementStatus.TERMINATED)
DETAIL_FIELDS = ("title", "start_date", "end_date", "customer_signer", "our_signer", "delivery_address",
                 "delivery_contact", "delivery_phone", "remarks")


# ---- parsing ---------------------------------------------------------------------------------------

def _int(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _money_message(exc: MoneyError) -> str:
    return _("金额过大") if exc.kind == "too_large" else _("金额应为数字，例如 12000 或 12000.50")


def parse_money(value, errors: dict, field: str, *, label: str = "", required: bool = False,
                positive: bool = False) -> Decimal | None:
    """≥ 0 (or > 0), at most two decimals ('最多两位小数'), at most AMOUNT_MAX; the message names the rule."""
    if _blank(value):
        if required:
            errors[field] = _("请填写%(label)s") % {"label": label or _("金额")}
        return None if required else Decimal("0.00")
    try:
        number = to_decimal(value)
    except MoneyError as exc:
        # A line's quantity or price must not be blamed on "the amount".
        if not label:
            errors[field] = _money_message(exc)
        elif exc.kind == "too_large":
            errors[field] = _("%(label)s过大") % {"label": label}
        else:
            errors[field] = _("%(label)s应为数字") % {"label": label}
        return None
    if number < 0:
        errors[field] = _("%(label)s不能为负数") % {"label": label or _("金额")}
    elif positive and number == 0:
        errors[field] = _("%(label)s须大于 0") % {"label": label or _("金额")}
    elif number != number.quantize(CENT):
        errors[field] = _("%(label)s最多两位小数") % {"label": label or _("金额")}
    else:
        return number.quantize(CENT)
    return None


def parse_percent(value, errors: dict, field: str, *, label: str) -> Decimal | None:
    """A rate in percent: 0–100, at most two decimals (a tax rate of 130% is refused)."""
    if _blank(value):
        return Decimal("0.00")
    raw = value.strip().rstrip("%％").strip() if isinstance(value, str) else value
    try:
        number = to_decimal(raw)
    except MoneyError:
        errors[field] = _("%(label)s应为 0 到 100 之间的数字") % {"label": label}
        return None
    if not 0 <= number <= 100:
        errors[field] = _("%(label)s应在 0 到 100 之间") % {"label": label}
    elif number != number.quantize(CENT):
        errors[field] = _("%(label)s最多两位小数") % {"label": label}
    else:
        return number.quantize(CENT)
    return None


def parse_date(value, errors: dict, field: str) -> datetime.date | None:
    if _blank(value):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        parsed = datetime.date.fromisoformat(str(value).strip().replace("/", "-"))
    except ValueError:
        parsed = None
    if parsed is None or not 2000 <= parsed.year <= 2100:
        errors[field] = _("日期无效，应为 YYYY-MM-DD，例如 2026-06-30")
        return None
    return parsed


def _text(value, errors: dict, field: str, limit: int, *, label: str = "", required: bool = False) -> str:
    cleaned = text.clean_text(value)
    if required and not cleaned:
        errors[field] = _("请填写%(label)s") % {"label": label}
    elif len(cleaned) > limit:
        errors[field] = _("最多 %(n)s 个字符") % {"n": limit}
    return cleaned


def parse_amount_filter(value, errors: dict, field: str) -> Decimal | None:
    """A list bound (amount_min / amount_max): blank is no bound; a bad one is named in `errors`."""
    if _blank(value):
        return None
    try:
        return to_decimal(value)
    except MoneyError as exc:
        errors[field] = _money_message(exc)
        return None


def _product(actor: Actor, value, errors: dict, field: str) -> Product | None:
    pk = _int(value)
    product = visible(Product, actor).select_related("unit").filter(pk=pk).first() if pk else None
    if product is None:
        errors[field] = _("产品不存在")
    return product


def parse_lines(actor: Actor, raw_lines, *, kind: str | None, current_products: frozenset = frozenset()
                ) -> list[dict]:
    """Lines as typed: each with its amount (line_amount). Contracts take service products or a free-text item;
    orders take physical products. Errors are keyed `lines.<n>.<field>` (n from 1)."""
    if raw_lines is None:
        return []
    if not isinstance(raw_lines, list | tuple):
        raise InvalidInput({"lines": _("明细应为列表")})
    limit = CONTRACT_LINES_MAX if kind == AgreementKind.CONTRACT else ORDER_LINES_MAX
    if len(raw_lines) > limit:
        raise InvalidInput({"lines": _("最多 %(n)s 条明细") % {"n": limit}})
    errors: dict = {}
    out = []
    for n, raw in enumerate(raw_lines, start=1):
        key = f"lines.{n}"
        if not isinstance(raw, dict):
            errors[key] = _("明细应为对象")
            continue
        product = None
        if not _blank(raw.get("product_id")):
            product = _product(actor, raw["product_id"], errors, f"{key}.product_id")
            if product is not None and not product.is_active and product.pk not in current_products:
                errors[f"{key}.product_id"] = _("产品“%(name)s”已停用") % {"name": product.name}
            elif product is not None and kind == AgreementKind.CONTRACT and product.kind != ProductKind.SERVICE:
                errors[f"{key}.product_id"] = _("合同只能包含服务类产品；实物产品请开订单")
            elif product is not None and kind == AgreementKind.ORDER and product.kind != ProductKind.PHYSICAL:
                errors[f"{key}.product_id"] = _("订单只能包含实物产品；服务类产品请签合同")
        elif kind == AgreementKind.ORDER:
            errors[f"{key}.product_id"] = _("订单明细请选择产品")
        name = _text(raw.get("name") or (product.name if product else ""), errors, f"{key}.name",
                     LINE_TEXT_MAX["name"], label=_("名称"), required=True)
        specification = _text(raw.get("specification") if "specification" in raw
                              else (product.specification if product else ""), errors, f"{key}.specification",
                              LINE_TEXT_MAX["specification"])
        unit_default = product.unit.name if product and product.unit_id else ""
        unit = _text(raw.get("unit") if not _blank(raw.get("unit")) else unit_default, errors, f"{key}.unit",
                     LINE_TEXT_MAX["unit"])
        quantity = parse_money(raw.get("quantity", "1"), errors, f"{key}.quantity", label=_("数量"),
                               required=True, positive=True)
        price_raw = raw.get("unit_price")
        if _blank(price_raw) and product is not None:
            price_raw = product.list_price
        unit_price = parse_money(price_raw, errors, f"{key}.unit_price", label=_("单价"), required=True)
        discount = parse_percent(raw.get("discount"), errors, f"{key}.discount", label=_("折扣"))
        tax_raw = raw.get("tax_rate")
        if _blank(tax_raw) and product is not None:
            tax_raw = product.tax_rate
        tax_rate = parse_percent(tax_raw, errors, f"{key}.tax_rate", label=_("税率"))
        amount = None
        if None not in (quantity, unit_price, discount):
            amount = line_amount(quantity, unit_price, discount)
            if amount > AMOUNT_MAX:
                errors[f"{key}.amount"] = _("金额过大")
        out.append({"product": product, "name": name, "specification": specification, "unit": unit,
                    "quantity": quantity, "unit_price": unit_price, "discount": discount, "tax_rate": tax_rate,
                    "amount": amount, "position": n})
    if kind is None:  # a quote becomes a contract (services) or an order (goods): not both kinds on one
        first = next((line["product"].kind for line in out if line["product"] is not None), None)
        for line in out:
            if line["product"] is not None and line["product"].kind != first:
                errors.setdefault(f"lines.{line['position']}.product_id",
                                  _("一张报价单的产品须同为服务类或同为实物：服务签合同，实物开订单，请分开报价"))
            elif line["product"] is None and first == ProductKind.PHYSICAL:  # it would not become an order
                errors.setdefault(f"lines.{line['position']}.product_id",
                                  _("实物产品的报价单每行都要选择产品（订单明细须为产品）"))
    if errors:
        raise InvalidInput(errors)
    return out


def lines_total(lines: list[dict]) -> Decimal:
    """The documented rule: the sum of the lines' rounded amounts."""
    return sum((line["amount"] for line in lines), Decimal("0.00"))


def _currency(data: dict, errors: dict, instance: Agreement | None) -> tuple[str, Decimal | None]:
    currency = data.get("currency", getattr(instance, "currency", BASE_CURRENCY)) or BASE_CURRENCY
    currency = str(currency).strip().upper()
    if currency not in CURRENCIES:
        errors["currency"] = _("币种只能是 %(codes)s") % {"codes": "、".join(CURRENCIES)}
        return currency, None
    if currency == BASE_CURRENCY:
        if not _blank(data.get("exchange_rate")):
            try:
                if to_decimal(data["exchange_rate"]) != 1:
                    errors["exchange_rate"] = _("人民币的汇率固定为 1")
            except MoneyError:
                errors["exchange_rate"] = _("汇率应为数字")
        return currency, Decimal("1")
    raw = data.get("exchange_rate")
    if _blank(raw):
        if instance is not None and instance.currency == currency and "exchange_rate" not in data:
            return currency, instance.exchange_rate
        errors["exchange_rate"] = _("外币请填写汇率（1 %(code)s 折合人民币）") % {"code": currency}
        return currency, None
    try:
        rate = to_decimal(raw)
    except MoneyError:
        errors["exchange_rate"] = _("汇率应为数字")
        return currency, None
    if rate <= 0:
        errors["exchange_rate"] = _("汇率须大于 0")
    elif rate != rate.quantize(RATE_PLACES):
        errors["exchange_rate"] = _("汇率最多六位小数")
    elif rate > RATE_MAX:
        errors["exchange_rate"] = _("汇率过大")
    else:
        return currency, rate.quantize(RATE_PLACES)
    return currency, None


def _visible_user(actor: Actor, value, errors: dict, field: str) -> User | None:
    pk = _int(value)
    user = visible(User, actor).filter(pk=pk).first() if pk else None
    if user is None:
        errors[field] = _("用户不存在")
    elif not user.is_active:
        errors[field] = _("该用户已离职")
        return None
    return user


def owner_in_scope(actor: Actor, user_id: int, module: str = "agreements") -> bool:
    """A new owner must be someone whose records of the module the actor sees."""
    grant = actor.grant(module)
    if grant is None:
        return False
    owners = actor.owner_ids(grant.scope)
    return owners is None or user_id in owners


def _owner(actor: Actor, value, errors: dict, *, current_id: int | None, module: str) -> User | None:
    if _blank(value) or _int(value) == current_id:
        return None
    owner = _visible_user(actor, value, errors, "owner_id")
    if owner is None:
        return None
    if owner.pk != actor.user_id or current_id is not None:
        if not actor.can(module, "transfer"):
            errors["owner_id"] = _("您不能指定其他负责人")
            return None
        if not owner_in_scope(actor, owner.pk, module):
            errors["owner_id"] = _("只能交给您管理范围内的同事")
            return None
    return owner


def _customer(actor: Actor, value, errors: dict) -> Customer | None:
    pk = _int(value)
    customer = visible(Customer, actor).filter(pk=pk).first() if pk else None
    if customer is None:
        errors["customer_id"] = _("请选择客户") if _blank(value) else _("客户不存在或无权查看")
    elif customer.owner_id is None:
        # As for opportunities: a customer in the pool is claimed before anyone sells to it.
        errors["customer_id"] = _("请先领取该客户，再签合同、下订单或报价")
        return None
    return customer


def _opportunity(actor: Actor, value, errors: dict, customer: Customer | None) -> Opportunity | None:
    if _blank(value):
        return None
    pk = _int(value)
    opp = visible(Opportunity, actor).filter(pk=pk).first() if pk else None
    if opp is None:
        errors["opportunity_id"] = _("销售机会不存在或无权查看")
    elif customer is not None and opp.customer_id != customer.pk:
        errors["opportunity_id"] = _("销售机会“%(title)s”不属于该客户") % {"title": opp.title}
    elif opp.status in (OpportunityStatus.LOST, OpportunityStatus.INVALID):
        errors["opportunity_id"] = _("销售机会“%(title)s”已%(status)s，不能签约") % {
            "title": opp.title, "status": opp.get_status_display()}
    return opp


# ---- agreements ------------------------------------------------------------------------------------

class AgreementExists(Conflict):
    """An opportunity converts into one agreement: the existing one is named (and linked when visible)."""

    def __init__(self, existing: Agreement, *, visible_to_actor: bool):
        label = KIND_LABELS[existing.kind]
        super().__init__(_("该销售机会已转为%(kind)s %(number)s") % {"kind": label, "number": existing.number},
                         code="agreement_exists", field="opportunity_id")
        self.existing = existing
        self.visible_to_actor = visible_to_actor


def _check_kind(kind: str) -> None:
    if kind not in AgreementKind.values:
        raise InvalidInput({"kind": _("类型只能是 contract 或 order")})


def _check_feature(actor: Actor, kind: str) -> None:
    setting = actor.tenant.feature("agreements") or "both"
    if setting not in ("both", kind):
        raise Conflict(_("贵公司未启用%(kind)s") % {"kind": KIND_LABELS[kind]}, code="feature_off")


def _refuse_other_kind(kind: str, data: dict) -> None:
    other = ORDER_ONLY if kind == AgreementKind.CONTRACT else CONTRACT_ONLY
    given = [f for f in other if not _blank(data.get(f))]
    if given:
        message = _("合同没有此字段") if kind == AgreementKind.CONTRACT else _("订单没有此字段")
        raise InvalidInput({f: message for f in given})


def _clean_agreement(actor: Actor, kind: str, data: dict, *, instance: Agreement | None) -> dict:
    """The plain fields given (create: all); raises InvalidInput naming every bad one."""
    errors: dict = {}
    out: dict = {}
    if "title" in data or instance is None:
        out["title"] = _text(data.get("title"), errors, "title", TITLE_MAX, label=_("标题"), required=True)
    for f in ("sign_date", "start_date", "end_date"):
        if f in data:
            out[f] = parse_date(data[f], errors, f)
    for f in ("customer_signer", "delivery_address", "delivery_contact", "delivery_phone"):
        if f in data:
            out[f] = _text(data[f], errors, f, SHORT_MAX[f])
    if "remarks" in data:
        out["remarks"] = _text(data["remarks"], errors, "remarks", REMARKS_MAX)
    if "our_signer_id" in data:
        out["our_signer"] = None if _blank(data["our_signer_id"]) else \
            _visible_user(actor, data["our_signer_id"], errors, "our_signer_id")
    if "amount" in data:
        out["amount"] = parse_money(data["amount"], errors, "amount", label=_("金额"))
    if "currency" in data or "exchange_rate" in data or instance is None:
        out["currency"], out["exchange_rate"] = _currency(data, errors, instance)
    if errors:
        raise InvalidInput(errors)
    start = out.get("start_date", getattr(instance, "start_date", None))
    end = out.get("end_date", getattr(instance, "end_date", None))
    sign = out.get("sign_date", getattr(instance, "sign_date", None))
    if start and end and end < start:
        raise InvalidInput({"end_date": _("结束日期不能早于开始日期")})
    if sign and end and end < sign:
        raise InvalidInput({"end_date": _("结束日期不能早于签约日期 %(d)s") % {"d": sign.isoformat()}})
    if out.get("sign_date") and out["sign_date"] > actor.tenant.today() + datetime.timedelta(days=SIGN_AHEAD_DAYS):
        raise InvalidInput({"sign_date": _("签约日期不能晚于一年以后")})
    return out


def _apply_money(agreement: Agreement, *, lines: list[dict] | None, amount: Decimal | None) -> None:
    """foreign_amount from the lines (or the typed amount of a contract without lines); amount in CNY."""
    if lines:
        total = lines_total(lines)
        if amount is not None and amount != total and amount != Decimal("0.00"):
            raise InvalidInput({"amount": _("金额应等于明细合计 %(total)s，或不填") % {"total": f"{total:,.2f}"}})
        agreement.foreign_amount = total
    elif amount is not None:
        if agreement.kind == AgreementKind.ORDER and amount:
            raise InvalidInput({"amount": _("订单金额由明细计算，请添加明细")})
        agreement.foreign_amount = amount
    agreement.amount = round_cents(agreement.foreign_amount * agreement.exchange_rate)
    if agreement.amount > AMOUNT_MAX:
        raise InvalidInput({"amount": _("金额过大")})
    agreement.max_discount = max((line["discount"] for line in lines), default=Decimal("0.00")) \
        if lines is not None else agreement.max_discount
    floor = max(agreement.received_amount, agreement.invoiced_amount, agreement.planned_amount)
    if agreement.pk and agreement.amount < floor:
        raise Conflict(_("金额不能小于已计划、已回款或已开票的金额 %(n)s") % {"n": f"{floor:,.2f}"}, field="amount")


def _save_lines(agreement: Agreement, lines: list[dict]) -> None:
    AgreementLine.objects.filter(agreement=agreement).delete()
    AgreementLine.objects.bulk_create([AgreementLine(tenant_id=agreement.tenant_id, agreement=agreement, **line)
                                       for line in lines])


def _new_number(model, doc_type: str, on_date: datetime.date) -> str:
    # Imported documents may already hold a number the sequence has not reached: skip those.
    for _attempt in range(20):
        number = number_next(doc_type, on_date)
        if not model.objects.filter(number=number).exists():
            return number
    raise Conflict(_("编号已被占用，请检查编号规则"))


def _guard_opportunity(actor: Actor, opportunity: Opportunity | None, *, exclude_pk=None) -> None:
    if opportunity is None:
        return
    existing = (Agreement.objects.filter(opportunity=opportunity).exclude(pk=exclude_pk)
                .exclude(status=AgreementStatus.CANCELLED).first())
    if existing is not None:
        seen = visible(Agreement, actor).filter(pk=existing.pk).exists()
        raise AgreementExists(existing, visible_to_actor=seen)


def _insert(actor: Actor, agreement: Agreement) -> None:
    """The insert, mapping a lost race on the one-per-opportunity constraint to the same 409."""
    try:
        with transaction.atomic():
            agreement.save()
    except IntegrityError:
        if agreement.opportunity_id:
            _guard_opportunity(actor, agreement.opportunity)
        raise


def _billing():
    try:
        from zhuli.billing import services
    except ImportError:
        return None
    return services


def _follow_owner(agreement: Agreement, *, old_owner_id: int | None, old_customer_id: int | None) -> None:
    """Billing rows carry a copy of the agreement's owner (fast receivables); billing keeps them in step."""
    billing = _billing()
    if billing is not None:
        billing.billing_follow_agreement_owner(agreement, old_owner_id=old_owner_id,
                                               old_customer_id=old_customer_id)


def _billing_follow(agreements: list[Agreement], *, old_owner_id: int | None = None) -> None:
    """Billing's receivables follow a status or owner change (its rows carry the owner; its rollups count the
    agreements in force)."""
    billing = _billing()
    if billing is not None:
        billing.billing_agreements_changed(agreements, old_owner_id=old_owner_id)


@transaction.atomic
def agreement_create(*, actor: Actor, kind: str, data: dict, lines: list | None = None,
                     quote: Quote | None = None) -> Agreement:
    """A draft contract or order on a visible customer (and optionally one of its opportunities, converted at
    most once), numbered by the tenant's rule, owned by the creator unless a manager names someone in scope."""
    _check_kind(kind)
    require(actor, "agreements.create")
    _check_feature(actor, kind)
    _refuse_other_kind(kind, data)
    errors: dict = {}
    customer = _customer(actor, data.get("customer_id"), errors)
    opportunity = _opportunity(actor, data.get("opportunity_id"), errors, customer)
    owner = _owner(actor, data.get("owner_id"), errors, current_id=None, module="agreements")
    try:
        cleaned = _clean_agreement(actor, kind, data, instance=None)
    except InvalidInput as exc:
        errors.update(exc.errors)
        cleaned = {}
    try:
        parsed = parse_lines(actor, lines, kind=kind)
    except InvalidInput as exc:
        errors.update(exc.errors)
        parsed = []
    if errors:
        raise InvalidInput(errors)
    _guard_opportunity(actor, opportunity)
    amount = cleaned.pop("amount", None)
    owner = owner or actor.user
    if owner is None:
        raise InvalidInput({"owner_id": _("请选择负责人")})
    doc_date = cleaned.get("sign_date") or actor.tenant.today()
    agreement = Agreement(kind=kind, customer=customer, opportunity=opportunity, quote=quote, owner=owner,
                          created_by_id=actor.user_id, status=AgreementStatus.DRAFT,
                          shipping_state=ShippingState.NONE if kind == AgreementKind.ORDER else "",
                          number=_new_number(Agreement, kind, doc_date), **cleaned)
    _apply_money(agreement, lines=parsed, amount=amount)
    _insert(actor, agreement)
    _save_lines(agreement, parsed)
    audit_record(actor=actor, action=f"{kind}.create", target=agreement,
                 changes={"number": agreement.number, "customer": customer.name, "amount": agreement.amount,
                          "currency": agreement.currency, "owner": owner.name,
                          "opportunity": opportunity.title if opportunity else None})
    return agreement


def _locked(actor: Actor, agreement_id, kind: str | None = None) -> Agreement:
    qs = visible(Agreement, actor).select_related("customer", "owner").select_for_update(of=("self",))
    if kind:
        qs = qs.filter(kind=kind)
    return get_visible_or_404(Agreement, actor, agreement_id, queryset=qs)


@transaction.atomic
def agreement_update(*, actor: Actor, agreement_id: int, data: dict, lines: list | None = None,
                     kind: str | None = None) -> Agreement:
    """Edits the fields given (`lines` None: lines unchanged). A submitted or approved agreement's amount, lines,
    currency, rate, customer and sign date cannot change (409 naming the field); details can while in force."""
    agreement = _locked(actor, agreement_id, kind)
    require(actor, "agreements.edit")
    if not agreement.can_edit:
        raise Conflict(_("“%(status)s”的%(kind)s不能修改") % {"status": STATUS_LABELS[agreement.status],
                                                          "kind": KIND_LABELS[agreement.kind]}, code="status")
    _refuse_other_kind(agreement.kind, data)
    if not agreement.can_edit_amount:
        asked = [f for f in AMOUNT_FIELDS if f in data and _changes(agreement, f, data[f])]
        if lines is not None:
            asked.append("lines")
        if asked:
            raise Conflict(_("已审批的%(kind)s不能修改金额、明细、币种、客户或签约日期")
                           % {"kind": KIND_LABELS[agreement.kind]}, code="locked", field=asked[0])
    errors: dict = {}
    customer = agreement.customer
    if not _blank(data.get("customer_id")) and _int(data["customer_id"]) != agreement.customer_id:
        customer = _customer(actor, data["customer_id"], errors)
    opportunity = agreement.opportunity
    if "opportunity_id" in data and _int(data["opportunity_id"]) != agreement.opportunity_id:
        opportunity = _opportunity(actor, data["opportunity_id"], errors, customer)
    elif opportunity is not None and customer is not None and opportunity.customer_id != customer.pk:
        errors["customer_id"] = _("客户须与销售机会的客户一致")
    owner = _owner(actor, data.get("owner_id"), errors, current_id=agreement.owner_id, module="agreements")
    try:
        cleaned = _clean_agreement(actor, agreement.kind, data, instance=agreement)
    except InvalidInput as exc:
        errors.update(exc.errors)
        cleaned = {}
    if cleaned.get("sign_date"):
        _plans_after_sign(agreement, cleaned["sign_date"], errors)
    parsed = None
    if lines is not None:
        current = frozenset(agreement.lines.exclude(product=None).values_list("product_id", flat=True))
        try:
            parsed = parse_lines(actor, lines, kind=agreement.kind, current_products=current)
        except InvalidInput as exc:
            errors.update(exc.errors)
    if errors:
        raise InvalidInput(errors)
    _guard_opportunity(actor, opportunity, exclude_pk=agreement.pk)
    amount = cleaned.pop("amount", None)
    tracked = ("title", "sign_date", "start_date", "end_date", "customer_signer", "our_signer_id", "currency",
               "exchange_rate", "foreign_amount", "amount", "delivery_address", "delivery_contact",
               "delivery_phone", "remarks", "customer_id", "opportunity_id", "owner_id")
    before = {f: getattr(agreement, f) for f in tracked}
    for key, value in cleaned.items():
        setattr(agreement, key, value)
    agreement.customer, agreement.opportunity = customer, opportunity
    if owner is not None:
        agreement.owner = owner
    money_changed = parsed is not None or amount is not None or "currency" in cleaned
    if money_changed:
        if parsed is None and agreement.lines.exists():
            parsed_current = [{"amount": a, "discount": d} for a, d in agreement.lines.values_list("amount", "discount")]
            _apply_money(agreement, lines=parsed_current, amount=amount)
        else:
            _apply_money(agreement, lines=parsed, amount=amount)
    agreement.save()
    if parsed is not None:
        _save_lines(agreement, parsed)
    changes = {f: [before[f], getattr(agreement, f)] for f in tracked if before[f] != getattr(agreement, f)}
    if parsed is not None:
        changes["lines"] = len(parsed)
    if "owner_id" in changes or "customer_id" in changes:
        _follow_owner(agreement, old_owner_id=before["owner_id"], old_customer_id=before["customer_id"])
    if changes:
        audit_record(actor=actor, action=f"{agreement.kind}.update", target=agreement, changes=changes)
    return agreement


def _changes(agreement: Agreement, field: str, value) -> bool:
    """Whether a locked field is really being changed (an API client may resend the current value)."""
    if field in ("customer_id", "opportunity_id"):
        return _int(value) != getattr(agreement, field) and not (_blank(value) and getattr(agreement, field) is None)
    if field == "sign_date":
        errors: dict = {}
        return parse_date(value, errors, field) != agreement.sign_date or bool(errors)
    if field == "currency":
        return str(value or "").strip().upper() != agreement.currency
    if field == "exchange_rate":
        try:
            return _blank(value) is False and to_decimal(value) != agreement.exchange_rate
        except MoneyError:
            return True
    if field == "amount":
        try:
            return _blank(value) is False and to_decimal(value) != agreement.foreign_amount
        except MoneyError:
            return True
    return True


@transaction.atomic
def agreement_delete(*, actor: Actor, agreement_id: int, kind: str | None = None) -> None:
    """Only drafts are deleted (with their lines and attachments); anything submitted is terminated/cancelled."""
    agreement = _locked(actor, agreement_id, kind)
    require(actor, "agreements.delete")
    if not agreement.can_delete:
        labels = {"status": STATUS_LABELS[agreement.status], "kind": KIND_LABELS[agreement.kind]}
        ended = agreement.status in (AgreementStatus.COMPLETED, AgreementStatus.TERMINATED, AgreementStatus.CANCELLED)
        raise Conflict((_("只能删除草稿；“%(status)s”的%(kind)s作为记录保留") if ended else
                        _("只能删除草稿；“%(status)s”的%(kind)s请终止或取消")) % labels, code="status")
    if agreement.payments.exists():
        raise Conflict(_("已有回款记录，不能删除"), code="has_payments")
    names = list(agreement.attachments.values_list("stored_name", flat=True))
    audit_record(actor=actor, action=f"{agreement.kind}.delete", target=agreement,
                 changes={"number": agreement.number, "amount": agreement.amount})
    agreement.delete()
    transaction.on_commit(lambda: [default_storage.delete(n) for n in names])


def _set_status(actor: Actor, agreement: Agreement, target: str, *, action: str, changes: dict | None = None) -> None:
    """The one place an agreement's status moves: allowed by AGREEMENT_TRANSITIONS and conditional on the status
    read (a concurrent change makes this one a 409, on SQLite too)."""
    if not agreement_can_become(agreement.kind, agreement.status, target):
        raise Conflict(_("“%(status)s”的%(kind)s不能改为“%(to)s”")
                       % {"status": STATUS_LABELS[agreement.status], "kind": KIND_LABELS[agreement.kind],
                          "to": STATUS_LABELS[target]}, code="transition")
    moved = Agreement.objects.filter(pk=agreement.pk, status=agreement.status).update(
        status=target, updated_at=timezone.now())
    if not moved:
        raise Conflict(_("状态已被他人修改，请刷新后重试"), code="stale")
    before, agreement.status = agreement.status, target
    _billing_follow([agreement])
    audit_record(actor=actor, action=f"{agreement.kind}.{action}", target=agreement,
                 changes={"status": [before, target], **(changes or {})})


def _plans_after_sign(agreement: Agreement, sign: datetime.date, errors: dict) -> None:
    """No instalment may fall due before the sign date (billing's rule, kept when the date moves)."""
    earliest = agreement.plans.order_by("due_date").values_list("due_date", flat=True).first() if agreement.pk \
        else None
    if earliest and earliest < sign:
        errors["sign_date"] = _("已有回款计划在 %(d)s 到期，签约日期不能晚于它；请先调整回款计划") % {
            "d": earliest.isoformat()}


def agreement_submit_check(agreement: Agreement) -> None:
    """What a document needs before it is submitted: a sign date (no instalment due before it), an amount, lines
    for an order."""
    errors: dict = {}
    if agreement.sign_date is None:
        errors["sign_date"] = _("提交前请填写签约日期")
    else:
        _plans_after_sign(agreement, agreement.sign_date, errors)
    if agreement.opportunity_id and agreement.opportunity.status in (OpportunityStatus.LOST, OpportunityStatus.INVALID):
        errors["opportunity_id"] = _("销售机会“%(title)s”已%(status)s，不能签约") % {
            "title": agreement.opportunity.title, "status": agreement.opportunity.get_status_display()}
    if agreement.amount <= 0:
        errors["amount"] = _("提交前请填写金额（须大于 0）")
    if agreement.kind == AgreementKind.ORDER and not agreement.lines.exists():
        errors["lines"] = _("订单至少需要一条明细")
    if agreement.start_date and agreement.end_date and agreement.end_date < agreement.start_date:
        errors["end_date"] = _("结束日期不能早于开始日期")
    if errors:
        raise InvalidInput(errors)


@transaction.atomic
def agreement_submit(*, actor: Actor, agreement_id: int, kind: str | None = None) -> Agreement:
    """Draft → 待审批 through the approval engine; when no rule matches it is in force at once (执行中 / 已确认)."""
    agreement = _locked(actor, agreement_id, kind)
    require(actor, "agreements.edit")
    if not agreement.can_submit:
        raise Conflict(_("只有草稿可以提交"), code="transition")
    agreement_submit_check(agreement)
    _set_status(actor, agreement, AgreementStatus.PENDING, action="submit")
    request = _approval_submit(actor, agreement)
    if request is None:
        _set_status(actor, agreement, agreement.approved_status, action="approved",
                    changes={"note": _("无需审批")})
        _customer_signed(agreement)
    return agreement


def _approval_submit(actor: Actor, agreement: Agreement):
    try:
        from zhuli.approvals.services import approval_submit
    except ImportError:
        return None
    return approval_submit(actor=actor, doc_type=agreement.kind, obj=agreement)


def agreement_on_approved(*, actor: Actor, obj: Agreement) -> None:
    """Approval callback: the last step approved puts the agreement in force."""
    agreement = Agreement.objects.select_for_update().get(pk=obj.pk)
    if agreement.status == AgreementStatus.PENDING:
        _set_status(actor, agreement, agreement.approved_status, action="approved")
        _customer_signed(agreement)


def _customer_signed(agreement: Agreement) -> None:
    # The customer row is locked before counting, so two of its agreements coming into force at once count
    # each other. A terminated contract was in force before, so it counts as signed; a cancelled order may not.
    customer_lock(customer_id=agreement.customer_id)
    signed = Agreement.objects.filter(customer_id=agreement.customer_id, status__in=SIGNED_STATUSES).count()
    customer_mark_signed(customer_id=agreement.customer_id, signed_on=agreement.sign_date, signed_count=signed)


def agreement_on_rejected(*, actor: Actor, obj: Agreement, comment: str = "") -> None:
    """Approval callback: a rejection (or a withdrawal) sends the agreement back to draft for changes."""
    agreement = Agreement.objects.select_for_update().get(pk=obj.pk)
    if agreement.status == AgreementStatus.PENDING:
        _set_status(actor, agreement, AgreementStatus.DRAFT, action="rejected", changes={"comment": comment})


def agreement_amount_of(obj: Agreement) -> Decimal:
    return obj.amount


def agreement_discount_of(obj: Agreement) -> Decimal:
    return obj.max_discount


def pending_request(agreement: Agreement):
    """The agreement's approval request awaiting a decision (None without one, or without the engine)."""
    try:
        from zhuli.approvals.selectors import approval_pending_for
    except ImportError:
        return None
    return approval_pending_for(agreement.kind, agreement.pk)


@transaction.atomic
def agreement_decide(*, actor: Actor, agreement_id: int, decision: str, comment: str = "",
                     kind: str | None = None) -> Agreement:
    """approve / reject the agreement's pending approval step (the engine checks who may decide)."""
    agreement = get_visible_or_404(Agreement, actor, agreement_id,
                                   queryset=visible(Agreement, actor).filter(**({"kind": kind} if kind else {})))
    if decision not in ("approve", "reject"):
        raise InvalidInput({"decision": _("只能是 approve 或 reject")})
    request = pending_request(agreement) if agreement.status == AgreementStatus.PENDING else None
    if request is None:
        raise Conflict(_("该%(kind)s没有待审批的申请") % {"kind": KIND_LABELS[agreement.kind]}, code="no_pending")
    from zhuli.approvals.services import approval_decide

    approval_decide(actor=actor, request_id=request.pk, decision=decision, comment=comment)
    agreement.refresh_from_db()
    return agreement


@transaction.atomic
def agreement_withdraw(*, actor: Actor, agreement_id: int, kind: str | None = None) -> Agreement:
    """The submitter (or an editor) takes a pending agreement back to draft."""
    agreement = _locked(actor, agreement_id, kind)
    require(actor, "agreements.edit")
    if not agreement.can_withdraw:
        raise Conflict(_("只有待审批的单据可以撤回"), code="transition")
    request = pending_request(agreement)
    if request is not None:
        from zhuli.approvals.services import approval_withdraw

        approval_withdraw(actor=actor, request_id=request.pk)
        agreement.refresh_from_db()
    if agreement.status == AgreementStatus.PENDING:
        _set_status(actor, agreement, AgreementStatus.DRAFT, action="withdraw")
    return agreement


@transaction.atomic
def agreement_complete(*, actor: Actor, agreement_id: int, kind: str | None = None) -> Agreement:
    """执行中 / 已确认 → 已完成."""
    agreement = _locked(actor, agreement_id, kind)
    require(actor, "agreements.edit")
    _set_status(actor, agreement, AgreementStatus.COMPLETED, action="complete")
    return agreement


@transaction.atomic
def contract_terminate(*, actor: Actor, agreement_id: int, reason: str = "") -> Agreement:
    """A contract in force ends early (已终止); the reason is audited."""
    agreement = _locked(actor, agreement_id, AgreementKind.CONTRACT)
    require(actor, "agreements.edit")
    _set_status(actor, agreement, AgreementStatus.TERMINATED, action="terminate",
                changes={"reason": text.clean_text(reason)[:500]})
    return agreement


@transaction.atomic
def order_cancel(*, actor: Actor, agreement_id: int, reason: str = "") -> Agreement:
    """A draft or confirmed order is cancelled — refused (409) once a payment is recorded against it."""
    agreement = _locked(actor, agreement_id, AgreementKind.ORDER)
    require(actor, "agreements.edit")
    # Returned (rejected) payments never counted: any other payment, confirmed or awaiting it, blocks.
    if agreement.received_amount > 0 or agreement.payments.exclude(status="rejected").exists():
        raise Conflict(_("订单已有回款记录，不能取消"), code="has_payments")
    # Requested, approved or issued invoices: withdrawn or voided (作废) first, so nothing stays invoiced on it.
    if agreement.invoiced_amount > 0 or agreement.invoices.filter(status__in=("requested", "approved", "issued")).exists():
        raise Conflict(_("订单已有发票或开票申请，请先撤回申请或作废发票再取消"), code="has_invoices")
    _set_status(actor, agreement, AgreementStatus.CANCELLED, action="cancel",
                changes={"reason": text.clean_text(reason)[:500]})
    return agreement


def opportunity_convertible(*, actor: Actor, opportunity_id, kind: str) -> Opportunity:
    """The won, visible, not yet converted opportunity a contract or order may be made from (else 404 / 409)."""
    _check_kind(kind)
    require(actor, "agreements.create")
    opp = get_visible_or_404(Opportunity, actor, opportunity_id,
                             queryset=visible(Opportunity, actor).select_related("customer", "owner"))
    if opp.status != OpportunityStatus.WON:
        raise Conflict(_("只有赢单的销售机会可以转为合同或订单"), code="not_won")
    _guard_opportunity(actor, opp)
    return opp


def conversion_owner_id(actor: Actor, opp: Opportunity) -> int | None:
    """The opportunity's owner keeps the agreement when the actor may hand it to them."""
    if opp.owner_id != actor.user_id and opp.owner.is_active and actor.can("agreements", "transfer") \
            and owner_in_scope(actor, opp.owner_id):
        return opp.owner_id
    return None


@transaction.atomic
def agreement_from_opportunity(*, actor: Actor, opportunity_id, kind: str) -> Agreement:
    """A won opportunity becomes a draft contract or order (once: a second attempt is a 409 naming the first),
    on its customer, with its title, owned by the opportunity's owner; a contract takes its amount, an order
    (amount from lines only) starts without lines and its edit page shows the opportunity's amount as a hint."""
    opp = opportunity_convertible(actor=actor, opportunity_id=opportunity_id, kind=kind)
    data = {"customer_id": opp.customer_id, "opportunity_id": opp.pk, "title": opp.title,
            "sign_date": actor.tenant.today()}
    if kind == AgreementKind.CONTRACT:
        data["amount"] = opp.amount
    if owner_id := conversion_owner_id(actor, opp):
        data["owner_id"] = owner_id
    return agreement_create(actor=actor, kind=kind, data=data, lines=[])


# ---- attachments -----------------------------------------------------------------------------------

ATTACHMENT_MAX_COUNT = 30
CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


@transaction.atomic
def attachment_add(*, actor: Actor, agreement_id: int, upload, kind: str | None = None) -> Attachment:
    """A PDF or an image, judged by its content (zhuli.core.uploads.check_document), stored under a random name."""
    agreement = _locked(actor, agreement_id, kind)
    require(actor, "agreements.edit")
    if agreement.status in ("completed", "terminated", "cancelled"):
        raise Conflict(_("已结束的单据不能再添加附件"), code="status")
    if agreement.attachments.count() >= ATTACHMENT_MAX_COUNT:
        raise Conflict(_("最多 %(n)s 个附件") % {"n": ATTACHMENT_MAX_COUNT}, field="file")
    checked = check_document(upload, field="file")
    name = store(checked, folder=f"attachments/{require_tenant().pk}")
    # The name as uploaded, but ending in what the content is (a PDF named poly.exe downloads as poly.pdf).
    stem = text.clean_text(checked.original_name).rsplit(".", 1)[0][-190:] or agreement.number
    original = f"{stem}.{checked.extension}"
    attachment = Attachment.objects.create(agreement=agreement, stored_name=name, original_name=original,
                                           content_type=CONTENT_TYPES[checked.kind], size=len(checked.content),
                                           uploaded_by_id=actor.user_id)
    audit_record(actor=actor, action=f"{agreement.kind}.attachment_add", target=agreement,
                 changes={"file": original, "size": attachment.size})
    return attachment


@transaction.atomic
def attachment_remove(*, actor: Actor, attachment_id: int, agreement_id: int | None = None) -> None:
    attachment = get_visible_or_404(Attachment, actor, attachment_id,
                                    queryset=visible(Attachment, actor).select_related("agreement"))
    if agreement_id is not None and attachment.agreement_id != _int(agreement_id):
        raise NotFound(_("记录不存在或无权查看"))
    require(actor, "agreements.edit")
    agreement = attachment.agreement
    audit_record(actor=actor, action=f"{agreement.kind}.attachment_remove", target=agreement,
                 changes={"file": attachment.original_name})
    name = attachment.stored_name
    attachment.delete()
    transaction.on_commit(lambda: default_storage.delete(name))


# ---- quotes ----------------------------------------------------------------------------------------

def _clean_quote(actor: Actor, data: dict, *, instance: Quote | None) -> dict:
    errors: dict = {}
    out: dict = {}
    if "title" in data or instance is None:
        out["title"] = _text(data.get("title"), errors, "title", TITLE_MAX, label=_("报价主题"), required=True)
    for f in ("quote_date", "valid_until"):
        if f in data:
            out[f] = parse_date(data[f], errors, f)
    if "contact_name" in data:
        out["contact_name"] = _text(data["contact_name"], errors, "contact_name", SHORT_MAX["contact_name"])
    if "remarks" in data:
        out["remarks"] = _text(data["remarks"], errors, "remarks", REMARKS_MAX)
    if "status" in data and not _blank(data["status"]):
        allowed = (Quote.Status.DRAFT, Quote.Status.SENT, Quote.Status.ACCEPTED, Quote.Status.REJECTED)
        if data["status"] not in allowed:
            errors["status"] = _("状态只能是 draft、sent、accepted 或 rejected（转换由转为合同/订单完成）")
        else:
            out["status"] = data["status"]
    if errors:
        raise InvalidInput(errors)
    start = out.get("quote_date") or getattr(instance, "quote_date", None)
    until = out.get("valid_until", getattr(instance, "valid_until", None))
    if start and until and until < start:
        raise InvalidInput({"valid_until": _("有效期不能早于报价日期")})
    return out


def _save_quote_lines(quote: Quote, lines: list[dict]) -> None:
    QuoteLine.objects.filter(quote=quote).delete()
    QuoteLine.objects.bulk_create([QuoteLine(tenant_id=quote.tenant_id, quote=quote, **line) for line in lines])


@transaction.atomic
def quote_create(*, actor: Actor, data: dict, lines: list | None = None) -> Quote:
    """A quote for a visible customer (optionally one of its opportunities); total = sum of the rounded lines."""
    require(actor, "quotes.create")
    errors: dict = {}
    customer = _customer(actor, data.get("customer_id"), errors)
    opportunity = _opportunity(actor, data.get("opportunity_id"), errors, customer)
    owner = _owner(actor, data.get("owner_id"), errors, current_id=None, module="quotes")
    try:
        cleaned = _clean_quote(actor, data, instance=None)
    except InvalidInput as exc:
        errors.update(exc.errors)
        cleaned = {}
    try:
        parsed = parse_lines(actor, lines, kind=None)
    except InvalidInput as exc:
        errors.update(exc.errors)
        parsed = []
    if errors:
        raise InvalidInput(errors)
    cleaned["quote_date"] = cleaned.get("quote_date") or actor.tenant.today()
    owner = owner or actor.user
    if owner is None:
        raise InvalidInput({"owner_id": _("请选择负责人")})
    quote = Quote(customer=customer, opportunity=opportunity, owner=owner, created_by_id=actor.user_id,
                  number=_new_number(Quote, "quote", cleaned["quote_date"]), total=lines_total(parsed), **cleaned)
    if quote.total > AMOUNT_MAX:
        raise InvalidInput({"lines": _("金额过大")})
    quote.save()
    _save_quote_lines(quote, parsed)
    audit_record(actor=actor, action="quote.create", target=quote,
                 changes={"number": quote.number, "customer": customer.name, "total": quote.total})
    return quote


def _quote_locked(actor: Actor, quote_id) -> Quote:
    qs = visible(Quote, actor).select_related("customer", "opportunity").select_for_update(of=("self",))
    return get_visible_or_404(Quote, actor, quote_id, queryset=qs)


@transaction.atomic
def quote_update(*, actor: Actor, quote_id: int, data: dict, lines: list | None = None) -> Quote:
    """Edits a quote not yet converted; the customer stays."""
    quote = _quote_locked(actor, quote_id)
    require(actor, "quotes.edit")
    if not quote.can_edit:
        raise Conflict(_("已转为合同/订单的报价单不能修改"), code="status")
    if not _blank(data.get("customer_id")) and _int(data["customer_id"]) != quote.customer_id:
        raise InvalidInput({"customer_id": _("报价单创建后不能更换客户")})
    errors: dict = {}
    opportunity = quote.opportunity
    if "opportunity_id" in data and _int(data["opportunity_id"]) != quote.opportunity_id:
        opportunity = _opportunity(actor, data["opportunity_id"], errors, quote.customer)
    owner = _owner(actor, data.get("owner_id"), errors, current_id=quote.owner_id, module="quotes")
    try:
        cleaned = _clean_quote(actor, data, instance=quote)
    except InvalidInput as exc:
        errors.update(exc.errors)
        cleaned = {}
    parsed = None
    if lines is not None:
        current = frozenset(quote.lines.exclude(product=None).values_list("product_id", flat=True))
        try:
            parsed = parse_lines(actor, lines, kind=None, current_products=current)
        except InvalidInput as exc:
            errors.update(exc.errors)
    if errors:
        raise InvalidInput(errors)
    tracked = ("title", "quote_date", "valid_until", "contact_name", "remarks", "status", "total", "owner_id",
               "opportunity_id")
    before = {f: getattr(quote, f) for f in tracked}
    for key, value in cleaned.items():
        setattr(quote, key, value)
    if cleaned.get("quote_date") is None and "quote_date" in cleaned:
        quote.quote_date = before["quote_date"]
    quote.opportunity = opportunity
    if owner is not None:
        quote.owner = owner
    if parsed is not None:
        quote.total = lines_total(parsed)
        if quote.total > AMOUNT_MAX:
            raise InvalidInput({"lines": _("金额过大")})
    quote.save()
    if parsed is not None:
        _save_quote_lines(quote, parsed)
    changes = {f: [before[f], getattr(quote, f)] for f in tracked if before[f] != getattr(quote, f)}
    if changes:
        audit_record(actor=actor, action="quote.update", target=quote, changes=changes)
    return quote


@transaction.atomic
def quote_delete(*, actor: Actor, quote_id: int) -> None:
    quote = _quote_locked(actor, quote_id)
    require(actor, "quotes.delete")
    if not quote.can_edit:
        raise Conflict(_("已转为合同/订单的报价单不能删除"), code="status")
    audit_record(actor=actor, action="quote.delete", target=quote, changes={"number": quote.number})
    quote.delete()


@transaction.atomic
def quote_convert(*, actor: Actor, quote_id: int, kind: str) -> Agreement:
    """A quote becomes a draft contract or order with the same lines (once; the quote is then 已转合同/订单)."""
    _check_kind(kind)
    quote = _quote_locked(actor, quote_id)
    require(actor, "quotes.edit")
    if not quote.can_convert:
        raise Conflict(_("该报价单已转为合同/订单"), code="status")
    lines = [{"product_id": line.product_id, "name": line.name, "specification": line.specification,
              "unit": line.unit, "quantity": line.quantity, "unit_price": line.unit_price,
              "discount": line.discount, "tax_rate": line.tax_rate}
             for line in quote.lines.order_by("position", "id")]
    data = {"customer_id": quote.customer_id, "title": quote.title, "remarks": quote.remarks,
            "sign_date": actor.tenant.today()}
    if quote.opportunity_id:
        _guard_opportunity(actor, quote.opportunity)  # one live agreement per opportunity, named if there is one
        data["opportunity_id"] = quote.opportunity_id
    agreement = agreement_create(actor=actor, kind=kind, data=data, lines=lines, quote=quote)
    Quote.objects.filter(pk=quote.pk).update(status=Quote.Status.CONVERTED, updated_at=timezone.now())
    audit_record(actor=actor, action="quote.convert", target=quote,
                 changes={"status": [quote.status, Quote.Status.CONVERTED], "agreement": agreement.number})
    return agreement


# ---- numbering rules (Settings) --------------------------------------------------------------------

def numbering_install_defaults(**_ignored) -> None:
    """tenant_setup: the default pattern of every document type (HT-{yyyy}{mm}-{seq:04} …)."""
    tenant = require_tenant()
    have = set(NumberingRule.objects.values_list("doc_type", flat=True))
    NumberingRule.objects.bulk_create([NumberingRule(tenant=tenant, doc_type=str(k), pattern=v)
                                       for k, v in DEFAULT_PATTERNS.items() if str(k) not in have])


@transaction.atomic
def numbering_rule_set(*, actor: Actor, doc_type: str, pattern: str) -> NumberingRule:
    """Admins set a document type's pattern: one {seq:0N}, known tokens only, ≤ 40 characters rendered."""
    if not (actor.is_admin or actor.system):
        raise Forbidden(_("只有管理员可以设置编号规则"))
    require_writable(actor)
    if doc_type not in dict(DEFAULT_PATTERNS):
        raise InvalidInput({"doc_type": _("单据类型无效")})
    pattern = text.clean_text(pattern)
    problems = pattern_errors(pattern)
    if problems:
        raise InvalidInput({f"pattern_{doc_type}": problems})
    rule = NumberingRule.objects.select_for_update().filter(doc_type=doc_type).first()
    before = rule.pattern if rule else DEFAULT_PATTERNS[doc_type]
    if rule is None:
        rule = NumberingRule.objects.create(doc_type=doc_type, pattern=pattern)
    elif rule.pattern != pattern:
        rule.pattern = pattern
        rule.save(update_fields=["pattern", "updated_at"])
    if before != pattern:
        audit_record(actor=actor, action="numbering.update", target=rule, changes={"pattern": [before, pattern]})
    return rule


# ---- hooks other apps call through the registries --------------------------------------------------

def agreements_guard_opportunity_delete(*, actor: Actor, opportunity) -> None:
    """opportunity_delete_guards: an opportunity converted into a contract or order cannot be deleted."""
    _guard_opportunity(actor, opportunity)


def agreements_guard_opportunity_status(*, actor: Actor, opportunity, old_status: str, new_status: str) -> None:
    """opportunity_status_guards: an opportunity with a live contract or order is not lost or made invalid (cancel
    or delete the agreement first), and one whose agreement is signed stays won."""
    closing = new_status in (OpportunityStatus.LOST, OpportunityStatus.INVALID)
    reopening = old_status == OpportunityStatus.WON
    if not (closing or reopening):
        return
    live = Agreement.objects.filter(opportunity_id=opportunity.pk).exclude(status=AgreementStatus.CANCELLED)
    if reopening and not closing:
        live = live.filter(status__in=SIGNED_STATUSES)
    existing = live.first()
    if existing is not None:
        label, number = KIND_LABELS[existing.kind], existing.number
        raise Conflict((_("该机会已签%(kind)s %(number)s，不能改为输单或失效；请先取消或删除%(kind)s") if closing else
                        _("该机会已签%(kind)s %(number)s（已生效），保持赢单")) % {"kind": label, "number": number},
                       code="agreement_exists")


def agreements_guard_customer_delete(*, actor: Actor, customer) -> None:
    """customer_delete_guards: a customer with contracts, orders or quotes cannot be deleted."""
    def counted(model):
        return Subquery(model.objects.filter(customer_id=OuterRef("pk")).order_by().values("customer_id")
                        .annotate(n=Count("id")).values("n")[:1])

    # One query for both counts (customer_delete pins its query count).
    row = Customer.objects.filter(pk=customer.pk).values(agreements=counted(Agreement), quotes=counted(Quote)).first()
    agreements, quotes = (row["agreements"] or 0, row["quotes"] or 0) if row else (0, 0)
    if agreements or quotes:
        raise Conflict(_("该客户有 %(n)s 个合同/订单和 %(q)s 个报价单，不能删除") % {"n": agreements, "q": quotes},
                       code="has_agreements")


def agreements_owned_count(tenant, user_id: int) -> int:
    from zhuli.tenancy.unscoped import for_tenant

    return for_tenant(Agreement, tenant).filter(owner_id=user_id).count() + \
        for_tenant(Quote, tenant).filter(owner_id=user_id).count()


def agreements_transfer_all(*, actor: Actor, from_user, to_user) -> int:
    """A departing user's agreements and quotes go to a colleague; billing rows follow the agreements' owner."""
    if actor.is_admin or actor.system:
        rows, quotes = Agreement.objects.filter(owner=from_user), Quote.objects.filter(owner=from_user)
    else:
        require(actor, "agreements.transfer")
        rows = visible(Agreement, actor).filter(owner=from_user)
        quotes = visible(Quote, actor).filter(owner=from_user) if actor.can("quotes", "transfer") else Quote.objects.none()
    moved = list(rows.select_for_update())
    now = timezone.now()
    Agreement.objects.filter(pk__in=[a.pk for a in moved]).update(owner=to_user, updated_at=now)
    quote_count = Quote.objects.filter(pk__in=list(quotes.values_list("pk", flat=True))).update(owner=to_user,
                                                                                                updated_at=now)
    for agreement in moved:
        agreement.owner = to_user
    _billing_follow(moved, old_owner_id=from_user.pk)
    if moved or quote_count:
        audit_record(actor=actor, action="agreement.transfer_all", target=None,
                     changes={"from": from_user.name, "to": to_user.name, "count": len(moved), "quotes": quote_count})
    return len(moved) + quote_count


def agreement_approved_for(agreement: Agreement) -> bool:
    """In force (or done): what billing needs before money is recorded against it."""
    return agreement.status in (APPROVED_STATUS[agreement.kind], AgreementStatus.COMPLETED)

