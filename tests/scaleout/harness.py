"""The scale-out suites drive the repository's own cluster script (bench/cluster.py)."""

from bench.cluster import (  # noqa: F401
    PASSWORD,
    Cluster,
    Gunicorn,
    ReplicatedDatabase,
    log_in,
    missing_programs,
    pg_bin_dir,
    request,
    scratch_dir,
    server_env,
)
