from django.apps import AppConfig


class CompanyConfig(AppConfig):
    name = "company"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The audit receivers of logins, failed logins and lock-outs.
        from company import login_throttle

        login_throttle.connect()
