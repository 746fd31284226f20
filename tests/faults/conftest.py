"""Fault suite: runs only when asked (`-m faults`, `make test-faults`, CI) and only where
PostgreSQL's binaries, redis-server and nginx exist; every server it starts is its own."""

import shutil
import tempfile
from pathlib import Path

import pytest

from .harness import ClusterTemplate, missing_prerequisites


def pytest_collection_modifyitems(config, items):
    missing = missing_prerequisites()
    if not missing:
        return
    skip = pytest.mark.skip(reason="fault suite needs " + ", ".join(missing))
    for item in items:
        if "faults" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def cluster_template():
    root = Path(tempfile.mkdtemp(prefix="bank-faults-"))
    template = ClusterTemplate(root)
    template.build()
    yield template
    shutil.rmtree(root, ignore_errors=True)
