"""`POST /api/v1/signup` (DESIGN §5): opens a trial; the new boss then gets a token at /auth/token."""
from __future__ import annotations

import datetime

from ninja import Router
from ninja.responses import Status
from pydantic import BaseModel, Field, StrictBool

from zhuli.api.auth import client_ip
from zhuli.api.errors import ErrorOut, ValidationOut
from zhuli.api.schemas import Out

from .signup import tenant_signup

router = Router(tags=["signup"])


class SignupIn(BaseModel):
    # Generous bounds: the service names the field with its own message (e.g. 公司名称最多 100 个字符).
    company: str = Field(default="", max_length=1000, description="公司名称（最多 100 个字符）")
    name: str = Field(default="", max_length=1000, description="联系人姓名")
    email: str | None = Field(default=None, max_length=254, description="邮箱；与手机号至少填一个")
    mobile: str | None = Field(default=None, max_length=40, description="手机号（11 位）")
    password: str = Field(default="", max_length=200)
    accept_terms: StrictBool = Field(default=False, description="须为 true：同意服务条款（/terms/）")


class SignupTenantOut(Out):
    code: str
    name: str
    kind: str
    status: str
    trial_ends_on: datetime.date | None


class SignupUserOut(Out):
    id: int
    name: str
    email: str | None
    mobile: str | None


class SignupOut(Out):
    tenant: SignupTenantOut
    user: SignupUserOut


@router.post("/signup", auth=None, response={201: SignupOut, 422: ValidationOut, 429: ErrorOut})
def signup(request, payload: SignupIn):
    """Opens a trial company whose boss (company admin) is the caller; per-address limit on successes (429)."""
    tenant, user = tenant_signup(data=payload.model_dump(), ip=client_ip(request))
    return Status(201, {
        "tenant": {"code": tenant.code, "name": tenant.name, "kind": tenant.kind, "status": tenant.status,
                   "trial_ends_on": tenant.trial_ends_on},
        "user": {"id": user.pk, "name": user.name, "email": user.email, "mobile": user.mobile},
    })
