"""Imports and exports over the API (DESIGN §5 Import / Export).

Authentication and error mapping come from the API assembly (zhuli.api.auth / zhuli.api.errors):
the router adds no auth of its own, so it uses the same objects as every other router.
"""
from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router
from ninja.responses import Status

from zhuli.api.auth import actor_of
from zhuli.api.errors import responses
from zhuli.api.schemas import Out
from zhuli.core.errors import InvalidInput

from .http import download, refuse_oversized
from .models import ImportJob
from .selectors import import_job_get
from .services import export_build, import_error_file, import_job_create, import_start

router = Router(tags=["imports"])

TRUE_WORDS, FALSE_WORDS = {"true", "1", "yes", "on"}, {"false", "0", "no", "off", ""}


class ImportError_(Out):
    row: int
    column: str
    message: str


class ImportJobOut(Out):
    id: int
    status: str
    dry_run: bool
    created: int
    updated: int
    skipped: int
    failed: int
    errors: list[ImportError_]
    progress: int
    total: int
    message: str
    error_file: str | None


class ImportQueued(Out):
    id: int
    status: str


def _job_out(request, job: ImportJob) -> dict:
    error_file = None
    if job.error_file:
        error_file = request.build_absolute_uri(reverse("api:import_errors_file", kwargs={"job_id": job.pk}))
    return {
        "id": job.pk, "status": job.status, "dry_run": job.dry_run, **{k: job.count(k) for k in
                                                                        ("created", "updated", "skipped", "failed")},
        "errors": job.errors or [], "progress": job.progress, "total": job.total, "message": job.message,
        "error_file": error_file,
    }


def _flag(value: str | None, name: str) -> bool:
    word = (value or "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise InvalidInput({name: _("%(name)s 只能是 true 或 false") % {"name": name}})


MULTIPART_DOC = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {
                "file": {"type": "string", "format": "binary", "description": "xlsx / xls / csv，最大 20 MB"},
                "on_duplicate": {"type": "string", "enum": ["skip", "update", "create"], "default": "skip"},
                "dry_run": {"type": "boolean", "default": False},
            },
        }}},
    }
}
# Customers may also go straight into a pool (公海).
CUSTOMER_IMPORT_DOC = {"requestBody": {**MULTIPART_DOC["requestBody"], "content": {"multipart/form-data": {"schema": {
    **MULTIPART_DOC["requestBody"]["content"]["multipart/form-data"]["schema"],
    "properties": {**MULTIPART_DOC["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"],
                   "pool": {"type": "integer", "description": "公海 id：导入的客户直接放入该公海（无负责人；需要转移权限）"}},
}}}}}


@router.post("/imports/customers", response=responses(200, ImportJobOut, 403, 413, 422) | {202: ImportQueued},
             openapi_extra=CUSTOMER_IMPORT_DOC)
def import_customers(request):
    """Imports customers from a spreadsheet. Up to IMPORT_SYNC_MAX_ROWS rows (5,000) run now and answer 200
    with the counts; bigger files answer 202 `{"id"}` — poll `GET /imports/{id}` until `done` or `failed`."""
    refuse_oversized(request)
    actor = actor_of(request)
    on_duplicate = (request.POST.get("on_duplicate") or "skip").strip()
    dry_run = _flag(request.POST.get("dry_run"), "dry_run")
    pool = (request.POST.get("pool") or "").strip() or None
    job, sheet = import_job_create(actor=actor, resource="customers", file=request.FILES.get("file"),
                                   on_duplicate=on_duplicate, dry_run=dry_run, pool_id=pool)
    job = import_start(actor=actor, job_id=job.pk, sheet=sheet)
    if not job.is_finished:
        return Status(202, {"id": job.pk, "status": job.status})
    return _job_out(request, job)


