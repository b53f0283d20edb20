"""Incoming payments keep their credited account in the form accounts are compared in (an IBAN as its BBAN).

The bank identity of a payment (credited account, archive reference, date, amount) is unique across sources;
with the account as each source spelled it, a payment taken from a camt.054 file (IBAN) and the same payment
from OCR Giro or AutoPay (BBAN) were two identities.
"""

from django.db import migrations


def _key(account: str) -> str:
    key = "".join(ch for ch in account if ch.isalnum()).upper()
    if key.startswith("NO") and len(key) == 15:
        return key[4:]
    return key


def forwards(apps, schema_editor):
    IncomingPayment = apps.get_model("factoring", "IncomingPayment")
    rows = IncomingPayment.objects.exclude(credited_account__regex=r"^[0-9]+$").values_list(
        "pk", "credited_account", "archive_reference", "value_date", "amount", "is_reversal"
    )
    for pk, account, reference, date, amount, reversal in rows.iterator():
        key = _key(account)
        if key == account:
            continue
        if reference and (
            IncomingPayment.objects.filter(
                credited_account=key, archive_reference=reference, value_date=date, amount=amount,
                is_reversal=reversal,
            )
            .exclude(pk=pk)
            .exists()
        ):
            # The same payment was taken twice before this migration (once under each spelling of the
            # account): left as it is, for an accountant to reverse one of them.
            print(f"\n  Incoming payment {pk} was also taken under account {key}; left under {account}.")
            continue
        IncomingPayment.objects.filter(pk=pk).update(credited_account=key)


class Migration(migrations.Migration):
    dependencies = [("factoring", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
