"""Django's PostgreSQL backend with one change: how its connection pool checks a connection.

Django's pool (CONN_HEALTH_CHECKS) sends an empty query before lending each connection: a
round trip on every request. Measured on the transfer (make bench, 8 clients): 520-570/s
with it, 690-730/s without; 0.7 ms of the worker's CPU and 0.15 ms of PostgreSQL's per
request (docs/benchmarks.md). The check here asks the operating system instead: an idle
connection has nothing to read, and PostgreSQL closing it (a restart, a failover,
pg_terminate_backend, an idle timeout) makes its socket readable (the error message, then
end of file). Only then is the round trip made, and it fails on a dead connection, which the
pool then replaces. A peer that vanished without closing (a cut cable) is not seen by either
check: the statement and connect timeouts (settings.DB_TIME_LIMITS_MS) bound that case.
"""

import select

import psycopg
from django.core.exceptions import ImproperlyConfigured
from django.db.backends.postgresql import base


def check_connection(conn) -> None:
    """Raise if `conn` (idle, in the pool) is no longer usable; a round trip only if in doubt."""
    if conn.closed or conn.broken:
        raise psycopg.OperationalError("the connection is closed")
    poller = select.poll()
    poller.register(conn.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
    if poller.poll(0):
        # The server wrote to, or closed, an idle connection: see what it says.
        psycopg_pool().ConnectionPool.check_connection(conn)


def psycopg_pool():
    try:
        import psycopg_pool
    except ImportError as err:
        raise ImproperlyConfigured("Error loading psycopg_pool module.\nDid you install psycopg[pool]?") from err
    return psycopg_pool


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self):
        # As Django's (django/db/backends/postgresql/base.py), with check_connection above.
        pool_options = self.settings_dict["OPTIONS"].get("pool")
        if self.alias == base.NO_DB_ALIAS or not pool_options:
            return None
        if self.alias not in self._connection_pools:
            if self.settings_dict.get("CONN_MAX_AGE", 0) != 0:
                raise ImproperlyConfigured("Pooling doesn't support persistent connections.")
            connect_kwargs = self.get_connection_params()
            connect_kwargs["autocommit"] = True  # Django sets it as it needs afterwards
            pool = psycopg_pool().ConnectionPool(
                kwargs=connect_kwargs,
                open=False,  # opened by the first request, after gunicorn's fork
                configure=self._configure_connection,
                check=check_connection if self.settings_dict["CONN_HEALTH_CHECKS"] else None,
                **({} if pool_options is True else pool_options),
            )
            self._connection_pools.setdefault(self.alias, pool)
        return self._connection_pools[self.alias]
