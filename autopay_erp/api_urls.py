from django.urls import path
from rest_framework.authtoken import views as authtoken_views
from rest_framework.routers import DefaultRouter

from company import api as company_api
from company import api_activation as company_api_activation
from factoring import api as factoring_api
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
router.register("factoring-companies", factoring_api.FactoringCompanyViewSet, basename="factoring-company")
router.register("incoming-files", factoring_api.IncomingFileViewSet, basename="api-incoming-file")
router.register("incoming-payments", factoring_api.IncomingPaymentViewSet, basename="incoming-payment")

urlpatterns = [
    path("token/", authtoken_views.obtain_auth_token, name="api-token"),
    path(
        "companies/<int:company_id>/activate-autopay/",
        company_api_activation.CompanyActivateAutoPayView.as_view(),
        name="api-company-activate-autopay",
    ),
    *router.urls,
]
