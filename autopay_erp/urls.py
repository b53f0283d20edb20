from django.apps import apps
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        # The split view serves Swagger UI's initializer as a script file: the CSP allows no inline script.
        # The page is HTML only: OPTIONS metadata would have no template to render with.
        SpectacularSwaggerSplitView.as_view(url_name="schema", http_method_names=["get", "head"]),
        name="api-docs",
    ),
    path("api/", include("autopay_erp.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("autopay_erp.ui_urls")),
]
# /healthz, /readyz and /metrics are answered by autopay_erp.ops.middleware, ahead of every other middleware.

if apps.is_installed("autopay_sim"):
    # The simulated AutoPay served in-process (make run, the tests). The ERP never imports it; it reaches it
    # over HTTP at AUTOPAY_BASE_URL. In production it is a service of its own (autopay_sim.site).
    urlpatterns.insert(4, path("autopay/", include("autopay_sim.urls")))

# An unknown URL under /api/ is answered in the API's JSON shape (the simulator's API has its own middleware).
handler400 = "autopay_erp.views.bad_request"
handler404 = "autopay_erp.views.not_found"
handler500 = "autopay_erp.views.server_error"
