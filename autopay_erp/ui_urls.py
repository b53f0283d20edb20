from django.contrib.auth import views as auth_views
from django.urls import include, path

from autopay_erp import views
from company import views_activation as company_views_activation
from ledger import views as ledger_views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.dashboard, name="dashboard"),
    path("company/switch/", views.company_switch, name="company-switch"),
    path("open-items/", ledger_views.open_item_list, name="open-items"),
    path("vouchers/", ledger_views.voucher_list, name="vouchers"),
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
]
