"""The loans API at the brief's paths: who may do what, and what bad input gets."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from loans.models import Installment, Loan
from tests.conftest import client_for
from tests.factories import CustomerFactory, ManagerFactory, fund
from tests.helpers import balance, count_queries
from transactions.models import Transaction

from .helpers import approved_loan, ledger_problems, receivable, request

pytestmark = pytest.mark.django_db
D = Decimal


def post(client, path, data=None, **extra):
    return client.post(path, data if data is not None else {}, format="json", **extra)


# --- Request and list -----------------------------------------------------------------------


def test_customer_requests_a_loan(customer_client, customer):
    response = post(customer_client, "/api/loans/", {"amount_requested": 5000, "term_months": 24, "purpose": "Car"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["amount_requested"] == "5000.00" and body["amount_approved"] is None
    assert body["status"] == "pending" and body["term_months"] == 24 and body["annual_interest_rate"] == "12.00"
    assert body["request_date"] and body["installments"] == []
    assert Loan.objects.get(pk=body["id"]).customer == customer


def test_term_defaults_to_12_months(customer_client):
    response = post(customer_client, "/api/loans/", {"amount_requested": "1000.00"})
    assert response.status_code == 201 and response.json()["term_months"] == 12


@pytest.mark.parametrize(
    "data, field",
    [
        ({}, "amount_requested"),
        ({"amount_requested": "abc"}, "amount_requested"),
        ({"amount_requested": 0}, "amount_requested"),
        ({"amount_requested": "-10"}, "amount_requested"),
        ({"amount_requested": "10.001"}, "amount_requested"),
        ({"amount_requested": "NaN"}, "amount_requested"),
        ({"amount_requested": 1000, "term_months": 0}, "term_months"),
        ({"amount_requested": 1000, "term_months": 361}, "term_months"),
        ({"amount_requested": 1000, "term_months": "soon"}, "term_months"),
        ({"amount_requested": 1000, "status": "approved"}, "status"),
        ({"amount_requested": 1000, "amount_approved": 1000}, "amount_approved"),
    ],
)
def test_bad_loan_requests_are_400_with_the_field_named(customer_client, data, field):
    response = post(customer_client, "/api/loans/", data)
    assert response.status_code == 400
    assert field in response.json()
    assert not Loan.objects.exists()


def test_request_above_the_income_multiple_is_400_with_a_message(customer_client):
    response = post(customer_client, "/api/loans/", {"amount_requested": "1000001.00"})  # income 50,000 x 20
    assert response.status_code == 400
    assert response.json()["code"] == "loan_above_income_multiple"
    assert "at most 1000000.00" in response.json()["detail"]


def test_managers_do_not_request_loans(manager_client):
    assert post(manager_client, "/api/loans/", {"amount_requested": 100}).status_code == 403


def test_anonymous_gets_401(api_client):
    assert api_client.get("/api/loans/").status_code == 401
    assert api_client.get("/api/loans/preview/?amount=100").status_code == 401


def test_customer_lists_only_their_own_loans_and_manager_all(customer, other_customer, customer_client, manager_client):
    mine = request(customer, "100.00")
    theirs = request(other_customer, "200.00")
    rows = customer_client.get("/api/loans/").json()
    assert rows["count"] == 1 and [r["id"] for r in rows["results"]] == [mine.pk]
    for field in ("id", "amount_requested", "amount_approved", "status", "request_date"):
        assert field in rows["results"][0]
    rows = manager_client.get("/api/loans/").json()
    assert [r["id"] for r in rows["results"]] == [theirs.pk, mine.pk]  # newest first


def test_manager_filters_by_status(customer, manager, manager_client):
    pending = request(customer, "100.00")
    approved = approved_loan(customer, manager, "100.00")
    assert [r["id"] for r in manager_client.get("/api/loans/?status=pending").json()["results"]] == [pending.pk]
    assert [r["id"] for r in manager_client.get("/api/loans/?status=approved").json()["results"]] == [approved.pk]
    assert manager_client.get("/api/loans/?status=bogus").status_code == 400


# --- Preview -----------------------------------------------------------------------------------


def test_preview_shows_the_schedule_at_todays_rate(customer_client):
    response = customer_client.get("/api/loans/preview/", {"amount": "12000", "term_months": "12"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["annual_interest_rate"] == "12.00" and body["installment_amount"] == "1066.19"
    assert body["total_interest"] == "794.23" and body["total_repayable"] == "12794.23"
    assert [row["amount"] for row in body["installments"]] == ["1066.19"] * 11 + ["1066.14"]
    assert body["installments"][0]["due_date"] > timezone.localdate().isoformat()
    assert not Loan.objects.exists()


@pytest.mark.parametrize("query", [{}, {"amount": "x"}, {"amount": "-1"}, {"amount": "100", "term_months": "0"},
                                   {"amount": "0.05", "term_months": "12"}])
def test_bad_preview_queries_are_400(customer_client, query):
    response = customer_client.get("/api/loans/preview/", query)
    assert response.status_code == 400, response.content


# --- Detail and schedule -------------------------------------------------------------------------


def test_detail_shows_the_schedule_with_overdue_installments(customer, manager, customer_client):
    loan = approved_loan(customer, manager, "1200.00", term_months=3)
    today = timezone.localdate()
    Installment.objects.filter(loan=loan, number=1).update(due_date=today - timedelta(days=10))
    body = customer_client.get(f"/api/loans/{loan.pk}/").json()
    first, second, third = body["installments"]
    assert (first["number"], first["status"], first["days_past_due"]) == (1, "overdue", 10)
    assert (second["status"], second["days_past_due"]) == ("unpaid", 0)
    assert first["principal"] and first["interest"] == "12.00" and first["amount_paid"] == "0.00"
    assert body["amount_overdue"] == first["amount"]
    assert body["disbursement_reference"] == loan.disbursement.reference


def test_another_customers_loan_is_404(customer, other_client):
    loan = request(customer, "100.00")
    assert other_client.get(f"/api/loans/{loan.pk}/").status_code == 404
    assert post(other_client, f"/api/loans/{loan.pk}/cancel/").status_code == 404


def test_manager_sees_any_loan(customer, manager_client):
    loan = request(customer, "100.00")
    assert manager_client.get(f"/api/loans/{loan.pk}/").json()["id"] == loan.pk


# --- Approve and reject ----------------------------------------------------------------------------


def test_manager_approves_and_the_money_arrives(customer, manager_client):
    loan = request(customer, "12000.00")
    response = post(manager_client, f"/api/loans/{loan.pk}/approve/",
                    {"amount_approved": 12000, "annual_interest_rate": "12"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "approved" and body["amount_approved"] == "12000.00"
    assert len(body["installments"]) == 12 and body["installments"][-1]["amount"] == "1066.14"
    assert body["outstanding_total"] == "12794.23"
    assert balance(customer.account) == D("12000.00") and receivable() == D("-12000.00")
    assert ledger_problems() == []


def test_approving_twice_is_409_and_money_moves_once(customer, manager_client):
    loan = request(customer, "1000.00")
    assert post(manager_client, f"/api/loans/{loan.pk}/approve/", {"amount_approved": "1000.00"}).status_code == 200
    again = post(manager_client, f"/api/loans/{loan.pk}/approve/", {"amount_approved": "1000.00"})
    assert again.status_code == 409 and again.json()["code"] == "loan_not_pending"
    assert balance(customer.account) == D("1000.00")
    assert Transaction.objects.filter(kind="loan_disbursement").count() == 1


def test_approving_after_reject_is_409(customer, manager_client):
    loan = request(customer, "1000.00")
    rejected = post(manager_client, f"/api/loans/{loan.pk}/reject/", {"reason": "Not enough history"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert rejected.json()["decision_reason"] == "Not enough history"
    assert post(manager_client, f"/api/loans/{loan.pk}/approve/", {"amount_approved": "1000.00"}).status_code == 409
    assert post(manager_client, f"/api/loans/{loan.pk}/reject/").status_code == 409
    assert balance(customer.account) == D("0.00") and not Transaction.objects.exists()


def test_customers_cannot_approve_or_reject_even_their_own_loan(customer, customer_client, other_client):
    loan = request(customer, "1000.00")
    for client in (customer_client, other_client):
        assert post(client, f"/api/loans/{loan.pk}/approve/", {"amount_approved": "1000.00"}).status_code == 403
        assert post(client, f"/api/loans/{loan.pk}/reject/").status_code == 403
    loan.refresh_from_db()
    assert loan.status == "pending" and balance(customer.account) == D("0.00")


@pytest.mark.parametrize(
    "data",
    [{"amount_approved": "1000.01"}, {"amount_approved": 0}, {"amount_approved": "-1"}, {"amount_approved": "abc"},
     {"amount_approved": "1.001"}, {"amount_approved": None}, {"amount_approved": True}, {},
     {"amount_approved": "1000", "annual_interest_rate": "100.5"},
     {"amount_approved": "1000", "annual_interest_rate": "-1"},
     {"amount_approved": "1000", "annual_interest_rate": "twelve"}],
)
def test_bad_approvals_are_400_and_move_nothing(customer, manager_client, data):
    loan = request(customer, "1000.00")
    response = post(manager_client, f"/api/loans/{loan.pk}/approve/", data)
    assert response.status_code == 400, response.content
    loan.refresh_from_db()
    assert loan.status == "pending" and not Transaction.objects.exists()


def test_approving_above_the_request_says_why(customer, manager_client):
    loan = request(customer, "1000.00")
    response = post(manager_client, f"/api/loans/{loan.pk}/approve/", {"amount_approved": "1500"})
    assert response.json()["code"] == "invalid_loan_amount"
    assert "cannot be more than the amount requested (1000.00)" in response.json()["detail"]


def test_approving_an_unknown_loan_is_404(manager_client):
    assert post(manager_client, "/api/loans/999999/approve/", {"amount_approved": "1"}).status_code == 404


# --- Repay and cancel --------------------------------------------------------------------------------


def test_repay_partially_then_the_rest(customer, manager, customer_client):
    loan = approved_loan(customer, manager, "12000.00")
    fund(customer, "794.23")
    first = post(customer_client, f"/api/loans/{loan.pk}/repay/", {"amount": 1066.19})
    assert first.status_code == 200, first.content
    body = first.json()
    assert body["status"] == "approved" and body["installments"][0]["status"] == "paid"
    assert body["repayment"]["interest"] == "120.00" and body["repayment"]["principal"] == "946.19"
    assert body["balance"] == "11728.04" and body["outstanding_total"] == "11728.04"
    rest = post(customer_client, f"/api/loans/{loan.pk}/repay/", {"amount": body["outstanding_total"]})
    assert rest.status_code == 200 and rest.json()["status"] == "paid"
    assert rest.json()["outstanding_total"] == "0.00" and rest.json()["balance"] == "0.00"
    assert {row["status"] for row in rest.json()["installments"]} == {"paid"}
    assert len(rest.json()["repayments"]) == 2
    again = post(customer_client, f"/api/loans/{loan.pk}/repay/", {"amount": 1})
    assert again.status_code == 409
    assert ledger_problems() == []


def test_overpaying_is_400_and_nothing_moves(customer, manager, customer_client):
    loan = approved_loan(customer, manager, "1000.00", term_months=1)
    fund(customer, "1000.00")
    response = post(customer_client, f"/api/loans/{loan.pk}/repay/", {"amount": "1010.01"})
    assert response.status_code == 400 and response.json()["code"] == "loan_overpayment"
    assert "1010.00" in response.json()["detail"]
    assert balance(customer.account) == D("2000.00")
    assert not Transaction.objects.filter(kind="loan_repayment").exists()


def test_repaying_with_too_little_money_is_400_and_nothing_moves(customer, manager, customer_client):
    loan = approved_loan(customer, manager, "1000.00")
    post(customer_client, "/api/withdrawal/", {"amount": "990.00"})
    response = post(customer_client, f"/api/loans/{loan.pk}/repay/", {"amount": "20.00"})
    assert response.status_code == 400 and response.json()["code"] == "insufficient_funds"
    assert balance(customer.account) == D("10.00")
    loan.refresh_from_db()
    assert loan.outstanding_principal == D("1000.00")
    assert not Transaction.objects.filter(kind="loan_repayment").exists()


@pytest.mark.parametrize("data", [{}, {"amount": "x"}, {"amount": 0}, {"amount": "-1"}, {"amount": "1.234"}])
def test_bad_repayment_amounts_are_400(customer, manager, customer_client, data):
    loan = approved_loan(customer, manager, "1000.00")
    assert post(customer_client, f"/api/loans/{loan.pk}/repay/", data).status_code == 400
    assert not Transaction.objects.filter(kind="loan_repayment").exists()


def test_only_the_owner_repays(customer, manager, other_customer, other_client, manager_client):
    loan = approved_loan(customer, manager, "1000.00")
    fund(other_customer, "100.00")
    assert post(other_client, f"/api/loans/{loan.pk}/repay/", {"amount": "10"}).status_code == 404
    assert post(manager_client, f"/api/loans/{loan.pk}/repay/", {"amount": "10"}).status_code == 403
    assert balance(other_customer.account) == D("100.00") and balance(customer.account) == D("1000.00")


def test_owner_cancels_a_pending_loan_but_not_a_decided_one(customer, manager, customer_client, manager_client):
    loan = request(customer, "100.00")
    response = post(customer_client, f"/api/loans/{loan.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert post(customer_client, f"/api/loans/{loan.pk}/cancel/").status_code == 409
    assert post(manager_client, f"/api/loans/{loan.pk}/cancel/").status_code == 403
    approved = approved_loan(customer, manager, "100.00")
    assert post(customer_client, f"/api/loans/{approved.pk}/cancel/").status_code == 409


# --- Idempotency -----------------------------------------------------------------------------------


def test_approve_with_the_same_idempotency_key_disburses_once(customer, manager_client):
    loan = request(customer, "1000.00")
    path = f"/api/loans/{loan.pk}/approve/"
    first = post(manager_client, path, {"amount_approved": "1000"}, HTTP_IDEMPOTENCY_KEY="approve-1")
    retry = post(manager_client, path, {"amount_approved": "1000"}, HTTP_IDEMPOTENCY_KEY="approve-1")
    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json() and retry["Idempotent-Replayed"] == "true"
    assert balance(customer.account) == D("1000.00")
    other_body = post(manager_client, path, {"amount_approved": "999"}, HTTP_IDEMPOTENCY_KEY="approve-1")
    assert other_body.status_code == 422


def test_repay_with_the_same_idempotency_key_debits_once(customer, manager, customer_client):
    loan = approved_loan(customer, manager, "1000.00")
    path = f"/api/loans/{loan.pk}/repay/"
    first = post(customer_client, path, {"amount": "100"}, HTTP_IDEMPOTENCY_KEY="repay-1")
    retry = post(customer_client, path, {"amount": "100"}, HTTP_IDEMPOTENCY_KEY="repay-1")
    assert first.status_code == retry.status_code == 200 and retry.json() == first.json()
    assert balance(customer.account) == D("900.00")
    assert Transaction.objects.filter(kind="loan_repayment").count() == 1


# --- The old client's paths --------------------------------------------------------------------------


def test_old_client_paths_serve_the_same_views(customer, manager, customer_client):
    manager_client = client_for(manager.user)
    created = post(customer_client, "/api/transactions/loans/", {"amount_requested": 250})
    assert created.status_code == 201
    loan_id = created.json()["id"]
    rows = customer_client.get("/api/transactions/loans/").json()
    assert isinstance(rows, list) and [row["id"] for row in rows] == [loan_id]
    for field in ("id", "amount_requested", "amount_approved", "status", "request_date"):
        assert field in rows[0]
    approved = post(manager_client, f"/api/transactions/loans/{loan_id}/approve/", {"amount_approved": 250})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert customer_client.get(f"/api/transactions/loans/{loan_id}/").json()["amount_approved"] == "250.00"
    repaid = post(customer_client, f"/api/transactions/loans/{loan_id}/repay/", {"amount": 10})
    assert repaid.status_code == 200
    assert balance(customer.account) == D("240.00")


def test_loan_paths_are_documented_once_in_the_schema(manager_client):
    schema = manager_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    for path in ("/api/loans/", "/api/loans/preview/", "/api/loans/{id}/", "/api/loans/{id}/approve/",
                 "/api/loans/{id}/reject/", "/api/loans/{id}/repay/", "/api/loans/{id}/cancel/"):
        assert path in paths, path
    assert not any(path.startswith("/api/transactions/loans") for path in paths)
    assert "requestBody" in paths["/api/loans/{id}/approve/"]["post"]


# --- Query counts ------------------------------------------------------------------------------------


def make_loans(rows: int):
    for _ in range(rows):
        approved_loan(CustomerFactory(), ManagerFactory(), "120.00", term_months=2)


@pytest.mark.parametrize("role", ["customer", "manager"])
def test_loan_list_query_count_does_not_grow_with_rows(role):
    viewer = CustomerFactory() if role == "customer" else ManagerFactory()
    client = client_for(viewer.user)
    paths = ["/api/loans/?page_size=100", "/api/transactions/loans/"]

    def counts(rows):
        make_loans(rows)  # each borrowed by a new customer, decided by a new manager
        if role == "customer":
            Loan.objects.update(customer=viewer, account=viewer.account)
        assert Loan.objects.count() == len(client.get("/api/transactions/loans/").json())
        return {path: count_queries(client, path) for path in paths}

    small = counts(5)
    large = counts(45)
    assert large == small and max(small.values()) <= 3, small


def test_loan_detail_query_count_does_not_grow_with_the_schedule(customer, manager, customer_client):
    short = approved_loan(customer, manager, "1200.00", term_months=2)
    long = approved_loan(customer, manager, "36000.00", term_months=360)
    assert count_queries(customer_client, f"/api/loans/{short.pk}/") == count_queries(
        customer_client, f"/api/loans/{long.pk}/"
    )


@pytest.mark.parametrize("value", ["-4.3e98", "99999999999999999999999", "1.5", "x"])
def test_bad_customer_filters_are_400(manager_client, value):
    assert manager_client.get("/api/loans/", {"customer": value}).status_code == 400


def test_manager_filters_by_customer(customer, other_customer, manager_client):
    mine = request(customer, "100.00")
    request(other_customer, "100.00")
    rows = manager_client.get("/api/loans/", {"customer": customer.pk}).json()["results"]
    assert [row["id"] for row in rows] == [mine.pk]
