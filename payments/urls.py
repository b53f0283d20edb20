from django.urls import path

from payments import views

urlpatterns = [
    path("", views.payment_list, name="payments"),
    path("propose/", views.payment_propose, name="payment-propose"),
    path("upload/", views.payments_upload_selected, name="payments-upload"),
    path("runs/<int:run_id>/", views.upload_run_detail, name="payment-upload-run"),
    path("autopay/", views.autopay_ui, name="autopay-ui"),
    path("<int:payment_id>/", views.payment_detail, name="payment-detail"),
    path("<int:payment_id>/upload/", views.payment_upload, name="payment-upload"),
    path("<int:payment_id>/delete/", views.payment_delete, name="payment-delete"),
    path("<int:payment_id>/date/", views.payment_date_change, name="payment-date"),
    path("lines/<int:line_id>/remove/", views.line_remove, name="payment-line-remove"),
    path("lines/<int:line_id>/reduce/", views.line_reduce, name="payment-line-reduce"),
    path("flags/<int:flag_id>/override/", views.flag_override, name="payment-flag-override"),
]
