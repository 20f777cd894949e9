"""Imports and exports (DESIGN §5): one pipeline for the web wizard, the API, the CLI and the task.

An import commits every good row in one transaction or nothing: rows that fail are reported
(row number as in the spreadsheet, the column's header, a message in Chinese) and left out;
a fatal problem (unreadable file, no name column, a crash) commits nothing. A dry run takes
exactly the same path and rolls back at the end, so its counts are what a real run would do.
"""
from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhuli.access.actor import Actor
from zhuli.access.scoping import get_visible_or_404, require
from zhuli.audit.services import audit_record
from zhuli.core import text
from zhuli.core.errors import AppError, Conflict, Forbidden, InvalidInput, NotFound
from zhuli.core.registry import export_resources, import_resources
from zhuli.core.uploads import CheckedFile, check_spreadsheet, store
from zhuli.customers.models import Customer
from zhuli.tenancy.context import tenant_context

from .models import ImportJob, ImportStatus, OnDuplicate, empty_counts
from .readers import Sheet, SpreadsheetError, read_table
from .selectors import import_job_get
from .xlsx import write_xlsx

logger = logging.getLogger("zhuli.imports")

ERRORS_KEPT = 1000  # on the job; the error file holds every failed row
PROGRESS_EVERY = 200
PREVIEW_ROWS = 10
BATCH_ROWS = 500  # prepared customers saved per INSERT
ERROR_COLUMN = "错误原因"


def _resource(key: str):
    resource = import_resources.get(key)
    if resource is None:
        raise InvalidInput({"resource": _("不支持导入“%(key)s”") % {"key": key}})
    return resource


def _read(content: bytes) -> Sheet:
    try:
        return read_table(content)
    except SpreadsheetError as exc:
        raise InvalidInput({"file": str(exc)}) from None


def _checked(file) -> CheckedFile:
    if isinstance(file, CheckedFile):
        return file
    return check_spreadsheet(file, max_bytes=settings.IMPORT_MAX_BYTES)


def _parse_mapping(resource, mapping: dict, headers: list[str]) -> dict[int, str]:
    """{"<column index>": "<field>"} from a form or API client; empty choices mean "ignore this column"."""
    out: dict[int, str] = {}
    for key, name in (mapping or {}).items():
        if not name:
            continue
        try:
            index = int(key)
        except (TypeError, ValueError):
            raise InvalidInput({"mapping": _("列序号无效：%(key)s") % {"key": key}}) from None
        if not 0 <= index < len(headers):
            raise InvalidInput({"mapping": _("文件中没有第 %(n)s 列") % {"n": index + 1}})
        out[index] = str(name)
    return out


def _stored_mapping(job: ImportJob) -> dict[int, str]:
    return {int(k): v for k, v in (job.mapping or {}).items()}


# ---- preview -------------------------------------------------------------------------------------


@dataclass
class Preview:
    headers: list[str]
    mapping: dict[int, str]
    fields: list
    rows: list[tuple[int, list]]
    errors: list[dict]
    total: int
    columns: list[dict] = field(default_factory=list)


def _preview(actor: Actor, resource, sheet: Sheet, mapping: dict[int, str]) -> Preview:
    sample = sheet.rows[:PREVIEW_ROWS]
    ctx = resource.begin(actor=actor, owner=actor.user, mapping=mapping, sheet=Sheet(sheet.headers, sample),
                         writes=False)
    errors = []
    for number, cells in sample:
        row = resource.parse(ctx, number, cells)
        errors += _error_entries(resource, sheet.headers, mapping, number, row.errors)
    columns = [
        {"index": i, "header": header, "field": mapping.get(i, ""),
         "samples": [_display(cells[i]) for _n, cells in sample[:3] if cells[i] is not None]}
        for i, header in enumerate(sheet.headers)
    ]
    return Preview(headers=sheet.headers, mapping=mapping, fields=list(resource.fields), rows=sample, errors=errors,
                   total=len(sheet.rows), columns=columns)


def import_preview(*, actor: Actor, resource: str, file, mapping: dict | None = None) -> Preview:
    """Columns, the automatic (or given) mapping, the first rows and their cell errors; writes nothing."""
    res = _resource(resource)
    require(actor, res.permission)
    sheet = _read(_checked(file).content)
    chosen = _parse_mapping(res, mapping, sheet.headers) if mapping is not None else res.auto_mapping(sheet.headers)
    return _preview(actor, res, sheet, chosen)


