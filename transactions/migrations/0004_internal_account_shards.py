"""Each internal account becomes LEDGER_INTERNAL_SHARDS rows (shard 0 is the old row,
keeping its balance and entries), so postings to it stop queueing on one locked row."""

from django.db import migrations, models


def create_shards(apps, schema_editor):
    from transactions.services import ensure_internal_accounts

    ensure_internal_accounts(apps.get_model("transactions", "Account"), using=schema_editor.connection.alias)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_user_tokens_valid_after'),
        ('transactions', '0003_gateway_clearing_account'),
    ]

    operations = [
        migrations.AddField(
            model_name='account',
            name='shard',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name='account',
            name='code',
            field=models.CharField(blank=True, max_length=32, null=True),
        ),
        migrations.AddConstraint(
            model_name='account',
            constraint=models.UniqueConstraint(fields=('code', 'shard'), name='internal_account_code_shard_unique'),
        ),
        migrations.AddConstraint(
            model_name='account',
            constraint=models.CheckConstraint(condition=models.Q(('kind', 'internal'), ('shard', 0), _connector='OR'), name='customer_account_unsharded'),
        ),
        migrations.RunPython(create_shards, migrations.RunPython.noop),
    ]
