"""The replica router's decisions, without a replica (the real one: test_replica.py)."""

from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from accounts.models import User
from bank_project import db_router
from services.models import Service
from transactions.models import Account, Entry, IdempotencyKey, Transaction


def test_without_a_replica_url_nothing_is_routed():
    assert not settings.DATABASE_REPLICA_URL
    assert "replica" not in settings.DATABASES
    assert not getattr(settings, "DATABASE_ROUTERS", [])
    assert "bank_project.db_router.ReplicaMiddleware" not in settings.MIDDLEWARE


@pytest.fixture
def healthy(monkeypatch):
    state = {"healthy": True}
    monkeypatch.setattr(db_router.health, "is_healthy", lambda: state["healthy"])
    return state


def in_request(user, method="GET", view=lambda request: None):
    """Run `view(request)` inside ReplicaMiddleware as a request by `user`."""
    request = SimpleNamespace(method=method, user=user, path="/api/x/")
    return db_router.ReplicaMiddleware(view)(request)


def anonymous():
    return SimpleNamespace(is_authenticated=False, pk=None)


def read_db(model):
    return db_router.ReplicaRouter().db_for_read(model)


@pytest.mark.django_db(transaction=True)
def test_safe_requests_read_ledger_data_from_the_replica_and_auth_data_from_the_primary(healthy):
    routed = in_request(anonymous(), view=lambda request: {
        model: read_db(model) for model in (Account, Transaction, Entry, Service, User, IdempotencyKey)})
    assert routed == {Account: "replica", Transaction: "replica", Entry: "replica", Service: "replica",
                      User: "default", IdempotencyKey: "default"}
    # Outside a request (commands, workers) and in a write request: the primary.
    assert read_db(Account) == "default"
    assert in_request(anonymous(), method="POST", view=lambda request: read_db(Account)) == "default"
    assert db_router.ReplicaRouter().db_for_write(Account) == "default"


@pytest.mark.django_db(transaction=True)
def test_transactions_a_pin_and_an_unhealthy_replica_keep_reads_on_the_primary(healthy):
    def atomic_read(request):
        with transaction.atomic():
            return read_db(Account)

    assert in_request(anonymous(), view=atomic_read) == "default"

    user = SimpleNamespace(is_authenticated=True, pk=424242)
    cache.delete(db_router.pin_key(user.pk))
    assert in_request(user, view=lambda request: read_db(Account)) == "replica"
    in_request(user, method="POST")  # any write request pins its user
    assert in_request(user, view=lambda request: read_db(Account)) == "default"
    cache.delete(db_router.pin_key(user.pk))
    assert in_request(user, view=lambda request: read_db(Account)) == "replica"

    healthy["healthy"] = False
    assert in_request(user, view=lambda request: read_db(Account)) == "default"
