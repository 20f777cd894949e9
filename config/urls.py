from django.urls import include, path

urlpatterns = [
    path("api/v1/", include("zhuli.api.urls")),
    path("customers/", include("zhuli.customers.urls")),
    path("opportunities/", include("zhuli.sales.urls")),
    path("followups/", include("zhuli.activities.urls")),
    path("imports/", include("zhuli.imports.urls")),
    path("products/", include("zhuli.catalog.urls")),
    path("approvals/", include("zhuli.approvals.urls")),
    path("", include("zhuli.deals.urls")),
    path("", include("zhuli.billing.urls")),
    path("settings/audit/", include("zhuli.audit.urls")),
    path("settings/", include("zhuli.preferences.urls")),
    path("platform/", include("zhuli.platform.urls")),
    path("", include("zhuli.onboarding.urls")),
    path("analytics/", include("zhuli.analytics.urls")),
    path("account/", include("zhuli.accounts.urls")),
    path("", include("zhuli.workbench.urls")),
    path("", include("zhuli.web.urls")),
]

handler403 = "zhuli.web.errors.handler403"
handler404 = "zhuli.web.errors.handler404"
handler500 = "zhuli.web.errors.handler500"
