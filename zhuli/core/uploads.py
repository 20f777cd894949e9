"""The one door for uploaded files (DESIGN §4 rule 10): the type is decided from the content,
size and pixels are bounded, and files are stored under a random name."""
from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from PIL import Image

from zhuli.tenancy.context import current_tenant
from zhuli.tenancy.models import TenantKind

from .errors import Conflict, InvalidInput, TooLarge

IMAGE_MAX_BYTES = 2 * 1024 * 1024
IMAGE_MAX_SIDE = 4096
SPREADSHEET_MAX_BYTES = 20 * 1024 * 1024

_IMAGE_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "png",
    b"\xff\xd8\xff": "jpeg",
}
_PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}


@dataclass(frozen=True)
class CheckedFile:
    content: bytes
    kind: str  # png / jpeg / webp / pdf / xlsx / xls / csv / html-xls
    original_name: str

    def _replace_name(self, name: str) -> CheckedFile:
        return CheckedFile(self.content, self.kind, name)

    @property
    def extension(self) -> str:
        return {"jpeg": "jpg", "html-xls": "xls"}.get(self.kind, self.kind)


def _refuse_in_demo(field: str) -> None:
    """The shared demo account takes no files from its visitors (issue 5 part 2): whatever they upload,
    everyone else would see it."""
    tenant = current_tenant()
    if tenant is not None and tenant.kind == TenantKind.DEMO:
        raise Conflict(_("演示帐户不能上传文件"), code="demo_readonly", field=field)


def read_upload(upload, *, max_bytes: int, field: str = "file") -> tuple[bytes, str]:
    """Reads an UploadedFile (or bytes) with a hard bound, so a huge file never sits in memory whole."""
    _refuse_in_demo(field)
    if upload is None:
        raise InvalidInput({field: _("请选择要上传的文件")})
    name = getattr(upload, "name", "") or ""
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise TooLarge(_("文件过大：最大 %(mb)s MB") % {"mb": max_bytes // (1024 * 1024)}, field=field)
    if isinstance(upload, bytes | bytearray):
        content = bytes(upload)
    else:
        upload.seek(0)
        content = upload.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise TooLarge(_("文件过大：最大 %(mb)s MB") % {"mb": max_bytes // (1024 * 1024)}, field=field)
    if not content:
        raise InvalidInput({field: _("文件为空")})
    return content, name


def image_kind(content: bytes) -> str | None:
    for magic, kind in _IMAGE_MAGIC.items():
        if content.startswith(magic):
            return kind
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "webp"
    return None


def check_image(upload, *, field: str = "logo", max_bytes: int = IMAGE_MAX_BYTES) -> CheckedFile:
    """PNG, JPEG or WebP judged by magic bytes and a real decode, re-encoded so nothing else survives."""
    content, name = read_upload(upload, max_bytes=max_bytes, field=field)
    kind = image_kind(content)
    if kind is None:
        raise InvalidInput({field: _("只能上传 PNG、JPEG 或 WebP 图片")})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(content))
            width, height = probe.size
            if width > IMAGE_MAX_SIDE or height > IMAGE_MAX_SIDE:
                raise InvalidInput({field: _("图片尺寸过大：最大 4096 × 4096 像素")})
            if probe.format != _PIL_FORMATS[kind]:
                raise InvalidInput({field: _("图片内容与格式不符")})
            probe.verify()
            image = Image.open(io.BytesIO(content))
            image.load()
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput({field: _("图片尺寸过大：最大 4096 × 4096 像素")})
    except Exception:
        raise InvalidInput({field: _("图片已损坏或无法识别")})
    out = io.BytesIO()
    if kind == "jpeg":
        image.convert("RGB").save(out, "JPEG", quality=90)
    else:
        if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            image = image.convert("RGBA")
        image.save(out, _PIL_FORMATS[kind])
    return CheckedFile(out.getvalue(), kind, name)


DOCUMENT_MAX_BYTES = 10 * 1024 * 1024


def check_document(upload, *, field: str = "file", max_bytes: int = DOCUMENT_MAX_BYTES) -> CheckedFile:
    """An attachment: a PDF (its header and end-of-file marker, whatever the name says) or a PNG / JPEG / WebP
    image (checked and re-encoded as check_image does, within the same size bound)."""
    content, name = read_upload(upload, max_bytes=max_bytes, field=field)
    if content.startswith(b"%PDF-"):
        # A real PDF ends with %%EOF (a little trailing whitespace or junk is common, so look at the tail).
        if b"%%EOF" not in content[-2048:]:
            raise InvalidInput({field: _("PDF 文件已损坏或不完整")})
        return CheckedFile(content, "pdf", name)
    if image_kind(content) is None:
        raise InvalidInput({field: _("只能上传 PDF 或 PNG、JPEG、WebP 图片")})
    return check_image(content, field=field, max_bytes=max_bytes)._replace_name(name)


def check_spreadsheet(upload, *, field: str = "file", max_bytes: int = SPREADSHEET_MAX_BYTES) -> CheckedFile:
    """xlsx / xls (BIFF or HTML table) / csv decided by content; the reader decodes it later."""
    content, name = read_upload(upload, max_bytes=max_bytes, field=field)
    head = content[:8]
    if head.startswith(b"PK\x03\x04"):
        kind = "xlsx"
    elif head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        kind = "xls"
    elif image_kind(content) or head.startswith((b"%PDF", b"GIF8", b"\x1f\x8b", b"\x7fELF")):
        raise InvalidInput({field: _("无法识别的文件格式：请上传 .xlsx、.xls 或 .csv 文件")})
    else:
        lowered = content[:4096].lstrip(b"\xef\xbb\xbf \r\n\t").lower()
        if lowered.startswith(b"<") and b"<table" not in content[:65536].lower():
            # Markup without a table (SVG, XML, a web page) is no spreadsheet, whatever its name says.
            raise InvalidInput({field: _("无法识别的文件格式：请上传 .xlsx、.xls 或 .csv 文件")})
        kind = "html-xls" if lowered.startswith(b"<") else "csv"
    return CheckedFile(content, kind, name)


def store(checked: CheckedFile, *, folder: str) -> str:
    """Stores under a random name; the user's file name is never part of the path."""
    name = f"{folder}/{secrets.token_hex(16)}.{checked.extension}"
    return default_storage.save(name, ContentFile(checked.content))
