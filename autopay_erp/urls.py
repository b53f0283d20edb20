from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/", include("autopay_erp.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # The simulated AutoPay service. The ERP never imports it; it reaches it over HTTP at AUTOPAY_BASE_URL.
    path("autopay/", include("autopay_sim.urls")),
    path("", include("autopay_erp.ui_urls")),
]
