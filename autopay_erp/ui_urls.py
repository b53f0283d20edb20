from django.contrib.auth import views as auth_views
from django.urls import path

from autopay_erp import views
from company import views_activation as company_views_activation
from factoring import views as factoring_views
from ledger import views as ledger_views

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
        "companies/<int:company_id>/autopay/",
        company_views_activation.company_activate_autopay,
        name="company-activate-autopay",
    ),
]
