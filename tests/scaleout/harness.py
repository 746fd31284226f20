"""The scale-out suites drive the repository's own cluster script (bench/cluster.py) and the
start-up code it shares with the fault suite (bench/local_servers.py)."""

from bench.cluster import (  # noqa: F401
    PASSWORD,
    Cluster,
    Gunicorn,
    ReplicatedDatabase,
    log_in,
    missing_programs,
    request,
    scratch_dir,
)
from bench.local_servers import pg_bin_dir, server_env  # noqa: F401
