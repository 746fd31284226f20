from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_internal_accounts(sender, using, plan=None, **kwargs):
    """After every migrate (and test flush): every internal account in every shard exists,
    so adding a code to INTERNAL_ACCOUNTS or raising LEDGER_INTERNAL_SHARDS needs no
    migration of its own. Skipped while the ledger tables are not (fully) there."""
    from django.db import connections

    from .models import Account
    from .services import ensure_internal_accounts

    connection = connections[using]
    table = Account._meta.db_table
    with connection.cursor() as cursor:
        if table not in connection.introspection.table_names(cursor):
            return
        columns = {column.name for column in connection.introspection.get_table_description(cursor, table)}
    if "shard" in columns:
        ensure_internal_accounts(using=using)


class TransactionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "transactions"

    def ready(self):
        post_migrate.connect(_ensure_internal_accounts, sender=self, dispatch_uid="transactions.internal_accounts")
