from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from company import audit, crypto, models, services


class Command(BaseCommand):
    help = "Re-encrypt every stored AutoPay signing key under the first key of FIELD_ENCRYPTION_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            count = services.encryption_keys_rotate()
        except crypto.DecryptionError as exc:
            raise CommandError(f"{exc} Nothing was changed.") from exc
        audit.audit_event_record(
            event=models.AuditEventKind.KEYS_ROTATED,
            user=None,
            username="manage.py rotate_encryption_keys",
            details={"values_reencrypted": count},
            now=timezone.now(),
        )
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {count} signing key(s) under the first key."))
