import pytest

from .harness import pg_bin_dir


def pytest_collection_modifyitems(config, items):
    if pg_bin_dir() is not None:
        return
    skip = pytest.mark.skip(reason="needs the PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb)")
    for item in items:
        if "tests/scaleout" in str(item.fspath):
            item.add_marker(skip)
