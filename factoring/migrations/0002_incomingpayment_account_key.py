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
    for pk, account in IncomingPayment.objects.exclude(credited_account__regex=r"^[0-9]+$").values_list(
        "pk", "credited_account"
    ).iterator():
        IncomingPayment.objects.filter(pk=pk).update(credited_account=_key(account))


class Migration(migrations.Migration):
    dependencies = [("factoring", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
