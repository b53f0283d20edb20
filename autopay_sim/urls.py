from django.urls import path, register_converter

from autopay_sim import api, views


class _Reference:
    """A payment reference in a page's address: no slash and no control character (a NUL byte the database
    refuses to compare), so that such an address is a plain 404 rather than a server error."""

    regex = r"[^/\x00-\x1f\x7f]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(_Reference, "reference")

app_name = "autopay_sim"
urlpatterns = [
    # The signed API of docs/autopay-wire.md.
    path("api/v1/activations", api.activations, name="api-activations"),
    path("api/v1/payments", api.payments, name="api-payments"),
    path("api/v1/payments/<str:reference>", api.payment_detail, name="api-payment"),
    path("api/v1/payments/<str:reference>/cancel", api.payment_cancel, name="api-payment-cancel"),
    path("api/v1/messages", api.messages, name="api-messages"),
    # The web UI.
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("", views.home, name="home"),
    path("payments/<reference:reference>/", views.payment_detail, name="payment"),
    path("payments/<reference:reference>/approve/", views.payment_approve, name="payment-approve"),
    path("payments/<reference:reference>/cancel/", views.payment_cancel, name="payment-cancel"),
    path("payments/<reference:reference>/date/", views.payment_date, name="payment-date"),
    path("payments/<reference:reference>/lines/<int:line_id>/amount/", views.line_amount, name="line-amount"),
    path("bank/run-day/", views.bank_run_day, name="bank-run-day"),
    path("approval/", views.invoice_approval, name="invoice-approval"),
]
