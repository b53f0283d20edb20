from django.urls import path
from rest_framework.routers import DefaultRouter

from autopay_erp import api_sync, api_token
from company import api as company_api
from company import api_activation as company_api_activation
from factoring import api as factoring_api
from ledger import api as ledger_api
from payments import api as payments_api
from payments import api_settlement as payments_api_settlement

router = DefaultRouter()
router.register("companies", company_api.CompanyViewSet, basename="company")
router.register("bank-partners", company_api.BankPartnerViewSet, basename="bank-partner")
router.register("accounts", ledger_api.AccountViewSet, basename="account")
router.register("suppliers", ledger_api.SupplierViewSet, basename="supplier")
router.register("customers", ledger_api.CustomerViewSet, basename="customer")
router.register("open-items", ledger_api.OpenItemViewSet, basename="open-item")
router.register("vouchers", ledger_api.VoucherViewSet, basename="voucher")
router.register("voucher-series", ledger_api.VoucherSeriesViewSet, basename="voucher-series")
router.register("reconciliations", ledger_api.ReconciliationViewSet, basename="reconciliation")
router.register("payments", payments_api.PaymentViewSet, basename="payment")
router.register("payment-lines", payments_api.PaymentLineViewSet, basename="payment-line")
router.register("payment-line-flags", payments_api.PaymentLineFlagViewSet, basename="payment-line-flag")
router.register("payment-upload-runs", payments_api.UploadRunViewSet, basename="payment-upload-run")
router.register("factoring-companies", factoring_api.FactoringCompanyViewSet, basename="factoring-company")
router.register("incoming-files", factoring_api.IncomingFileViewSet, basename="api-incoming-file")
router.register("incoming-payments", factoring_api.IncomingPaymentViewSet, basename="incoming-payment")

urlpatterns = [
    path("token/", api_token.obtain_token, name="api-token"),
    path(
        "companies/<int:company_id>/activate-autopay/",
        company_api_activation.CompanyActivateAutoPayView.as_view(),
        name="api-company-activate-autopay",
    ),
    path("payment-proposals/", payments_api.PaymentProposalView.as_view(), name="api-payment-proposals"),
    path("sync/", api_sync.SyncRequestView.as_view(), name="api-sync"),
    path("sync/<str:task_id>/", api_sync.SyncStateView.as_view(), name="api-sync-state"),
    path(
        "payment-lines/create-batch/",
        payments_api_settlement.PaymentLinesCreateBatchView.as_view(),
        name="api-payment-lines-create-batch",
    ),
    path(
        "payment-lines/awaiting-batch/",
        payments_api_settlement.PaymentLinesAwaitingBatchView.as_view(),
        name="api-payment-lines-awaiting-batch",
    ),
    path(
        "payment-lines/settlement-missing/",
        payments_api_settlement.PaymentLinesSettlementMissingView.as_view(),
        name="api-payment-lines-settlement-missing",
    ),
    *router.urls,
]
