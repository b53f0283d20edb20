from typing import Any

from django.core.management.base import BaseCommand, CommandError

from company import crypto, services


class Command(BaseCommand):
    help = "Re-encrypt every stored AutoPay signing key under the first key of FIELD_ENCRYPTION_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            count = services.encryption_keys_rotate()
        except crypto.DecryptionError as exc:
            raise CommandError(f"{exc} Nothing was changed.") from exc
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {count} signing key(s) under the first key."))
