"""The one upload door (DESIGN §4 rule 10): the type comes from the content, size and pixels are
bounded, images are re-encoded, files are stored under a random name."""
from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from zhuli.core.errors import InvalidInput, TooLarge
from zhuli.core.uploads import SPREADSHEET_MAX_BYTES, CheckedFile, check_image, check_spreadsheet, store


def image_bytes(fmt: str, size=(40, 30), mode="RGB", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 30, 30) if mode == "RGB" else 0).save(out, fmt, **save)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` × `height` pixels around a tiny body (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def upload(content: bytes, name: str = "logo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


@pytest.mark.parametrize("fmt, kind", [("PNG", "png"), ("JPEG", "jpeg"), ("WEBP", "webp")])
def test_real_images_pass_and_are_re_encoded(fmt, kind):
    original = image_bytes(fmt) + b"<?php system($_GET['c']); ?>"  # a trailing payload does not survive
    checked = check_image(upload(original, f"logo.{kind}"))
    assert checked.kind == kind and checked.original_name == f"logo.{kind}"
    assert checked.content != original and b"<?php" not in checked.content
    again = Image.open(io.BytesIO(checked.content))
    assert again.format == fmt and again.size == (40, 30)


def test_jpeg_metadata_is_dropped():
    exif = Image.Exif()
    exif[0x010E] = "GPS and secrets"  # ImageDescription
    original = image_bytes("JPEG", exif=exif.tobytes())
    assert b"secrets" in original
    assert b"secrets" not in check_image(original).content


def test_bytes_are_accepted_as_well_as_uploads():
    assert check_image(image_bytes("PNG")).kind == "png"


GIF = image_bytes("GIF", mode="P")
PNG = image_bytes("PNG")


@pytest.mark.parametrize("name, content", [
    ("html", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
    ("php", b"<?php echo 'hi'; ?>"),
    ("svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'),
    ("gif", GIF),
    ("png magic, php body", b"\x89PNG\r\n\x1a\n<?php system($_GET['c']); ?>"),
    ("truncated png", PNG[: len(PNG) // 2]),
    ("jpeg magic, png body", b"\xff\xd8\xff" + PNG[3:]),
    ("empty", b""),
])
def test_non_images_and_broken_images_are_refused(name, content):
    with pytest.raises(InvalidInput) as exc:
        check_image(upload(content, "logo.png"), field="logo")
    assert list(exc.value.errors) == ["logo"]


def test_too_many_pixels_are_refused():
    with pytest.raises(InvalidInput) as exc:
        check_image(image_bytes("PNG", size=(5000, 5000), mode="L"))
    assert "4096" in exc.value.message


@pytest.mark.parametrize("side", [20000, 60000])  # over Pillow's warning and its error thresholds
def test_a_decompression_bomb_is_refused_without_decoding(side):
    with pytest.raises(InvalidInput):
        check_image(png_header_only(side, side))


def test_an_image_over_the_byte_limit_is_too_large():
    with pytest.raises(TooLarge):
        check_image(image_bytes("PNG"), max_bytes=100)


# ---- spreadsheets ---------------------------------------------------------------------------


@pytest.mark.parametrize("content, kind", [
    (b"PK\x03\x04" + b"\x00" * 100, "xlsx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "xls"),
    ("名称,电话\n北京沃力森信息技术有限公司,010-62345678\n".encode("gb18030"), "csv"),
    ("\ufeff名称,电话\n甲,1\n".encode(), "csv"),
    (b"<html><body><table><tr><td>a</td></tr></table></body></html>", "html-xls"),
])
def test_spreadsheets_are_recognised_by_content(content, kind):
    checked = check_spreadsheet(upload(content, "客户.bin"))
    assert checked.kind == kind and checked.content == content


@pytest.mark.parametrize("content", [PNG, image_bytes("JPEG"), GIF, b"%PDF-1.4 ...", b"\x1f\x8b\x08\x00", b"\x7fELF\x02"])
def test_images_and_binaries_are_not_spreadsheets(content):
    with pytest.raises(InvalidInput) as exc:
        check_spreadsheet(upload(content, "customers.xlsx"))
    assert "file" in exc.value.errors


def test_an_empty_file_is_refused():
    with pytest.raises(InvalidInput):
        check_spreadsheet(upload(b"", "empty.csv"))
    with pytest.raises(InvalidInput):
        check_spreadsheet(None)


def test_over_twenty_megabytes_is_too_large():
    with pytest.raises(TooLarge) as exc:
        check_spreadsheet(upload(b"a" * (SPREADSHEET_MAX_BYTES + 1), "big.csv"))
    assert exc.value.status == 413 and "20" in exc.value.message
    assert check_spreadsheet(upload(b"a" * SPREADSHEET_MAX_BYTES, "edge.csv")).kind == "csv"


class Claims:
    """An upload whose declared size is refused before anything is read."""

    name, size = "huge.xlsx", SPREADSHEET_MAX_BYTES * 5

    def read(self, *_):
        raise AssertionError("read although the declared size was too large")


def test_a_declared_size_is_checked_before_reading():
    with pytest.raises(TooLarge):
        check_spreadsheet(Claims())


# ---- storing --------------------------------------------------------------------------------


@pytest.mark.parametrize("original", ["../../etc/passwd.png", "evil.php.png", "标志 logo.png", ""])
def test_store_uses_a_random_name_never_the_users(settings, tmp_path, original):
    settings.MEDIA_ROOT = tmp_path
    checked = CheckedFile(check_image(PNG).content, "png", original)
    first, second = store(checked, folder="logos"), store(checked, folder="logos")
    for name in (first, second):
        assert re.fullmatch(r"logos/[0-9a-f]{32}\.png", name), name
        assert default_storage.open(name).read() == checked.content
    assert first != second
    stored = sorted(p.name for p in (tmp_path / "logos").iterdir())
    assert len(stored) == 2 and not any("passwd" in s or "php" in s or "标志" in s for s in stored)
