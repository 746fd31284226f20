"""API1:2023 Broken Object Level Authorization.

Alice tries every route that names an object with Bob's objects: his profile, account,
transactions, statement, loans (on the brief's paths and the old client's). Each is a 404,
exactly as for an object that does not exist (403 would confirm it exists), and nothing
of Bob's changes. Lists hold only Alice's own rows, whatever the filter or search says.
"""

from decimal import Decimal

import pytest

from loans.models import Loan
from transactions.models import Transaction

pytestmark = pytest.mark.django_db


def bob_routes(bank):
    bob, acct = bank.bob, bank.bob.account.account_no
    loan, pending = bank.bob_approved.pk, bank.bob_pending.pk
    tx = Transaction.objects.filter(destination=bank.bob.account, kind="deposit").first().pk  # Bob's alone
    return [
        ("get", f"/api/customer/{bob.pk}/", None),
        ("patch", f"/api/customer/{bob.pk}/", {"occupation": "Hacked"}),
        ("put", f"/api/customer/{bob.pk}/", {"mobile_no": "01799999999", "nid": "1999999999", "age": 40}),
        ("get", f"/api/account/customer/{bob.pk}/", None),
        ("patch", f"/api/account/customer/{bob.pk}/", {"occupation": "Hacked"}),
        ("get", f"/api/accounts/{acct}/", None),
        ("get", f"/api/statement/?account_no={acct}", None),
        ("get", f"/api/statement/?account_no={acct}&format=csv", None),
        ("get", f"/api/transactions/{tx}/", None),
        ("get", f"/api/loans/{loan}/", None),
        ("post", f"/api/loans/{loan}/repay/", {"amount": "10.00"}),
        ("post", f"/api/loans/{pending}/cancel/", {}),
        ("get", f"/api/transactions/loans/{loan}/", None),
        ("post", f"/api/transactions/loans/{loan}/repay/", {"amount": "10.00"}),
        ("post", f"/api/transactions/loans/{pending}/cancel/", {}),
    ]


def _state(bank):
    bank.bob.refresh_from_db()
    bank.bob.account.refresh_from_db()
    return (
        bank.bob.occupation, bank.bob.mobile_no, bank.bob.account.balance,
        list(Loan.objects.filter(customer=bank.bob).order_by("pk").values_list("status", "outstanding_principal")),
        Transaction.objects.count(),
    )


def test_every_object_route_gives_404_for_another_customers_object(bank):
    before = _state(bank)
    for method, path, body in bob_routes(bank):
        response = getattr(bank.alice_client, method)(path, body, format="json") if body is not None \
            else getattr(bank.alice_client, method)(path)
        assert response.status_code == 404, f"{method.upper()} {path}: {response.status_code} {response.content}"
    assert _state(bank) == before


def test_404_for_another_customers_object_is_the_same_as_for_a_missing_one(bank):
    theirs = bank.alice_client.get(f"/api/loans/{bank.bob_approved.pk}/")
    missing = bank.alice_client.get("/api/loans/999999/")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()


def test_the_owner_reaches_the_same_routes(bank):
    """The control: the 404s above are about ownership, not broken routes."""
    bob = bank.bob_client
    assert bob.get(f"/api/customer/{bank.bob.pk}/").status_code == 200
    assert bob.get(f"/api/accounts/{bank.bob.account.account_no}/").status_code == 200
    assert bob.get(f"/api/transactions/{bank.bob_transfer.pk}/").status_code == 200
    assert bob.get(f"/api/loans/{bank.bob_approved.pk}/").status_code == 200
    assert bob.get(f"/api/statement/?account_no={bank.bob.account.account_no}").status_code == 200
    assert bob.post(f"/api/loans/{bank.bob_approved.pk}/repay/", {"amount": "10.00"}, format="json").status_code == 200