def import_job_preview(*, actor: Actor, job_id, mapping: dict | None = None) -> Preview:
    """The preview of an uploaded job's file, with its stored mapping unless another is given."""
    job = import_job_get(actor=actor, job_id=job_id)
    res = _resource(job.resource)
    sheet = _read(_load(job.file))
    chosen = _parse_mapping(res, mapping, sheet.headers) if mapping is not None else _stored_mapping(job)
    return _preview(actor, res, sheet, chosen)


# ---- jobs ----------------------------------------------------------------------------------------


def _check_options(on_duplicate: str) -> None:
    if on_duplicate not in OnDuplicate.values:
        raise InvalidInput({"on_duplicate": _("on_duplicate 只能是 skip、update 或 create")})


def import_job_create(*, actor: Actor, resource: str, file, on_duplicate: str = OnDuplicate.SKIP,
                      dry_run: bool = False, mapping: dict | None = None, owner=None,
                      require_mapping: bool = True, pool_id=None) -> tuple[ImportJob, Sheet]:
    """Checks and stores an upload as a pending job; the file must be readable and, unless the
    mapping is still to be chosen (the web wizard), have every required column. With `pool_id` the
    customers go straight into that pool (公海), without an owner: for roles that may transfer."""
    res = _resource(resource)
    require(actor, res.permission)
    _check_options(on_duplicate)
    pool = _import_pool(actor, res, pool_id)
    if owner is not None and owner.pk != actor.user_id and not actor.can(res.key, "transfer"):
        raise Forbidden(_("您只能导入由自己负责的客户"))
    checked = _checked(file)
    sheet = _read(checked.content)
    chosen = _parse_mapping(res, mapping, sheet.headers) if mapping else res.auto_mapping(sheet.headers)
    if require_mapping:
        res.check_mapping(chosen)
    if not sheet.rows:
        raise InvalidInput({"file": _("文件中只有表头，没有数据行")})
    job = ImportJob.objects.create(
        resource=res.key, file=store(checked, folder="imports"),
        original_name=text.clean_text(os.path.basename(checked.original_name or ""))[:200],
        on_duplicate=on_duplicate, dry_run=bool(dry_run), mapping={str(k): v for k, v in chosen.items()},
        total=len(sheet.rows), created_by_id=actor.user_id, owner=None if pool else owner or actor.user, pool=pool,
    )
    return job, sheet


def _import_pool(actor: Actor, res, pool_id):
    if pool_id in (None, ""):
        return None
    from zhuli.customers.models import Pool
    from zhuli.customers.selectors import pools_usable

    if res.key != "customers":
        raise InvalidInput({"pool": _("只有客户可以导入到公海")})
    require(actor, "customers.transfer")
    try:
        # Only a pool whose customers the importer sees: others answer as unknown (they could not see the rows).
        return get_visible_or_404(Pool, actor, pool_id, queryset=pools_usable(actor))
    except NotFound:
        raise InvalidInput({"pool": _("公海不存在")})


@transaction.atomic
def import_job_set_mapping(*, actor: Actor, job_id, mapping: dict, on_duplicate: str | None = None) -> ImportJob:
    """The wizard's mapping step: a pending job (or a finished preview, which changed nothing) is set up again."""
    job = import_job_get(actor=actor, job_id=job_id)
    if not (job.status == ImportStatus.PENDING or (job.dry_run and job.is_finished)) or job.imported_as_id:
        raise Conflict(_("该导入已经开始，不能再修改列对应"))
    res = _resource(job.resource)
    sheet = _read(_load(job.file))
    chosen = _parse_mapping(res, mapping, sheet.headers)
    res.check_mapping(chosen)
    if on_duplicate is not None:
        _check_options(on_duplicate)
        job.on_duplicate = on_duplicate
    job.mapping = {str(k): v for k, v in chosen.items()}
    job.status, job.counts, job.errors, job.progress, job.error_file, job.message = (
        ImportStatus.PENDING, empty_counts(), [], 0, "", "")
    job.started_at = job.finished_at = None
    job.save()
    return job


@transaction.atomic
def import_job_confirm(*, actor: Actor, job_id) -> ImportJob:
    """After a preview: the same file, mapping and options as a real import — once per preview."""
    preview = import_job_get(actor=actor, job_id=job_id)
    if not (preview.dry_run and preview.status == ImportStatus.DONE):
        raise Conflict(_("只能确认已完成的预览"))
    require(actor, _resource(preview.resource).permission)
    job = ImportJob.objects.create(
        resource=preview.resource, file=preview.file, original_name=preview.original_name,
        on_duplicate=preview.on_duplicate, dry_run=False, mapping=preview.mapping, total=preview.total,
        created_by_id=actor.user_id, owner_id=preview.owner_id, pool_id=preview.pool_id,
    )
    # Conditional, so a double click (or two tabs) cannot import the same file twice.
    if not ImportJob.objects.filter(pk=preview.pk, imported_as__isnull=True).update(imported_as=job):
        raise Conflict(_("该预览已经确认导入过了"))
    return job


