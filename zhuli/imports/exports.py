"""Export resources and the CSV / xlsx writers (DESIGN §5 Export).

Rows come from the resource's own list selector, so an export holds exactly what the actor's
list shows. Text that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a
leading apostrophe. CSV is streamed (UTF-8 with BOM, so Excel reads Chinese); xlsx is written
by our streaming writer (zhuli.imports.xlsx) into a temporary file.
"""
from __future__ import annotations

import csv
import datetime
import io
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhuli.access.actor import Actor
from zhuli.accounts.models import owner_display
from zhuli.core.errors import InvalidInput
from zhuli.customers.models import CustomerKind, Gender, Lifecycle
from zhuli.customers.selectors import CustomerFilters, customer_list

from .xlsx import write_xlsx

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_FLUSH_ROWS = 500
ITERATOR_CHUNK = 2000


def neutralise(value):
    """A text cell never starts a formula in Excel / WPS: '=1+1 stays text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


TEXT, DATE, MOMENT = "text", "date", "moment"


@dataclass(frozen=True)
class ExportColumn:
    label: object
    lookups: tuple[str, ...]
    value: Callable[[dict], object]
    kind: str = TEXT  # text (neutralised), date, or moment (shown in the tenant's zone)
    allowed: Callable[[Actor], bool] | None = None  # field-level rules (e.g. masked IDs) plug in here


def _text(lookup: str, label) -> ExportColumn:
    return ExportColumn(label, (lookup,), lambda row: row[lookup] or "")


@dataclass(frozen=True)
class _ChoiceColumn(ExportColumn):
    choices: tuple = ()

    def resolved(self) -> ExportColumn:
        labels = {code: str(name) for code, name in self.choices}  # translated once per export, not per row
        lookup = self.lookups[0]
        return ExportColumn(self.label, self.lookups, lambda row: labels.get(row[lookup], row[lookup] or ""))


def _choice(lookup: str, label, choices) -> _ChoiceColumn:
    return _ChoiceColumn(label, (lookup,), lambda row: row[lookup] or "", choices=tuple(choices))


def _customer_columns() -> list[ExportColumn]:
    t, L = _text, gettext_lazy
    return [
        t("number", L("客户编号")), t("name", L("客户名称")), _choice("kind", L("客户类型"), CustomerKind.choices),
        t("short_name", L("简称")), t("english_name", L("英文名称")), t("external_code", L("外部编码")),
        ExportColumn(L("负责人"), ("owner__name", "owner__is_active"),
                     lambda r: owner_display(r["owner__name"], r["owner__is_active"])),
        t("department__name", L("所属部门")), t("source__name", L("客户来源")), t("industry__name", L("行业")),
        t("level__name", L("客户等级")), t("status__name", L("客户状态")), t("customer_type__name", L("客户分类")),
        t("staff_size__name", L("人员规模")), _choice("lifecycle", L("生命周期"), Lifecycle.choices),
        ExportColumn(L("首次签约日期"), ("first_signed_on",), lambda r: r["first_signed_on"], kind=DATE),
        t("province__name", L("省份")), t("city__name", L("城市")), t("district__name", L("区县")),
        t("address", L("地址")), t("phone", L("电话")), t("mobile", L("手机")), t("email", L("邮箱")),
        t("wechat", L("微信")), _choice("gender", L("性别"), Gender.choices),
        ExportColumn(L("生日"), ("birthday",), lambda r: r["birthday"], kind=DATE),
        t("website", L("网址")), t("credit_code", L("统一社会信用代码")), t("legal_representative", L("法定代表人")),
        t("tags", L("标签")), t("remarks", L("备注")),
        ExportColumn(L("最近跟进"), ("last_followup_at",), lambda r: r["last_followup_at"], kind=MOMENT),
        ExportColumn(L("下次跟进"), ("next_followup_at",), lambda r: r["next_followup_at"], kind=MOMENT),
        ExportColumn(L("创建时间"), ("created_at",), lambda r: r["created_at"], kind=MOMENT),
    ]


# GET /api/v1/customers filters (DESIGN §5 Lists): name → (CustomerFilters field, parser).
_INT_FILTERS = ("department", "status", "level", "source", "industry", "no_followup_days")
_TEXT_FILTERS = ("q", "owner", "kind", "province", "city", "district", "tag")
_DATE_FILTERS = ("next_from", "next_to")


def customer_filters(params) -> tuple[CustomerFilters, str, dict]:
    """The list's query parameters as CustomerFilters, the sort, and what was asked (for the audit)."""
    errors, values, asked = {}, {}, {}
    for name in _TEXT_FILTERS:
        value = (params.get(name) or "").strip()
        if value:
            values[name] = asked[name] = value[:100]
    for name in _INT_FILTERS:
        value = (params.get(name) or "").strip()
        if value:
            try:
                values[name] = int(value)
                asked[name] = value
            except ValueError:
                errors[name] = _("必须是整数")
    for name in _DATE_FILTERS:
        value = (params.get(name) or "").strip()
        if value:
            try:
                values[name] = datetime.date.fromisoformat(value)
                asked[name] = value
            except ValueError:
                errors[name] = _("日期格式应为 YYYY-MM-DD")
    if values.get("owner") and not (values["owner"] in ("me", "none") or values["owner"].isdigit()):
        errors["owner"] = _("负责人应为用户 id、me 或 none")
    if values.get("kind") and values["kind"] not in CustomerKind.values:
        errors["kind"] = _("客户类型只能是 enterprise 或 individual")
    if errors:
        raise InvalidInput(errors)
    sort = (params.get("sort") or "").strip()
    if sort:
        asked["sort"] = sort
    return CustomerFilters(**values), sort, asked


