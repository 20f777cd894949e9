"""Helpers for the web tests of several apps (imported, not fixtures)."""
from __future__ import annotations

import io
import random
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

HOSTILE = "<img src=x onerror=alert(1)>测试客户"
HOSTILE_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;测试客户"


def signed_in(client, user):
    client.force_login(user)
    return client


def image_bytes(fmt: str = "PNG", size=(64, 32), noise: bool = False) -> bytes:
    mode = "RGB" if fmt == "JPEG" else "RGBA"
    image = Image.new(mode, size, (200, 30, 30) if mode == "RGB" else (200, 30, 30, 255))
    if noise:
        rnd = random.Random(1)
        image.putdata([tuple(rnd.randrange(256) for _ in mode) for _ in range(size[0] * size[1])])
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def png_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A tiny PNG whose header claims a huge image (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * (1 + width // 8) * 64, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