def _import(request, resource: str):
    """The non-customer resources' shared answer: multipart file, on_duplicate, dry_run → 200, or 202 when queued."""
    refuse_oversized(request)
    actor = actor_of(request)
    on_duplicate = (request.POST.get("on_duplicate") or "skip").strip()
    dry_run = _flag(request.POST.get("dry_run"), "dry_run")
    job, sheet = import_job_create(actor=actor, resource=resource, file=request.FILES.get("file"),
                                   on_duplicate=on_duplicate, dry_run=dry_run)
    job = import_start(actor=actor, job_id=job.pk, sheet=sheet)
    if not job.is_finished:
        return Status(202, {"id": job.pk, "status": job.status})
    return _job_out(request, job)


@router.post("/imports/opportunities", response=responses(200, ImportJobOut, 403, 413, 422) | {202: ImportQueued},
             openapi_extra=MULTIPART_DOC)
def import_opportunities(request):
    """Imports opportunities (机会名称, 客户名称 — an exact visible customer name —, 阶段, 预计金额, 预计成交日期,
    赢率, 状态, 负责人 …). Duplicates are the same title on the same customer. Same answers as customers."""
    return _import(request, "opportunities")


@router.post("/imports/products", response=responses(200, ImportJobOut, 403, 413, 422) | {202: ImportQueued},
             openapi_extra=MULTIPART_DOC)
def import_products(request):
    """Imports products (产品编码, 产品名称, 规格型号, 产品分类 — a path such as 软件/实施, created as needed —, 单位,
    产品类型, 标准价格, 成本价, 税率, 启用). Duplicates are the same 产品编码. Same answers as customers."""
    return _import(request, "products")


@router.post("/imports/contacts", response=responses(200, ImportJobOut, 403, 413, 422) | {202: ImportQueued},
             openapi_extra=MULTIPART_DOC)
def import_contacts(request):
    """Imports contacts (客户名称 — a visible customer's name or 客户编号 —, 姓名, 性别, 职务, 部门, 手机, 电话, 邮箱,
    微信, QQ, 生日, 联系人类型 联系人/首要联系人/离职, 备注). Duplicates are the same name on the same customer
    (with the same mobile digits when both have one). Same answers as customers."""
    return _import(request, "contacts")


@router.get("/imports/{job_id}", response=responses(200, ImportJobOut, 404))
def import_status(request, job_id: int):
    """An import's status, progress and outcome (only for the person who started it)."""
    return _job_out(request, import_job_get(actor=actor_of(request), job_id=job_id))