def import_start(*, actor: Actor, job_id, sheet: Sheet | None = None) -> ImportJob:
    """Small files run now; big ones (more rows than IMPORT_SYNC_MAX_ROWS) go to the task worker."""
    job = import_job_get(actor=actor, job_id=job_id)
    if job.total > settings.IMPORT_SYNC_MAX_ROWS:
        from .tasks import import_run_task

        job_pk, tenant_pk = job.pk, job.tenant_id
        transaction.on_commit(lambda: import_run_task.enqueue(job_id=job_pk, tenant_id=tenant_pk))
        return job
    return import_run(actor=actor, job_id=job.pk, sheet=sheet)


def import_run_background(*, job_id: int, tenant_id: int) -> str:
    """The task's body: the job's tenant and time zone active, acting as the person who uploaded."""
    from zhuli.tenancy.models import Tenant

    tenant = Tenant.objects.get(pk=tenant_id)
    with tenant_context(tenant), timezone.override(tenant.zone):
        job = ImportJob.objects.select_related("created_by").get(pk=job_id)
        user = job.created_by
        if user is None or not user.is_active or user.tenant_id != tenant.pk:
            _finish_failed(job, _("导入人已离职或不存在，导入未执行"))
            return ImportStatus.FAILED
        return import_run(actor=Actor.for_user(user), job_id=job.pk).status


def import_run(*, actor: Actor, job_id, sheet: Sheet | None = None) -> ImportJob:
    """Runs a pending job to the end; returns it done (with counts and row errors) or failed (with why)."""
    job = import_job_get(actor=actor, job_id=job_id)
    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PENDING).update(
        status=ImportStatus.RUNNING, started_at=timezone.now(), progress=0)
    if not claimed:
        raise Conflict(_("该导入已经开始或已经结束"))
    job.refresh_from_db()
    res = _resource(job.resource)
    try:
        require(actor, res.permission)
        if sheet is None:
            sheet = _read(_load(job.file))
        mapping = _stored_mapping(job)
        res.check_mapping(mapping)
        outcome = _run_rows(actor, job, res, sheet, mapping)
    except AppError as exc:
        _finish_failed(job, exc.message)
        audit_record(actor=actor, action=f"import.{job.resource}", target=job,
                     changes={"status": "failed", "message": exc.message})
        return job
    except Exception:
        logger.exception("import %s crashed", job.pk)
        _finish_failed(job, _("导入时发生意外错误，没有导入任何数据，请稍后重试"))
        return job
    error_file = ""
    if outcome.failed_rows:
        error_file = _write_error_file(sheet.headers, outcome.failed_rows)
    job.status, job.counts, job.errors, job.progress = ImportStatus.DONE, outcome.counts, outcome.errors, job.total
    job.error_file, job.finished_at = error_file, timezone.now()
    job.message = _("预览完成，没有保存任何数据") if job.dry_run else ""
    job.save(update_fields=["status", "counts", "errors", "progress", "error_file", "finished_at", "message"])
    audit_record(actor=actor, action=f"import.{job.resource}", target=job,
                 changes={**outcome.counts, "dry_run": job.dry_run, "on_duplicate": job.on_duplicate,
                          "file": job.original_name})
    return job


def _finish_failed(job: ImportJob, message: str) -> None:
    job.status, job.message, job.finished_at = ImportStatus.FAILED, str(message)[:500], timezone.now()
    job.counts = empty_counts()
    job.save(update_fields=["status", "message", "finished_at", "counts"])


@dataclass
class _Outcome:
    counts: dict = field(default_factory=empty_counts)
    errors: list = field(default_factory=list)
    failed_rows: list = field(default_factory=list)  # (row number, cells, reasons)


