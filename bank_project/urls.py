from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.legacy_urls import account_urlpatterns, auth_urlpatterns
from payments.urls import checkout_urlpatterns
from transactions.legacy_urls import transactions_legacy_urlpatterns

from .health import healthz, readyz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    # The old web client's prefixes, before the brief's paths so that e.g.
    # /api/transactions/deposit/ is not taken for a transaction id route.
    path("api/auth/", include(auth_urlpatterns)),
    path("api/account/", include(account_urlpatterns)),
    path("api/transactions/", include(transactions_legacy_urlpatterns)),
    # The brief's paths.
    path("api/", include("accounts.urls")),
    path("api/", include("transactions.urls")),
    path("api/", include("loans.urls")),
    path("api/", include("services.urls")),
    path("api/", include("contact.urls")),
    path("api/", include("payments.urls")),
    # The sandbox gateway's checkout page (HTML for a browser, not the JSON API).
    path("payments/", include(checkout_urlpatterns)),
    path("api/", include("audit.urls")),
    path("api/", include("approvals.urls")),
    path("api/", include("staff.urls")),
    path("api/", include("mfa.urls")),
    path("api/", include("notifications.urls")),
    path("api/", include("reports.urls")),
    path("api/", include("usersessions.urls")),
]

# No HTML error pages: every error answers JSON (bank_project/api/failures.py).
handler400 = "bank_project.api.failures.bad_request"
handler403 = "bank_project.api.failures.permission_denied"
handler404 = "bank_project.api.failures.not_found"
handler500 = "bank_project.api.failures.server_error"
