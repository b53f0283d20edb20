from django.apps import AppConfig


class FactoringConfig(AppConfig):
    name = "factoring"
    default_auto_field = "django.db.models.BigAutoField"
