from django.urls import path
from rest_framework.authtoken import views as authtoken_views
from rest_framework.routers import DefaultRouter
from rest_framework.settings import api_settings

from company import api as company_api
from company import api_activation as company_api_activation
from ledger import api as ledger_api

router = DefaultRouter()
router.register("companies", company_api.CompanyViewSet, basename="company")
router.register("bank-partners", company_api.BankPartnerViewSet, basename="bank-partner")
router.register("accounts", ledger_api.AccountViewSet, basename="account")
router.register("suppliers", ledger_api.SupplierViewSet, basename="supplier")
router.register("customers", ledger_api.CustomerViewSet, basename="customer")
router.register("open-items", ledger_api.OpenItemViewSet, basename="open-item")
router.register("vouchers", ledger_api.VoucherViewSet, basename="voucher")
router.register("reconciliations", ledger_api.ReconciliationViewSet, basename="reconciliation")

urlpatterns = [
    path(
        "token/",
        # DRF's token view lists its own parsers; it gets the project's, as every other view.
        authtoken_views.ObtainAuthToken.as_view(parser_classes=api_settings.DEFAULT_PARSER_CLASSES),
        name="api-token",
    ),
    path(
        "companies/<int:company_id>/activate-autopay/",
        company_api_activation.CompanyActivateAutoPayView.as_view(),
        name="api-company-activate-autopay",
    ),
    *router.urls,
]