class CustomerExport:
    key = "customers"
    label = gettext_lazy("客户")
    permission = "customers.export"

    def columns(self, actor: Actor) -> list[ExportColumn]:
        columns = [c for c in _customer_columns() if c.allowed is None or c.allowed(actor)]
        return [c.resolved() if isinstance(c, _ChoiceColumn) else c for c in columns]

    def rows(self, *, actor: Actor, params):
        """The actor's customer list with the list's filters, as values() rows (one query, joins included)."""
        filters, sort, asked = customer_filters(params)
        lookups = dict.fromkeys(lookup for c in self.columns(actor) for lookup in c.lookups)
        return customer_list(actor=actor, filters=filters, sort=sort).values("id", *lookups), asked


def _getter(column: ExportColumn, zone, fmt: str) -> Callable[[dict], object]:
    """One function per column, chosen once: this runs for every cell of a 100,000-row export."""
    value = column.value
    if column.kind == MOMENT:
        def moment(row):
            v = value(row)
            if v is None:
                return ""
            local = v.astimezone(zone).replace(tzinfo=None, microsecond=0)
            return local.strftime("%Y-%m-%d %H:%M") if fmt == "csv" else local  # xlsx holds no time zone
        return moment
    if column.kind == DATE:
        if fmt == "csv":
            return lambda row: v.isoformat() if (v := value(row)) else ""
        return value

    def text(row):
        v = value(row)
        return "'" + v if v and v.startswith(FORMULA_PREFIXES) else v
    return text


def build(*, actor: Actor, exporter, rows, fmt: str) -> tuple[str, str, object]:
    columns = exporter.columns(actor)
    # Labels resolved now, in the request's language: the CSV body is written after the view returns.
    headers = [neutralise(str(c.label)) for c in columns]
    zone = actor.tenant.zone
    getters = [_getter(c, zone, fmt) for c in columns]
    stamp = timezone.localtime(timezone.now(), zone).strftime("%Y%m%d-%H%M")
    filename = f"{exporter.label}-{stamp}.{fmt}"

    def values() -> Iterator[list]:
        for row in rows.iterator(chunk_size=ITERATOR_CHUNK):
            yield [get(row) for get in getters]

    if fmt == "csv":
        return filename, "text/csv; charset=utf-8", _csv_stream(headers, values())
    return filename, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _xlsx_file(headers, values())


def _csv_stream(headers: list[str], rows: Iterator[list]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(headers)
    for count, row in enumerate(rows, start=1):
        writer.writerow(row)
        if count % CSV_FLUSH_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _xlsx_file(headers: list[str], rows: Iterator[list]):
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it after sending
    write_xlsx(handle, sheet_name=_("导出"), headers=headers, rows=rows)
    handle.seek(0)
    return handle
