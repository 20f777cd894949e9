"""HTTP helpers shared by the web views and the API: downloads with Chinese file names, the early size check."""
from __future__ import annotations

import re
import tempfile
from urllib.parse import quote

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _

from zhuli.core.errors import TooLarge

# Multipart framing around the file; a body bigger than the limit plus this is refused unread.
MULTIPART_SLACK = 1024 * 1024
SPOOL_IN_MEMORY = 1024 * 1024
SPOOL_CHUNK = 64 * 1024
_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._-]+")


def content_disposition(filename: str) -> str:
    """`filename` for old clients (ASCII only) and RFC 5987 `filename*` with the real, Chinese name."""
    fallback = _UNSAFE_ASCII.sub("", filename).strip("-._") or "download"
    if "." in filename and "." not in fallback:
        fallback += "." + filename.rsplit(".", 1)[1]
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download(filename: str, content_type: str, body) -> HttpResponse:
    """bytes → HttpResponse, an open file → FileResponse, an iterator of bytes → StreamingHttpResponse."""
    if isinstance(body, bytes | bytearray):
        response = HttpResponse(body, content_type=content_type)
    elif hasattr(body, "read"):
        response = FileResponse(body, content_type=content_type)
    else:
        response = StreamingHttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename)
    response["Cache-Control"] = "private, no-store"
    return response


def _too_large() -> TooLarge:
    return TooLarge(_("文件过大：最大 %(mb)s MB") % {"mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)}, field="file")


def refuse_oversized(request) -> None:
    """Refuses an oversized upload from its Content-Length, before the body is parsed at all;
    the upload door (core.uploads) bounds the bytes actually read as well. A chunked body (no
    Content-Length) is spooled first, see _spool_chunked."""
    limit = settings.IMPORT_MAX_BYTES + MULTIPART_SLACK
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise _too_large()
    if not length and _is_chunked(request):
        _spool_chunked(request, limit)


def _is_chunked(request) -> bool:
    return "chunked" in (request.META.get("HTTP_TRANSFER_ENCODING") or "").lower() \
        or bool(request.META.get("wsgi.input_terminated"))


def _spool_chunked(request, limit: int) -> None:
    """Django reads a request body only up to its Content-Length, so a chunked upload (the server has
    de-chunked it into wsgi.input) looks empty and would be answered "请选择要上传的文件". Copy it to a
    temporary file (on disk past 1 MB) up to the limit — refusing with 413 as soon as it goes past —
    and hand Django that file with its now known length."""
    if getattr(request, "_read_started", False) or "wsgi.input" not in request.META:
        return
    source = request.META["wsgi.input"]
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 — lives as long as the request
    size = 0
    while True:
        chunk = source.read(min(SPOOL_CHUNK, limit + 1 - size))
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            spool.close()
            raise _too_large()
        spool.write(chunk)
    spool.seek(0)
    request._chunked_spool = spool  # the temporary file goes when the request is garbage-collected
    request._stream = LimitedStream(spool, size)
    request.META["CONTENT_LENGTH"] = str(size)
