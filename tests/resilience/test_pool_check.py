"""The pool's connection check (bank_project.postgresql): no round trip for a healthy idle
connection; a connection the server closed is refused, so the pool lends a fresh one."""

import time

import psycopg
import pytest
from django.db import connection
from psycopg_pool import ConnectionPool

from bank_project.postgresql.base import check_connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def raw_connection() -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    return psycopg.connect(**params, autocommit=True)


def test_a_healthy_idle_connection_passes_without_a_round_trip(monkeypatch):
    def round_trip(conn):
        raise AssertionError("the check made a round trip on a healthy connection")

    monkeypatch.setattr(ConnectionPool, "check_connection", staticmethod(round_trip))
    with raw_connection() as conn:
        conn.execute("SELECT 1").fetchone()
        check_connection(conn)


def test_a_connection_the_server_ended_fails_the_check():
    with raw_connection() as victim, raw_connection() as admin:
        pid = victim.info.backend_pid
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + 5
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        with pytest.raises(psycopg.OperationalError):
            check_connection(victim)


def test_a_closed_connection_fails_the_check():
    conn = raw_connection()
    conn.close()
    with pytest.raises(psycopg.OperationalError):
        check_connection(conn)


def test_the_backend_is_in_use():
    assert connection.settings_dict["ENGINE"] == "bank_project.postgresql" and connection.vendor == "postgresql"
