import importlib

import pytest
from django.db import connection

migration = importlib.import_module("accounts.migrations.0007_cache_table_always")


@pytest.mark.django_db(transaction=True)
def test_the_cache_table_is_made_even_when_redis_was_configured_at_the_first_migrate():
    with connection.schema_editor() as editor:
        editor.execute("DROP TABLE bank_cache")
    assert "bank_cache" not in connection.introspection.table_names()
    with connection.schema_editor() as editor:
        migration.create_cache_table(None, editor)
    assert "bank_cache" in connection.introspection.table_names()
    with connection.schema_editor() as editor:  # and again: a no-op where it exists
        migration.create_cache_table(None, editor)
    from django.core.cache.backends.db import DatabaseCache

    cache = DatabaseCache("bank_cache", {})
    cache.set("k", "v")
    assert cache.get("k") == "v"
