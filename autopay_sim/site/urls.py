from django.contrib import admin
from django.urls import include, path

from autopay_sim.site import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("autopay/admin/", admin.site.urls),
    path("autopay/", include("autopay_sim.urls")),
]
