from unittest import mock

import pytest
from django.db import OperationalError, connection


@pytest.mark.django_db
def test_readyz_is_ok_when_everything_answers(client, redis_cache):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


@pytest.mark.django_db
def test_readyz_without_redis_configured_checks_the_database_only(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok"}


@pytest.mark.django_db
def test_readyz_is_degraded_but_200_when_redis_is_down(client, dead_redis_cache):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"] == {"database": "ok", "redis": "down"}


@pytest.mark.django_db
def test_readyz_and_healthz_are_503_when_the_database_is_down(client):
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("connection refused")):
        ready = client.get("/readyz")
        live = client.get("/healthz")
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "checks": {"database": "down"}}
    assert ready["Retry-After"] == "2"
    assert live.status_code == 503
