"""The money endpoints over HTTP: amounts, roles, scoping, history, statements."""

import csv
import io
from decimal import Decimal

import pytest

from tests.conftest import approve, client_for
from tests.factories import CustomerFactory, UserFactory, fund
from tests.helpers import balance
from transactions.models import Account, Transaction, generate_account_no

pytestmark = pytest.mark.django_db

BAD_AMOUNTS = [0, -1, "0", "-1", "0.001", "abc", "NaN", "Infinity", 1e20, "1e20", None, True, [], {}, ""]


def test_deposit_accepts_json_numbers_and_strings(customer, customer_client, manager_client):
    """A customer's deposit starts a gateway payment (tests/payments); a teller's is credited now."""
    started = customer_client.post("/api/deposit/", {"amount": 250}, format="json")
    assert started.status_code == 201 and started.json()["amount"] == "250.00" and started.json()["status"] == "pending"
    assert balance(customer) == Decimal("0.00")
    teller = {"account_no": customer.account.account_no}
    assert manager_client.post("/api/deposit/", {"amount": 250, **teller}, format="json").status_code == 201
    response = manager_client.post("/api/deposit/", {"amount": "125.50", **teller}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["amount"] == "125.50" and body["balance"] == "375.50"
    assert {"id", "amount", "timestamp"} <= set(body)
    assert balance(customer) == Decimal("375.50")


@pytest.mark.parametrize("path", ["/api/deposit/", "/api/withdrawal/", "/api/balance-transfer/"])
@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_bad_amounts_are_400_with_a_message_and_nothing_moves(funded_customer, other_customer, path, amount):
    client = client_for(funded_customer.user)
    before = Transaction.objects.count()
    body = {"amount": amount}
    if path == "/api/balance-transfer/":
        body["recipient_account_no"] = other_customer.account.account_no
    response = client.post(path, body, format="json")
    assert response.status_code == 400, response.content
    message = response.json()["amount"][0]
    assert len(message) > 10
    assert Transaction.objects.count() == before
    assert balance(funded_customer) == Decimal("1000.00")


def test_withdrawal_with_insufficient_funds_is_400(funded_customer):
    response = client_for(funded_customer.user).post("/api/withdrawal/", {"amount": "1000.01"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "insufficient_funds"
    assert "Insufficient funds" in response.json()["detail"]
    assert balance(funded_customer) == Decimal("1000.00")


@pytest.mark.parametrize("recipient, code", [
    ("1234567890", None),  # fails the check digit: a field error
    ("12345", None),
    (12345, None),
])
def test_transfer_to_a_malformed_account_number_is_400(funded_customer, recipient, code):
    response = client_for(funded_customer.user).post(
        "/api/balance-transfer/", {"amount": "1.00", "recipient_account_no": recipient}, format="json")
    assert response.status_code == 400
    assert "recipient_account_no" in response.json()


def test_transfer_to_unknown_same_or_frozen_account_is_400(funded_customer, other_customer, manager_client):
    client = client_for(funded_customer.user)
    unknown = generate_account_no()
    for recipient, code in ((unknown, "account_not_found"), (funded_customer.account.account_no, "same_account")):
        response = client.post("/api/balance-transfer/", {"amount": "1.00", "recipient_account_no": recipient},
                               format="json")
        assert response.status_code == 400 and response.json()["code"] == code
    manager_client.post(f"/api/accounts/{other_customer.account.account_no}/freeze/")
    response = client.post("/api/balance-transfer/",
                           {"amount": "1.00", "recipient_account_no": other_customer.account.account_no},
                           format="json")
    assert response.status_code == 400 and response.json()["code"] == "account_frozen"
    assert balance(funded_customer) == Decimal("1000.00")


def test_transfer_response_and_history_carry_what_the_client_reads(funded_customer, other_customer):
    client = client_for(funded_customer.user)
    response = client.post("/api/balance-transfer/",
                           {"amount": 100, "recipient_account_no": other_customer.account.account_no}, format="json")
    assert response.status_code == 201
    assert response.json()["balance"] == "900.00"
    for who in (client, client_for(other_customer.user)):
        rows = who.get("/api/balance-transfer/").json()["results"]
        assert len(rows) == 1
        assert {"id", "sender", "recipient_account_no", "recipient_name", "amount", "timestamp"} <= set(rows[0])
        assert rows[0]["recipient_account_no"] == other_customer.account.account_no
    legacy = client.get("/api/transactions/balance-transfer/").json()
    assert isinstance(legacy, list) and legacy[0]["amount"] == "100.00"


def test_histories_are_scoped_to_the_caller(funded_customer, other_customer, manager_client):
    fund(other_customer, "5.00")
    mine = client_for(funded_customer.user).get("/api/deposit/").json()
    assert mine["count"] == 1 and mine["results"][0]["account_no"] == funded_customer.account.account_no
    assert manager_client.get("/api/deposit/").json()["count"] == 2
    assert client_for(funded_customer.user).get("/api/transactions/deposit/").json()[0]["amount"] == "1000.00"


def test_histories_are_newest_first(customer, customer_client, manager_client):
    for amount in ("1.00", "2.00", "3.00"):
        manager_client.post("/api/deposit/", {"amount": amount, "account_no": customer.account.account_no},
                            format="json")
    amounts = [row["amount"] for row in customer_client.get("/api/deposit/").json()["results"]]
    assert amounts == ["3.00", "2.00", "1.00"]


def test_customer_cannot_deposit_into_someone_elses_account(customer_client, other_customer):
    response = customer_client.post("/api/deposit/", {"amount": 5, "account_no": other_customer.account.account_no},
                                    format="json")
    assert response.status_code == 400
    assert balance(other_customer) == 0


def test_manager_teller_deposit_by_account_no(manager_client, customer):
    response = manager_client.post("/api/deposit/", {"amount": "70.00", "account_no": customer.account.account_no},
                                   format="json")
    assert response.status_code == 201
    assert balance(customer) == Decimal("70.00")
    assert manager_client.post("/api/deposit/", {"amount": "1.00"}, format="json").status_code == 400


def test_customer_cannot_see_other_customers_transactions_or_statement(funded_customer, other_customer,
                                                                      other_client, manager_client):
    tx = Transaction.objects.get()
    assert other_client.get(f"/api/transactions/{tx.pk}/").status_code == 404
    assert other_client.get("/api/transactions/").json()["results"] == []
    response = other_client.get(f"/api/statement/?account_no={funded_customer.account.account_no}")
    assert response.status_code == 404
    assert other_client.get(f"/api/accounts/{funded_customer.account.account_no}/").status_code == 404
    assert manager_client.get(f"/api/transactions/{tx.pk}/").status_code == 200


def test_customer_cannot_reverse_or_freeze(funded_customer, customer_client):
    tx = Transaction.objects.get()
    assert customer_client.post(f"/api/transactions/{tx.pk}/reverse/", {"reason": "x"}, format="json").status_code == 403
    account_no = funded_customer.account.account_no
    assert customer_client.post(f"/api/accounts/{account_no}/freeze/").status_code == 403
    assert Account.objects.get(account_no=account_no).status == "active"


def test_manager_reverses_once_with_a_reason(funded_customer, manager_client, checker_client):
    tx = Transaction.objects.get()
    assert manager_client.post(f"/api/transactions/{tx.pk}/reverse/", {}, format="json").status_code == 400
    response = manager_client.post(f"/api/transactions/{tx.pk}/reverse/", {"reason": "teller error"}, format="json")
    assert response.status_code == 202  # four eyes: nothing moved yet
    assert balance(funded_customer) == Decimal("1000.00")
    result = approve(checker_client, response)
    assert balance(funded_customer) == 0
    reversal = manager_client.get(f"/api/transactions/{result['transaction_id']}/").json()
    assert reversal["reverses"] == tx.reference
    again = manager_client.post(f"/api/transactions/{tx.pk}/reverse/", {"reason": "again"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_reversed"
    detail = manager_client.get(f"/api/transactions/{tx.pk}/").json()
    assert detail["reversed_by"] == result["reference"]
    assert manager_client.post("/api/transactions/999999/reverse/", {"reason": "x"}, format="json").status_code == 404


def test_manager_freezes_and_unfreezes(customer, manager_client, checker_client):
    account_no = customer.account.account_no
    assert manager_client.post(f"/api/accounts/{account_no}/freeze/").json()["status"] == "frozen"
    assert manager_client.post(f"/api/accounts/{account_no}/freeze/").status_code == 409
    assert approve(checker_client, manager_client.post(f"/api/accounts/{account_no}/unfreeze/"))["status"] == "active"
    assert manager_client.get(f"/api/accounts/{account_no}/").json()["status"] == "active"
    assert manager_client.post("/api/accounts/0000000000/freeze/").status_code == 404


def test_manager_transaction_list_filters_and_search(manager_client):
    rich, poor = CustomerFactory(), CustomerFactory()
    fund(rich, "500.00")
    fund(poor, "5.00")
    results = manager_client.get("/api/transactions/?amount_min=100").json()["results"]
    assert [r["amount"] for r in results] == ["500.00"]
    results = manager_client.get(f"/api/transactions/?account={poor.account.account_no}").json()["results"]
    assert [r["amount"] for r in results] == ["5.00"]
    results = manager_client.get(f"/api/transactions/?customer={rich.pk}&kind=deposit").json()["results"]
    assert [r["amount"] for r in results] == ["500.00"]
    reference = Transaction.objects.get(amount=5).reference
    assert [r["reference"] for r in manager_client.get(f"/api/transactions/?search={reference}").json()["results"]] == [reference]
    assert manager_client.get("/api/transactions/?date_from=2999-01-01").json()["results"] == []
    assert manager_client.get("/api/transactions/?amount_min=abc").status_code == 400
    assert manager_client.get("/api/transactions/?kind=bogus").status_code == 400
    assert manager_client.get("/api/transactions/?date_from=yesterday").status_code == 400


def test_transaction_list_pages_by_cursor(manager_client, customer):
    for _ in range(5):
        fund(customer, "1.00")
    page = manager_client.get("/api/transactions/?page_size=2").json()
    assert len(page["results"]) == 2 and page["next"]
    second = manager_client.get(page["next"]).json()
    assert {r["id"] for r in second["results"]}.isdisjoint({r["id"] for r in page["results"]})
    assert len(manager_client.get("/api/transactions/?page_size=100000").json()["results"]) == 5


def test_transaction_csv_export(manager_client, customer):
    fund(customer, "12.34")
    response = manager_client.get("/api/transactions/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0]["amount"] == "12.34" and rows[0]["kind"] == "deposit"


def test_statement_has_running_balance_and_opening_closing(funded_customer, customer_client, other_customer):
    customer_client.post("/api/withdrawal/", {"amount": "100.00"}, format="json")
    customer_client.post("/api/balance-transfer/",
                         {"amount": "50.00", "recipient_account_no": other_customer.account.account_no}, format="json")
    statement = customer_client.get("/api/statement/").json()
    assert statement["opening_balance"] == "0.00"
    assert statement["closing_balance"] == "850.00"
    assert [e["balance_after"] for e in statement["entries"]] == ["1000.00", "900.00", "850.00"]
    assert statement["total_credits"] == "1000.00" and statement["total_debits"] == "150.00"
    future = customer_client.get("/api/statement/?from=2999-01-01&to=2999-01-31").json()
    assert future["opening_balance"] == "850.00" and future["entries"] == []
    assert customer_client.get("/api/statement/?from=2026-02-30").status_code == 400
    assert customer_client.get("/api/statement/?from=2026-03-02&to=2026-03-01").status_code == 400
    exported = customer_client.get("/api/statement/?format=csv")
    assert exported.status_code == 200 and b"balance_after" in exported.content


def test_manager_statement_needs_an_account(manager_client, funded_customer):
    assert manager_client.get("/api/statement/").status_code == 400
    response = manager_client.get(f"/api/statement/?account_no={funded_customer.account.account_no}")
    assert response.json()["closing_balance"] == "1000.00"


def test_user_without_a_customer_profile_cannot_move_money(api_client):
    client = client_for(UserFactory())
    assert client.post("/api/deposit/", {"amount": 5}, format="json").status_code == 403
    assert client.post("/api/withdrawal/", {"amount": 5}, format="json").status_code == 403


def test_money_throttle_limits_posts_per_user(funded_customer, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "money": "3/min"}
    client = client_for(funded_customer.user)
    codes = [client.post("/api/withdrawal/", {"amount": "1.00"}, format="json").status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    assert client.get("/api/withdrawal/").status_code == 200  # reading is not throttled by it
    assert balance(funded_customer) == Decimal("997.00")


def test_statement_is_truncated_only_past_the_limit(funded_customer, customer_client, settings):
    customer_client.post("/api/withdrawal/", {"amount": "1.00"}, format="json")
    settings.CSV_EXPORT_MAX_ROWS = 2  # exactly the number of entries
    statement = customer_client.get("/api/statement/").json()
    assert len(statement["entries"]) == 2 and statement["truncated"] is False
    settings.CSV_EXPORT_MAX_ROWS = 1
    statement = customer_client.get("/api/statement/").json()
    assert len(statement["entries"]) == 1 and statement["truncated"] is True
