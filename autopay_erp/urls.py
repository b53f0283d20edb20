from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's initializer as a script file: the CSP allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/", include("autopay_erp.api_urls")),
    # The simulated AutoPay service. The ERP never imports it; it reaches it over HTTP at AUTOPAY_BASE_URL.
    path("autopay/", include("autopay_sim.urls")),
    path("", include("autopay_erp.ui_urls")),
]
