"""The API assembly: one NinjaAPI, each app's router mounted under its resource names."""
from ninja import NinjaAPI

from zhuli.accounts.api import router as accounts_router
from zhuli.activities.api import router as activities_router
from zhuli.customers.api import router as customers_router
from zhuli.imports.api import router as imports_router
from zhuli.preferences.api import router as preferences_router
from zhuli.workbench.api import router as workbench_router

api = NinjaAPI(title="Zhuli CRM API", version="1", urls_namespace="api", docs_url="/docs")

api.add_router("", accounts_router)
api.add_router("", customers_router)
api.add_router("", activities_router)
api.add_router("", preferences_router)
api.add_router("", imports_router)
api.add_router("", workbench_router)
