"""HTTP helpers shared by the web views and the API: downloads with Chinese file names, the early size check."""
from __future__ import annotations

import re
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _

from zhuli.core.errors import TooLarge

# Multipart framing around the file; a body bigger than the limit plus this is refused unread.
MULTIPART_SLACK = 1024 * 1024
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


def refuse_oversized(request) -> None:
    """Refuses an oversized upload from its Content-Length, before the body is parsed at all;
    the upload door (core.uploads) bounds the bytes actually read as well."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.IMPORT_MAX_BYTES + MULTIPART_SLACK:
        raise TooLarge(_("文件过大：最大 %(mb)s MB") % {"mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)},
                       field="file")
