"""The one place API errors become responses (STYLE 5): application errors, 查重 conflicts, schema
validation, authentication, malformed bodies. Nothing a client sends may end as a 500."""
from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from pydantic import model_serializer

from zhuli.core.errors import AppError, InvalidInput
from zhuli.customers.services import DuplicateCustomer

from .schemas import Out, Ref

logger = logging.getLogger("zhuli.api")


# ---- shapes (documented in OpenAPI; the handlers below build the same dicts) ---------------------


class ErrorOut(Out):
    detail: str
    code: str | None = None
    errors: dict[str, list[str]] | None = None


class ValidationOut(Out):
    """422: `errors` names each field (field → messages, in the user's language); `detail` is the first of them;
    `code` is `schema` when the request failed its schema, else the rule's code (`invalid` by default)."""

    detail: str
    code: str = "invalid"
    errors: dict[str, list[str]]


class SimilarCustomer(Out):
    """A 查重 match: its name and owner, and its id only when the caller may open it."""

    name: str
    owner: Ref | None = None
    id: int | None = None

    @model_serializer(mode="wrap")
    def _drop_hidden_id(self, handler):
        data = handler(self)
        if data.get("id") is None:
            data.pop("id", None)
        return data


class DuplicateOut(Out):
    detail: str
    code: str = "duplicate"
    existing: SimilarCustomer
    warnings: list[SimilarCustomer]


def similar(entry: dict) -> dict:
    """A duplicates report entry as the API shows it (no id unless the report kept one)."""
    out = {"name": entry["name"], "owner": entry.get("owner")}
    if entry.get("id") is not None:
        out["id"] = entry["id"]
    return out


# Response declarations for the routers: `responses(200, CustomerOut, 404, 422)`.
_SHAPES = {422: ValidationOut, 409: ErrorOut}


def responses(status: int, schema, *codes: int, conflict=None) -> dict:
    out = {status: schema, 401: ErrorOut}
    for code in codes:
        out[code] = _SHAPES.get(code, ErrorOut)
    if conflict is not None:
        out[409] = conflict
    return out


# ---- handlers --------------------------------------------------------------------------------------


def _body(detail: str, *, code: str = "", errors: dict | None = None) -> dict:
    out: dict = {"detail": str(detail)}
    if code:
        out["code"] = code
    if errors:
        out["errors"] = errors
    return out


def _schema_message(err: dict) -> str:
    """pydantic's English messages, said in the user's language."""
    kind, ctx = err.get("type", ""), err.get("ctx") or {}
    if kind == "missing":
        return _("此项为必填项")
    if kind in ("string_type", "string_sub_type"):
        return _("应为文本")
    if kind.startswith("int_") or kind == "int_type":
        return _("应为整数")
    if kind.startswith("bool_"):
        return _("应为 true 或 false")
    if kind in ("literal_error", "enum"):
        values = str(ctx.get("expected", "")).replace("' or '", "', '")
        return _("取值无效，可选：%(values)s") % {"values": values}
    if kind == "string_too_long":
        return _("最多 %(n)s 个字符") % {"n": ctx.get("max_length", "")}
    if kind == "string_too_short":
        return _("不能为空")
    if kind == "string_pattern_mismatch":
        return _("格式不正确")
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return _("数值超出范围")
    if kind.startswith("datetime_"):
        return _("时间格式应为 YYYY-MM-DD 或 ISO 8601（如 2024-05-01T09:30:00+08:00）")
    if kind.startswith("date_"):
        return _("日期格式应为 YYYY-MM-DD")
    if kind in ("list_type", "tuple_type", "set_type"):
        return _("应为列表")
    if kind == "too_short":
        return _("至少需要 %(n)s 项") % {"n": ctx.get("min_length", 1)}
    if kind == "too_long":
        return _("最多 %(n)s 项") % {"n": ctx.get("max_length", "")}
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return _("请求内容应为 JSON 对象")
    if kind == "json_invalid":
        return _("请求内容不是有效的 JSON")
    if kind in ("float_type", "float_parsing", "decimal_type", "decimal_parsing"):
        return _("应为数字")
    if kind == "value_error":
        return _("取值超出范围")
    if kind == "extra_forbidden":
        return _("不支持此字段")
    return _("取值无效")


def _schema_field(loc) -> str:
    # ("body", "payload", "kind") → "kind"; ("query", "page") → "page"; list indexes and union tags dropped.
    source, parts = (loc[0] if loc else ""), [p for p in loc[1:] if isinstance(p, str)]
    if source == "body":
        parts = parts[1:]
    return parts[0] if parts else "__all__"


def validation_errors(errors: list[dict]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for err in errors:
        messages = out.setdefault(_schema_field(tuple(err.get("loc") or ())), [])
        message = _schema_message(err)
        if message not in messages:
            messages.append(message)
    return out


def install(api) -> None:
    """Registers every handler on the NinjaAPI."""

    def respond(request, data, status):
        return api.create_response(request, data, status=status)

    @api.exception_handler(AppError)
    def app_error(request, exc: AppError):
        errors = None
        if isinstance(exc, InvalidInput):
            errors = exc.errors
        elif exc.field:
            errors = {exc.field: [exc.message]}
        response = respond(request, _body(exc.message, code=exc.code, errors=errors), exc.status)
        if exc.status == 429:
            response["Retry-After"] = str(settings.LOGIN_FAILURE_WINDOW)
        return response

    @api.exception_handler(DuplicateCustomer)
    def duplicate(request, exc: DuplicateCustomer):
        report = exc.report
        data = {
            "detail": exc.message,
            "code": "duplicate",
            "existing": similar(report.blocking[0]),
            "warnings": [similar(w) for w in report.warnings],
        }
        return respond(request, data, 409)

    @api.exception_handler(ValidationError)
    def schema_error(request, exc: ValidationError):
        # The same shape as a service's 422 (detail: the first message, errors: field → messages), in the user's
        # language; code `schema` says the request failed its schema before any record was looked at.
        errors = validation_errors(exc.errors)
        field, messages = next(iter(errors.items()))
        detail = messages[0] if field == "__all__" else f"{field}：{messages[0]}"
        return respond(request, _body(detail, code="schema", errors=errors), 422)

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        status = exc.status_code
        message = str(exc)
        if isinstance(exc, AuthenticationError) and message == "Unauthorized":
            message = _("请先登录，或在 Authorization 头中提供有效的 API 令牌（Bearer）")
        elif isinstance(exc, Throttled):
            message = _("请求过于频繁，请稍后再试")
        elif status == 400 and message.startswith("Cannot parse request body"):
            message = _("请求内容不是有效的 JSON")
        elif status == 403 and "CSRF" in message:
            message = _("CSRF 校验失败，请刷新页面后重试")
        return respond(request, _body(message), status)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return respond(request, _body(_("记录不存在或无权查看")), 404)

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc):
        return respond(request, _body(_("您没有此操作的权限")), 403)

    @api.exception_handler(Exception)
    def unexpected(request, exc):
        # A bug, not the client's fault: logged with its traceback, answered in JSON like the rest.
        logger.exception("API error on %s %s", request.method, request.path)
        return respond(request, _body(_("服务器出错了，请稍后再试")), 500)