def _run_rows(actor: Actor, job: ImportJob, res, sheet: Sheet, mapping: dict[int, str]) -> _Outcome:
    out = _Outcome()
    progress = _ProgressWriter(job)
    owner = job.owner if job.owner_id else (None if job.pool_id else actor.user)
    into_pool = {"pool": job.pool} if job.pool_id else {}  # only the customers resource takes a pool

    def fail(number, cells, pairs):
        entries = _error_entries(res, sheet.headers, mapping, number, pairs)
        out.counts["failed"] += 1
        room = ERRORS_KEPT - len(out.errors)
        if room > 0:
            out.errors.extend(entries[:room])
        out.failed_rows.append((number, cells, "；".join(
            f"{e['column']}：{e['message']}" if e["column"] else e["message"] for e in entries)))

    def write(ctx, number, cells, row, match) -> None:
        """One row through the services (update, forced duplicate, or a row with a contact / follow-up)."""
        try:
            # A savepoint per row: a row refused halfway (say by its contact) leaves nothing behind.
            # A row that is one service call needs none beyond the service's own.
            with transaction.atomic() if res.needs_savepoint(row) else nullcontext():
                if match and job.on_duplicate == OnDuplicate.UPDATE:
                    res.update(ctx, match, row)
                    out.counts["updated"] += 1
                else:
                    customer = res.create(ctx, row, allow_duplicate=bool(match))
                    remembered = res.remember(ctx, row, customer)
                    remembered["id"] = customer.pk
                    out.counts["created"] += 1
        except NotFound:
            fail(number, cells, [("name", _("客户“%(name)s”已存在（负责人：%(owner)s），不在您的数据范围内，无法更新")
                                  % {"name": match["name"], "owner": match["owner"] or _("公海")})])
        except AppError as exc:
            fail(number, cells, _service_error_pairs(res, exc))
        except DatabaseError:
            logger.warning("import %s: row %s refused by the database", job.pk, number, exc_info=True)
            fail(number, cells, [("", _("数据库无法保存此行，请检查内容是否过长或含有特殊字符"))])

    pending: list = []  # prepared rows waiting for one batch INSERT: (number, cells, row, record, match)

    def flush(ctx) -> None:
        batch = pending[:]
        pending.clear()
        if not batch:
            return
        try:
            with transaction.atomic():
                res.insert(ctx, [record for _n, _c, _r, record, _m in batch])
        except DatabaseError:
            # One row the database refuses would sink the batch: find it by saving them one by one.
            logger.warning("import %s: batch refused, retrying row by row", job.pk, exc_info=True)
            for number, cells, row, _record, _match in batch:
                write(ctx, number, cells, row, None)
            return
        for _n, _c, _r, record, match in batch:
            match["id"] = record.pk
        out.counts["created"] += len(batch)

    try:
        with transaction.atomic():
            ctx = res.begin(actor=actor, owner=owner, mapping=mapping, sheet=sheet, writes=True, **into_pool)
            if hasattr(res, "check_caps"):
                res.check_caps(ctx, sheet, job.on_duplicate)  # customer caps: fatal, before any row is written
            for done, (number, cells) in enumerate(sheet.rows, start=1):
                if done % PROGRESS_EVERY == 0:
                    progress.write(done)
                if all(cells[index] is None for index in mapping):
                    continue  # blank in every imported column: a blank row, counted nowhere
                row = res.parse(ctx, number, cells)
                if row.errors:
                    fail(number, cells, row.errors)
                    continue
                match = res.duplicate_of(ctx, row)
                if match and job.on_duplicate == OnDuplicate.SKIP:
                    out.counts["skipped"] += 1
                    continue
                if not match:
                    try:
                        record = res.prepare(ctx, row)
                    except AppError as exc:
                        fail(number, cells, _service_error_pairs(res, exc))
                        continue
                    if record is not None:
                        pending.append((number, cells, row, record, res.remember(ctx, row, record)))
                        if len(pending) >= BATCH_ROWS:
                            flush(ctx)
                        continue
                flush(ctx)  # saved in file order, and an earlier row this one matches has its id
                write(ctx, number, cells, row, match)
            flush(ctx)
            if job.dry_run:
                transaction.set_rollback(True)
    finally:
        progress.close()
    return out


class _ProgressWriter:
    """Progress the UI can poll while the import's own transaction is still open.

    Writes through a second connection, which only PostgreSQL allows next to an open write
    transaction; on SQLite (one writer at a time) the job shows its progress when it ends.
    """

    def __init__(self, job: ImportJob):
        self.job_id = job.pk
        self.conn = None
        # Not inside a caller's transaction: it may hold the job row's lock, and we would wait on ourselves.
        if (connection.vendor == "postgresql" and job.total > settings.IMPORT_SYNC_MAX_ROWS
                and not connection.in_atomic_block):
            self.conn = connections.create_connection(DEFAULT_DB_ALIAS)

    def write(self, done: int) -> None:
        if self.conn is None:
            return
        try:
            with self.conn.cursor() as cursor:
                cursor.execute(f"UPDATE {ImportJob._meta.db_table} SET progress = %s WHERE id = %s",  # noqa: S608
                               [done, self.job_id])
        except DatabaseError:
            logger.warning("import %s: progress not written", self.job_id, exc_info=True)
            self.close()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def customer_rows_insert(*, customers: list) -> None:
    """The batch INSERT behind CustomerResource.prepare/insert: rows already checked by the customer service's
    _clean and keyed by its customer_search_keys."""
    from django.utils import timezone

    from zhuli.customers.services import pool_default

    pool, now = pool_default(), timezone.now()
    for customer in customers:
        customer.pool = customer.pool or pool
        customer.owned_since, customer.pooled_at = (now, None) if customer.owner_id else (None, now)
    Customer.objects.bulk_create(customers)