@pytest.mark.parametrize("path, key", [
    ("/api/customer/", "id"),
    ("/api/accounts/", "account_no"),
    ("/api/loans/", "id"),
    ("/api/deposit/", "id"),
    ("/api/withdrawal/", "id"),
    ("/api/transactions/", "id"),
])
def test_lists_hold_only_the_callers_rows_whatever_the_filter(bank, path, key):
    bob_values = {
        "/api/customer/": {bank.bob.pk},
        "/api/accounts/": {bank.bob.account.account_no},
        "/api/loans/": {bank.bob_pending.pk, bank.bob_approved.pk},
    }
    bob_tx = set(Transaction.objects.filter(source=bank.bob.account).exclude(
        destination=bank.alice.account).values_list("pk", flat=True)) | set(
        Transaction.objects.filter(destination=bank.bob.account).values_list("pk", flat=True))
    theirs = bob_values.get(path, bob_tx)
    for query in ({}, {"customer": bank.bob.pk}, {"search": bank.bob.account.account_no},
                  {"account": bank.bob.account.account_no}, {"search": bank.bob.user.username}, {"page_size": 100}):
        response = bank.alice_client.get(path, query)
        assert response.status_code == 200, (path, query, response.content)
        rows = response.json()["results"]
        assert not ({row[key] for row in rows} & theirs), (path, query)


def test_customer_list_shows_only_me_even_on_the_old_path(bank):
    rows = bank.alice_client.get("/api/account/customer/").json()
    assert [row["id"] for row in rows] == [bank.alice.pk]


def test_managers_are_invisible_to_customers(bank):
    assert bank.alice_client.get("/api/manager/").json()["results"] == []
    assert bank.alice_client.get(f"/api/manager/{bank.manager.pk}/").status_code == 404
    response = bank.alice_client.patch(f"/api/manager/{bank.manager.pk}/", {"age": 99}, format="json")
    assert response.status_code in (403, 404)
    bank.manager.refresh_from_db()
    assert bank.manager.age != 99


def test_customer_deposits_only_into_their_own_account(bank):
    bank.bob.account.refresh_from_db()
    before = bank.bob.account.balance
    response = bank.alice_client.post("/api/deposit/", {"amount": "5.00", "account_no": bank.bob.account.account_no},
                                      format="json")
    assert response.status_code == 400
    bank.bob.account.refresh_from_db()
    assert bank.bob.account.balance == before


def test_idempotency_keys_are_per_user_so_a_key_cannot_replay_someone_elses_response(bank):
    key = {"HTTP_IDEMPOTENCY_KEY": "shared-key-1"}
    first = bank.bob_client.post("/api/withdrawal/", {"amount": "7.00"}, format="json", **key)
    assert first.status_code == 201
    second = bank.alice_client.post("/api/withdrawal/", {"amount": "7.00"}, format="json", **key)
    assert second.status_code == 201
    assert second.json()["account_no"] == bank.alice.account.account_no
    assert second.json()["id"] != first.json()["id"]
    bank.alice.account.refresh_from_db()
    assert bank.alice.account.balance == Decimal(second.json()["balance"])


def test_manager_sees_every_customers_objects(bank):
    manager = bank.manager_client
    for path in (f"/api/customer/{bank.bob.pk}/", f"/api/accounts/{bank.bob.account.account_no}/",
                 f"/api/transactions/{bank.bob_transfer.pk}/", f"/api/loans/{bank.bob_approved.pk}/",
                 f"/api/statement/?account_no={bank.bob.account.account_no}"):
        assert manager.get(path).status_code == 200, path


def test_recipient_of_a_transfer_never_sees_the_senders_balance_or_login(bank):
    """Found by this suite: the transfer's detail showed Alice (the recipient) Bob's balance
    after the transfer (his entry's balance_after) and Bob's username."""
    response = bank.alice_client.get(f"/api/transactions/{bank.bob_transfer.pk}/")
    assert response.status_code == 200  # it touched her account: she may see it
    body = response.json()
    entries = {entry["account_no"]: entry for entry in body["entries"]}
    assert entries[bank.bob.account.account_no]["balance_after"] is None
    assert entries[bank.alice.account.account_no]["balance_after"] is not None
    assert body["performed_by"] is None
    listed = bank.alice_client.get("/api/transactions/").json()["results"]
    assert all(row["performed_by"] in (None, bank.alice.user.username) for row in listed)
    # Bob and the manager still see everything.
    mine = bank.bob_client.get(f"/api/transactions/{bank.bob_transfer.pk}/").json()
    assert mine["performed_by"] == bank.bob.user.username
    assert {e["account_no"]: e for e in mine["entries"]}[bank.bob.account.account_no]["balance_after"] is not None
    managed = bank.manager_client.get(f"/api/transactions/{bank.bob_transfer.pk}/").json()
    assert all(entry["balance_after"] is not None for entry in managed["entries"])
