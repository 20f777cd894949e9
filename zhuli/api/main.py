"""The API assembly: one NinjaAPI, each app's router mounted under its resource names.

Every operation needs a bearer token or a session (zhuli.api.auth) unless it says `auth=None`;
errors are mapped in zhuli.api.errors."""
from zhuli.accounts.api import router as accounts_router
from zhuli.accounts.signup_api import router as signup_router
from zhuli.activities.api import router as activities_router
from zhuli.analytics.api import router as analytics_router
from zhuli.approvals.api import router as approvals_router
from zhuli.audit.api import router as audit_router
from zhuli.billing.api import router as billing_router
from zhuli.catalog.api import router as catalog_router
from zhuli.customers.api import router as customers_router
from zhuli.deals.api import router as deals_router
from zhuli.imports.api import router as imports_router
from zhuli.onboarding.api import router as onboarding_router
from zhuli.platform.api import router as platform_router
from zhuli.preferences.api import router as preferences_router
from zhuli.sales.api import router as sales_router
from zhuli.sales.board_api import router as board_router
from zhuli.workbench.api import router as workbench_router

from . import errors
from .auth import api_auth, tenant_scoped
from .openapi import ZhuliAPI

api = ZhuliAPI(
    title="Zhuli CRM API",
    version="1",
    description="助理 CRM 的 REST API。认证：`POST /api/v1/auth/token` 取得令牌，之后在请求头中发送 "
                "`Authorization: Bearer <token>`。列表返回 `{\"items\", \"count\"}`，支持 `page`、`page_size`（最大 200）和 `sort`。",
    urls_namespace="api",
    docs_url="/docs",
    auth=api_auth,
)
# "view" mode wraps the whole operation (authentication included), so the tenant is reset afterwards.
api.add_decorator(tenant_scoped, mode="view")
errors.install(api)

api.add_router("", accounts_router)
api.add_router("", signup_router)
api.add_router("", customers_router)
api.add_router("", activities_router)
api.add_router("", sales_router)
api.add_router("", preferences_router)
api.add_router("", imports_router)
api.add_router("", workbench_router)
api.add_router("", analytics_router)
api.add_router("", board_router)
api.add_router("", catalog_router)
api.add_router("", deals_router)
api.add_router("", billing_router)
api.add_router("", approvals_router)
api.add_router("", audit_router)
api.add_router("", onboarding_router)
api.add_router("", platform_router)