@router.get("/imports/{job_id}/errors-file", response=responses(200, None, 404), url_name="import_errors_file")
def import_errors_file(request, job_id: int):
    """The failed rows as xlsx: the original columns plus 错误原因."""
    filename, content = import_error_file(actor=actor_of(request), job_id=job_id)
    return download(filename, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", content)


def _query(name: str, description: str, **schema) -> dict:
    return {"in": "query", "name": name, "required": False, "description": description,
            "schema": schema or {"type": "string"}}


EXPORT_DOC = {
    "parameters": [
        _query("format", "xlsx（默认）或 csv（UTF-8，带 BOM）", type="string", enum=["xlsx", "csv"]),
        _query("q", "名称、简称、拼音、编号、电话或联系人"),
        _query("owner", "负责人 id、me（我的）或 none（公海）"),
        _query("department", "负责人所在部门（含下级部门）", type="integer"),
        _query("kind", "enterprise 或 individual", type="string", enum=["enterprise", "individual"]),
        *(_query(name, label, type="integer") for name, label in (
            ("status", "客户状态"), ("level", "客户等级"), ("source", "客户来源"), ("industry", "行业"))),
        *(_query(name, f"{label}（行政区划代码）") for name, label in (
            ("province", "省份"), ("city", "城市"), ("district", "区县"))),
        _query("next_from", "下次跟进日期起（含）", type="string", format="date"),
        _query("next_to", "下次跟进日期止（含）", type="string", format="date"),
        _query("no_followup_days", "超过 N 天未跟进", type="integer"),
        _query("tag", "标签"),
        _query("sort", "与客户列表相同，如 -created_at"),
    ],
}


@router.get("/exports/customers", response=responses(200, None, 403, 422), openapi_extra=EXPORT_DOC)
def export_customers(request):
    """The caller's customers as `format=xlsx|csv` (default xlsx), with the filters of `GET /customers`."""
    filename, content_type, body = export_build(actor=actor_of(request), resource="customers",
                                                fmt=request.GET.get("format") or "xlsx", params=request.GET)
    return download(filename, content_type, body)


OPPORTUNITY_EXPORT_DOC = {
    "parameters": [
        _query("format", "xlsx（默认）或 csv（UTF-8，带 BOM）", type="string", enum=["xlsx", "csv"]),
        _query("q", "机会名称或客户名称（含拼音）"),
        _query("owner", "负责人 id 或 me"),
        *(_query(name, label, type="integer") for name, label in (
            ("department", "负责人所在部门（含下级部门）"), ("stage", "阶段"), ("customer", "客户"),
            ("stale_days", "跟踪中且 N 天内既无跟进也无阶段变更"))),
        _query("status", "tracking、won、lost、on_hold 或 invalid"),
        _query("close_from", "预计成交日期起（含）", type="string", format="date"),
        _query("close_to", "预计成交日期止（含）", type="string", format="date"),
        _query("closed_from", "赢单/输单日期起（含，租户时区）", type="string", format="date"),
        _query("closed_to", "赢单/输单日期止（含，租户时区）", type="string", format="date"),
        _query("amount_min", "预计金额下限（含）"),
        _query("amount_max", "预计金额上限（含）"),
        _query("sort", "与销售机会列表相同，如 -amount"),
    ],
}


@router.get("/exports/opportunities", response=responses(200, None, 403, 422), openapi_extra=OPPORTUNITY_EXPORT_DOC)
def export_opportunities(request):
    """The caller's opportunities as `format=xlsx|csv` (default xlsx), with the filters of `GET /opportunities`."""
    filename, content_type, body = export_build(actor=actor_of(request), resource="opportunities",
                                                fmt=request.GET.get("format") or "xlsx", params=request.GET)
    return download(filename, content_type, body)


PRODUCT_EXPORT_DOC = {
    "parameters": [
        _query("format", "xlsx（默认）或 csv（UTF-8，带 BOM）", type="string", enum=["xlsx", "csv"]),
        _query("q", "名称、编码、规格型号或其拼音 / 首字母"),
        _query("category", "产品分类（含下级分类）", type="integer"),
        _query("kind", "service 或 physical", type="string", enum=["service", "physical"]),
        _query("active", "true 或 false", type="boolean"),
        _query("price_min", "标准价格下限（含）"),
        _query("price_max", "标准价格上限（含）"),
        _query("sort", "与产品列表相同，如 -list_price"),
    ],
}


@router.get("/exports/products", response=responses(200, None, 403, 422), openapi_extra=PRODUCT_EXPORT_DOC)
def export_products(request):
    """The catalogue as `format=xlsx|csv` (default xlsx), with the filters of `GET /products`."""
    filename, content_type, body = export_build(actor=actor_of(request), resource="products",
                                                fmt=request.GET.get("format") or "xlsx", params=request.GET)
    return download(filename, content_type, body)


CONTACT_EXPORT_DOC = {
    "parameters": [
        _query("format", "xlsx（默认）或 csv（UTF-8，带 BOM）", type="string", enum=["xlsx", "csv"]),
        _query("q", "姓名、手机或客户名称"),
        _query("customer", "客户", type="integer"),
        _query("sort", "与联系人列表相同：id、name、created_at，前加 - 为倒序"),
    ],
}


@router.get("/exports/contacts", response=responses(200, None, 403, 422), openapi_extra=CONTACT_EXPORT_DOC)
def export_contacts(request):
    """The contacts of the caller's customers as `format=xlsx|csv` (default xlsx), with the filters of
    `GET /contacts`."""
    filename, content_type, body = export_build(actor=actor_of(request), resource="contacts",
                                                fmt=request.GET.get("format") or "xlsx", params=request.GET)
    return download(filename, content_type, body)
