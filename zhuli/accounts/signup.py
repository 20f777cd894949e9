"""Self-service trial sign-up (issue 5 part 1): validation, the per-address limit, one open trial per login.

Abuse rules, decided here:
* Validation comes first; only then the per-IP limit, which counts *successful* sign-ups in a sliding hour
  (PlatformSettings.signups_per_ip_per_hour), kept in the shared Django cache (database or Redis).
* Logins are unique platform-wide, so a taken email or mobile is a field error. Beyond that every login
  that opened a trial is remembered (`TrialSignup`): while that trial is still open (kind trial, not
  expired or suspended) the same email or mobile cannot open another one, even after its boss switched
  to a different login. A converted or expired trial no longer blocks.
"""
from __future__ import annotations

import datetime
import hashlib
import secrets
import time
import unicodedata

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from zhuli.access.actor import Actor
from zhuli.audit.services import audit_record
from zhuli.core.errors import AppError, InvalidInput
from zhuli.core.text import clean_text
from zhuli.tenancy.models import PlatformSettings, Tenant, TenantKind, TenantStatus

from .models import TrialSignup, User
from .provisioning import tenant_create
from .services import _clean_login, check_password_strength

COMPANY_MAX = 100
NAME_MAX = 50
WINDOW_SECONDS = 3600


class SignupThrottled(AppError):
    status = 429


def _company(value) -> str:
    return clean_text(unicodedata.normalize("NFKC", str(value or "")))


def _validate(data: dict) -> dict:
    """Every field's problem at once, so the form shows them together."""
    errors: dict[str, list[str]] = {}
    company = _company(data.get("company"))
    if not company:
        errors["company"] = [_("请填写公司名称")]
    elif len(company) > COMPANY_MAX:
        errors["company"] = [_("公司名称最多 %(n)s 个字符") % {"n": COMPANY_MAX}]
    name = clean_text(unicodedata.normalize("NFKC", str(data.get("name") or "")))
    if not name:
        errors["name"] = [_("请填写联系人姓名")]
    elif len(name) > NAME_MAX:
        errors["name"] = [_("姓名最多 %(n)s 个字符") % {"n": NAME_MAX}]
    email = mobile = None
    try:
        email, mobile = _clean_login({"email": data.get("email"), "mobile": data.get("mobile")})
    except InvalidInput as exc:
        errors.update(exc.errors)
    else:
        errors.update(_open_trial_errors(email, mobile))
    try:
        # The similarity validator (when configured) compares against the would-be user.
        check_password_strength(data.get("password") or "", user=User(email=email, mobile=mobile, name=name))
    except InvalidInput as exc:
        errors.update(exc.errors)
    if data.get("accept_terms") is not True:
        errors["accept_terms"] = [_("请阅读并同意服务条款")]
    if errors:
        raise InvalidInput(errors)
    return {"company": company, "name": name, "email": email, "mobile": mobile, "password": data["password"]}


def _open_trial_errors(email: str | None, mobile: str | None) -> dict[str, list[str]]:
    logins = Q(pk__in=[])
    if email:
        logins |= Q(email=email)
    if mobile:
        logins |= Q(mobile=mobile)
    open_rows = TrialSignup.objects.filter(logins, tenant__kind=TenantKind.TRIAL, tenant__status=TenantStatus.ACTIVE)
    errors = {}
    for row_email, row_mobile in open_rows.values_list("email", "mobile"):
        if email and row_email == email:
            errors["email"] = [_("该邮箱已开通过试用帐户，试用期内不能重复申请")]
        if mobile and row_mobile == mobile:
            errors["mobile"] = [_("该手机号已开通过试用帐户，试用期内不能重复申请")]
    return errors


# ---- the per-address limit ----------------------------------------------------------------------


def _clock() -> float:
    return time.time()


def _limit_key(ip: str) -> str:
    return "signup-ok:" + hashlib.sha256(ip.encode()).hexdigest()[:32]


def _recent(key: str, now: float) -> list[float]:
    stamps = cache.get(key) or []
    return [t for t in stamps if isinstance(t, int | float) and now - t < WINDOW_SECONDS]


def _check_rate(ip: str | None) -> None:
    if not ip:
        return
    limit = PlatformSettings.current().signups_per_ip_per_hour
    if len(_recent(_limit_key(ip), _clock())) >= limit:
        raise SignupThrottled(_("该网络地址一小时内注册的试用帐户过多，请稍后再试"), code="throttled")


def _count_success(ip: str | None) -> None:
    """A list of success times: an exact sliding hour on any cache backend. Two sign-ups finishing at the
    same instant may be counted once; an abuse bound, not an invariant."""
    if not ip:
        return
    key, now = _limit_key(ip), _clock()
    stamps = _recent(key, now) + [now]
    cache.set(key, stamps[-100:], WINDOW_SECONDS)


# ---- the service ----------------------------------------------------------------------------------


def _new_code() -> str:
    while True:
        code = "t" + secrets.token_hex(5)
        if not Tenant.objects.filter(code=code).exists():
            return code


def tenant_signup(*, data: dict, ip: str | None) -> tuple[Tenant, User]:
    """Opens a trial tenant (limits from PlatformSettings) whose boss is company admin; validation, then the limit."""
    clean = _validate(data)
    _check_rate(ip)
    settings = PlatformSettings.current()
    try:
        with transaction.atomic():
            tenant, boss = tenant_create(
                code=_new_code(), name=clean["company"], admin_login=clean["email"] or clean["mobile"],
                password=clean["password"], admin_name=clean["name"], kind=TenantKind.TRIAL,
                max_users=settings.trial_max_users, max_bosses=settings.trial_max_bosses,
                trial_days=settings.trial_days, check_password=False,
            )
            if clean["email"] and clean["mobile"]:
                boss.mobile = clean["mobile"]
                boss.save(update_fields=["mobile"])
            # The trial ends on the tenant's own calendar, not the server's.
            tenant.trial_ends_on = tenant.today() + datetime.timedelta(days=settings.trial_days)
            tenant.signup_ip = ip
            tenant.save(update_fields=["trial_ends_on", "signup_ip"])
            TrialSignup.objects.create(tenant=tenant, email=clean["email"], mobile=clean["mobile"], ip=ip)
            audit_record(actor=Actor.for_user(boss), action="tenant.signup", target=tenant, ip=ip,
                         changes={"email": clean["email"], "mobile": clean["mobile"],
                                  "trial_ends_on": str(tenant.trial_ends_on)})
    except IntegrityError:
        # Someone took the same login between our check and the insert.
        raise InvalidInput({"email" if clean["email"] else "mobile": _("该邮箱或手机号已被使用")})
    _count_success(ip)
    return tenant, boss