def _service_error_pairs(res, exc: AppError) -> list[tuple[str, str]]:
    if isinstance(exc, InvalidInput):
        pairs = []
        for key, messages in exc.errors.items():
            name = res.service_error_fields.get(key, key)
            name = name if name in res.field_map else ""
            pairs += [(name, message) for message in messages]
        return pairs
    return [(exc.field if exc.field in res.field_map else "", exc.message)]


def _error_entries(res, headers, mapping, number, pairs) -> list[dict]:
    """{"row", "column", "message"}: the column is the user's own header text for the field."""
    columns = {name: headers[index] for index, name in mapping.items()}
    entries = []
    for name, message in pairs:
        column = columns.get(name) or (str(res.field_map[name].label) if name in res.field_map else "")
        entries.append({"row": number, "column": column, "message": str(message)})
    return entries


# ---- files ---------------------------------------------------------------------------------------


def _load(name: str) -> bytes:
    try:
        with default_storage.open(name, "rb") as handle:
            return handle.read()
    except OSError:
        raise InvalidInput({"file": _("上传的文件已不存在，请重新上传")}) from None


def _display(value) -> str:
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return "" if value is None else str(value)


def _write_error_file(headers: list[str], failed_rows: Iterable[tuple[int, list, str]]) -> str:
    """The failed rows with their original cells and a 错误原因 column, ready to fix and upload again."""
    buffer = io.BytesIO()
    # Inline strings: the user's text comes back exactly as it was, never as a formula.
    write_xlsx(buffer, sheet_name=_("失败行"), headers=[*headers, ERROR_COLUMN, _("原行号")],
               rows=([*cells, reason, number] for number, cells, reason in failed_rows))
    return store(CheckedFile(buffer.getvalue(), "xlsx", "errors.xlsx"), folder="imports/errors")


def import_error_file(*, actor: Actor, job_id) -> tuple[str, bytes]:
    """(download name, xlsx) of a job's failed rows."""
    job = import_job_get(actor=actor, job_id=job_id)
    if not job.error_file:
        raise NotFound(_("该导入没有失败行"))
    stem = os.path.splitext(job.original_name)[0] or _("导入")
    return f"{stem}-{_('失败行')}.xlsx", _load(job.error_file)


def import_template(*, actor: Actor, resource: str) -> tuple[str, bytes]:
    """An xlsx with the Chinese headers and one example row, and every field with its other accepted names."""
    import openpyxl
    from openpyxl.styles import Font

    res = _resource(resource)
    headers, example = res.template()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = str(res.label)
    sheet.append(headers)
    sheet.append(example)
    for index, header in enumerate(headers, start=1):
        sheet.cell(row=1, column=index).font = Font(bold=True)
        sheet.cell(row=2, column=index).number_format = "@"  # codes keep their leading zeros
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width = max(12, len(header) * 2 + 4)
    notes = workbook.create_sheet(_("字段说明"))
    notes.append([_("字段"), _("必填"), _("也可以写作")])
    for f in res.fields:
        notes.append([str(f.label), _("是") if f.required else "", "、".join(f.synonyms)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return f"{res.label}{_('导入模板')}.xlsx", buffer.getvalue()


# ---- exports -------------------------------------------------------------------------------------


def export_build(*, actor: Actor, resource: str, fmt: str, params) -> tuple[str, str, object]:
    """(filename, content type, body) of the rows the actor may see; the body is bytes or an iterator."""
    from .exports import build

    exporter = export_resources.get(resource)
    if exporter is None:
        raise NotFound(_("不支持导出“%(key)s”") % {"key": resource})
    if fmt not in ("xlsx", "csv"):
        raise InvalidInput({"format": _("format 只能是 xlsx 或 csv")})
    require(actor, exporter.permission)
    rows, filters = exporter.rows(actor=actor, params=params)
    count = rows.count()
    audit_record(actor=actor, action=f"export.{resource}", changes={"format": fmt, "rows": count, "filters": filters})
    return build(actor=actor, exporter=exporter, rows=rows, fmt=fmt)
