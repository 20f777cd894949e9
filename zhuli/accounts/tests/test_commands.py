"""create_tenant (DESIGN §5 CLI contract): an empty tenant and one boss who is the company admin."""
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from zhuli.accounts.models import User
from zhuli.customers.models import Customer
from zhuli.preferences.models import DictionaryItem
from zhuli.tenancy.models import Tenant, TenantKind
from zhuli.tenancy.unscoped import for_tenant

pytestmark = pytest.mark.django_db
PW = "Accept-Passw0rd-1"


def create(*args: str) -> str:
    out = StringIO()
    call_command("create_tenant", *args, stdout=out)
    return out.getvalue()


def test_creates_an_empty_trial_tenant_with_its_boss():
    out = create("--code", "acc123", "--name", "验收acc123公司", "--admin", "boss@acc123.example.com", "--password", PW)
    assert "acc123" in out
    tenant = Tenant.objects.get(code="acc123")
    assert tenant.kind == TenantKind.TRIAL and tenant.name == "验收acc123公司" and tenant.trial_ends_on
    boss = User.objects.get(email="boss@acc123.example.com")
    assert (boss.tenant, boss.role, boss.is_admin) == (tenant, "boss", True)
    assert authenticate(login="boss@acc123.example.com", password=PW) == boss
    assert for_tenant(DictionaryItem, tenant).exists()
    assert not for_tenant(Customer, tenant).exists()


def test_formal_kind_and_mobile_login():
    create("--code", "formal-co", "--name", "正式公司", "--admin", "13912345678", "--password", PW, "--kind", "formal")
    tenant = Tenant.objects.get(code="formal-co")
    assert tenant.kind == TenantKind.FORMAL and tenant.trial_ends_on is None
    assert User.objects.get(mobile="13912345678").tenant == tenant


@pytest.mark.parametrize("args, message", [
    (["--code", "taken", "--admin", "other@x.example.com"], "taken"),
    (["--code", "fresh", "--admin", "boss@taken.example.com"], "email"),
    (["--code", "Bad Code!", "--admin", "b@bad.example.com"], "code"),
])
def test_taken_code_or_login_or_bad_code_fails_clearly(args, message):
    create("--code", "taken", "--name", "已有公司", "--admin", "boss@taken.example.com", "--password", PW)
    with pytest.raises(CommandError, match=message):
        create(*args, "--name", "新公司", "--password", PW)
    assert Tenant.objects.count() == 1 and User.objects.count() == 1


def test_weak_password_is_refused_and_nothing_is_created():
    with pytest.raises(CommandError, match="password"):
        create("--code", "weak", "--name", "弱密码公司", "--admin", "boss@weak.example.com", "--password", "123")
    assert not Tenant.objects.filter(code="weak").exists()
    assert not User.objects.filter(email="boss@weak.example.com").exists()


def test_non_zero_exit_from_the_command_line(monkeypatch, capsys):
    """What `.venv/bin/python manage.py create_tenant …` does: exit status 1 and the reason on stderr."""
    from django.core.management import load_command_class

    # run_from_argv closes every connection when done; the test's transaction must survive it.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    argv = ["manage.py", "create_tenant", "--code", "dup", "--name", "甲公司", "--admin", "boss@dup.example.com",
            "--password", PW]
    load_command_class("zhuli.accounts", "create_tenant").run_from_argv(argv)
    with pytest.raises(SystemExit) as exit_:
        load_command_class("zhuli.accounts", "create_tenant").run_from_argv(argv)
    assert exit_.value.code == 1
    assert "dup" in capsys.readouterr().err
