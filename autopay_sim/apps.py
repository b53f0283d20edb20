from django.apps import AppConfig


class AutopaySimConfig(AppConfig):
    name = "autopay_sim"
    default_auto_field = "django.db.models.BigAutoField"
