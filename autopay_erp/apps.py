from django.apps import AppConfig


class AutopayErpConfig(AppConfig):
    name = "autopay_erp"
    verbose_name = "AutoPay ERP"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from autopay_erp.ops import gauges, metrics

        # Time and count every database query of every connection (web and worker alike).
        connection_created.connect(metrics.connection_observe, dispatch_uid="autopay_erp.ops.db_metrics")
        gauges.gauges_register()
