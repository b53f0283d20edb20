from django.apps import AppConfig


class AutopayErpConfig(AppConfig):
    name = "autopay_erp"
    verbose_name = "AutoPay ERP"
