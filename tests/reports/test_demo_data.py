"""The reports over `seed_demo`'s bank: the figures a manager sees match the ledger, and a demo
customer's PDF statement adds up."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Customer, User
from loans.models import Loan
from tests.conftest import client_for
from transactions.models import Account, Transaction

from .test_summary import SERIES_KINDS, independent_figures

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_bank():
    call_command("seed_demo", "--force", stdout=StringIO())


def test_the_managers_summary_of_the_demo_bank_matches_the_ledger(demo_bank):
    manager = User.objects.get(username="manager")
    today = timezone.localdate()
    date_from = today - timedelta(days=29)
    body = client_for(manager).get("/api/reports/summary/", {"from": date_from, "to": today}).json()
    flows, opening, end_of_day, new_customers = independent_figures(date_from, today)

    for name in [*SERIES_KINDS, "gateway_payments"]:
        count = sum(c for (day, series), (c, _) in flows.items() if series == name)
        volume = sum((v for (day, series), (_, v) in flows.items() if series == name), Decimal("0.00"))
        assert body["totals"][name] == {"count": count, "volume": f"{volume:.2f}"}, name
    assert body["totals"]["deposits"]["count"] == 4 and body["totals"]["transfers"]["count"] >= 3
    assert body["totals"]["new_customers"] == Customer.objects.count() == 4  # with the web client's `Customer`
    assert body["periods"][-1]["customer_balances"] == f"{end_of_day[today]:.2f}"
    money = sum(a.balance for a in Account.objects.filter(kind="customer"))
    assert body["customer_balances"]["current"] == f"{money:.2f}" == body["periods"][-1]["customer_balances"]
    book = {row["status"]: row["count"] for row in body["loan_book"]}
    assert book == {status: Loan.objects.filter(status=status).count() for status in Loan.Status.values}
    assert book["pending"] == 1 and book["approved"] == 1


def test_a_demo_customers_pdf_statement_adds_up(demo_bank):
    pdfium = pytest.importorskip("pypdfium2")
    alice = User.objects.get(username="alice")
    today = timezone.localdate()
    response = client_for(alice).get("/api/statement/", {"from": today - timedelta(days=90), "to": today,
                                                         "format": "pdf"})
    assert response.status_code == 200
    document = pdfium.PdfDocument(response.content)
    text = document[0].get_textpage().get_text_range()
    account = alice.customer.account
    account.refresh_from_db()
    assert "Alice Ahmed" in text and account.account_no in text and "Balance over the period" in text
    moved = Transaction.objects.filter(description__startswith="[demo]").count()
    assert moved >= 4
    assert "Opening balance 0.00 BDT" in text and f"Closing balance {account.balance:,.2f} BDT" in text
    paid_in = sum(e.amount for e in account.entries.all() if e.amount > 0)
    paid_out = -sum(e.amount for e in account.entries.all() if e.amount < 0)
    assert f"Paid in {paid_in:,.2f}" in text and f"Paid out {paid_out:,.2f}" in text
    assert paid_in - paid_out == account.balance  # opening (0) + entries = closing
    document.close()
