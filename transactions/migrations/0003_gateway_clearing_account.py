"""The bank's `gateway_clearing` account: the other side of deposits paid through a payment
gateway (money the gateway owes the bank until it settles)."""

from django.db import migrations


def create_internal_accounts(apps, schema_editor):
    from transactions.services import ensure_internal_accounts

    ensure_internal_accounts(apps.get_model("transactions", "Account"))


class Migration(migrations.Migration):
    dependencies = [("transactions", "0002_ledger_append_only_and_internal_accounts")]

    operations = [migrations.RunPython(create_internal_accounts, migrations.RunPython.noop)]
