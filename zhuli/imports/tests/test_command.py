"""`manage.py import_customers FILE --tenant CODE --owner LOGIN [--on-duplicate] [--dry-run]`."""
from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from zhuli.customers.models import Customer

from .helpers import SZSE, csv_bytes


def call(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_customers", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def small_file(tmp_path):
    path = tmp_path / "客户.csv"
    path.write_bytes(b"".join(SZSE.read_bytes().splitlines(keepends=True)[:11]))
    return path


def test_imports_prints_counts_and_respects_dry_run(org, small_file):
    out, _err = call(str(small_file), "--tenant", "tenant-a", "--owner", "sales1@tenant-a.test", "--dry-run")
    assert "dry run" in out and "created 10" in out
    assert Customer.objects.count() == 0
    out, _err = call(str(small_file), "--tenant", "tenant-a", "--owner", "SALES1@tenant-a.test")
    assert "created 10, updated 0, skipped 0, failed 0" in out
    assert set(Customer.objects.values_list("owner__email", flat=True)) == {"sales1@tenant-a.test"}
    out, _err = call(str(small_file), "--tenant", "tenant-a", "--owner", "sales1@tenant-a.test")
    assert "skipped 10" in out


def test_row_errors_go_to_stderr(org, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([["客户名称", "统一社会信用代码"], ["甲", "123"], ["乙", ""]]))
    out, err = call(str(path), "--tenant", "tenant-a", "--owner", "boss@tenant-a.test")
    assert "created 1" in out and "failed 1" in out
    assert "row 2 [统一社会信用代码]" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tenant", "nope", "--owner", "boss@tenant-a.test"], "no tenant"),
        (["--tenant", "tenant-a", "--owner", "nobody@x.test"], "no active user"),
    ],
)
def test_bad_arguments_fail(org, small_file, args, message):
    with pytest.raises(CommandError, match=message):
        call(str(small_file), *args)


def test_fatal_file_problems_fail_with_nothing_saved(org, tmp_path):
    png = tmp_path / "客户.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    with pytest.raises(CommandError, match="无法识别的文件格式"):
        call(str(png), "--tenant", "tenant-a", "--owner", "boss@tenant-a.test")
    with pytest.raises(CommandError, match="file not found"):
        call(str(tmp_path / "missing.csv"), "--tenant", "tenant-a", "--owner", "boss@tenant-a.test")
    assert Customer.objects.count() == 0
