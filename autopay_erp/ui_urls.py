from django.contrib.auth import views as auth_views
from django.urls import include, path

from autopay_erp import sync_pages, views
from company import views_activation as company_views_activation
from company import views_security as company_views_security
from factoring import views as factoring_views
from ledger import views as ledger_views
from payments import settlement_pages

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.dashboard, name="dashboard"),
    path("company/switch/", views.company_switch, name="company-switch"),
    path("open-items/", ledger_views.open_item_list, name="open-items"),
    path("vouchers/", ledger_views.voucher_list, name="vouchers"),
    path("incoming/", factoring_views.incoming_upload, name="incoming-upload"),
    path("incoming/imports/<int:import_id>/", factoring_views.incoming_import, name="incoming-import"),
    path("incoming/work-list/", factoring_views.work_list, name="incoming-work-list"),
    path(
        "incoming/payments/<int:payment_id>/allocate/",
        factoring_views.payment_allocate,
        name="incoming-payment-allocate",
    ),
    path("incoming/factoring-companies/", factoring_views.factoring_companies, name="factoring-companies"),
    path(
        "open-items/<int:item_id>/payment-block/",
        ledger_views.open_item_payment_block,
        name="open-item-payment-block",
    ),
    path("payments/", include("payments.urls")),
    path(
        "companies/<int:company_id>/autopay/",
        company_views_activation.company_activate_autopay,
        name="company-activate-autopay",
    ),
    path("account/two-factor/", company_views_security.two_factor_enrol, name="two-factor"),
    path("companies/<int:company_id>/audit/", company_views_security.audit_log, name="company-audit"),
    path("sync/", sync_pages.sync_state, name="autopay-sync"),
    path("sync/now/", sync_pages.sync_now, name="autopay-sync-now"),
    path(
        "sync/anomalies/<int:anomaly_id>/resolve/", sync_pages.anomaly_resolve, name="autopay-anomaly-resolve"
    ),
    path(
        "payments/awaiting-batch/", settlement_pages.lines_awaiting_batch, name="payment-lines-awaiting-batch"
    ),
    path(
        "payments/awaiting-batch/post/",
        settlement_pages.lines_batch_create,
        name="payment-lines-batch-create",
    ),
    path(
        "payments/settlement-missing/",
        settlement_pages.lines_settlement_missing,
        name="payment-lines-settlement-missing",
    ),
]
