"""A real browser (Debian's Chromium, driven by Playwright) against a real server.

A manager logs into the Django admin, approves a pending loan with the admin action, and
the customer's balance shown in the admin grows by the loan; a customer's deposit goes
through the sandbox gateway's checkout page (payment_url -> Pay -> back to the client);
Swagger UI at /api/docs/ loads and lists the endpoints. Screenshots go to the test's tmp_path.
The server and the browser come from conftest.py.
"""

import json
import os
import urllib.request
from decimal import Decimal

import pytest

from .conftest import CHROMIUM, PASSWORD, log_in_to_the_admin, seeded_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Chromium is not installed at /usr/bin/chromium"),
]

SEED = f"""
import json
from decimal import Decimal
from accounts import services as people
from accounts.models import User
from onboarding import services as onboarding
from loans import services as loans
from transactions import services as ledger

manager = User.objects.create_user("browser-manager", password="{PASSWORD}", first_name="Mona", last_name="Manager")
people.create_manager(user=manager, mobile_no="01800000001", nid="2000000001", age=40)
user = User.objects.create_user("browser-customer", password="{PASSWORD}", first_name="Carl", last_name="Customer")
customer = onboarding.open_customer(user=user, mobile_no="01700000001", nid="1000000001", age=30,
                                    monthly_income=Decimal("50000.00"))
ledger.deposit(account=customer.account, amount=Decimal("100.00"), performed_by=None)
loan = loans.request_loan(customer=customer, amount_requested=Decimal("1000.00"), term_months=12, purpose="A bicycle")
print(json.dumps({{"loan": loan.pk, "customer": customer.pk, "account_no": customer.account.account_no}}))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with seeded_server(tmp_path_factory.mktemp("browser-server"), SEED) as running:
        yield running


def customer_balance_in_admin(page, server) -> str:
    page.goto(f"{server['url']}/admin/accounts/customer/?q=browser-customer")
    return page.locator("#result_list tbody tr").first.locator("td.field-balance").inner_text().strip()


def test_manager_approves_a_loan_in_the_admin_and_the_balance_shown_grows(page, server, tmp_path):
    log_in_to_the_admin(page, server["url"], "browser-manager")
    page.wait_for_selector("#site-name")
    assert "Bank administration" in page.inner_text("#site-name")

    assert customer_balance_in_admin(page, server) == "100.00 BDT"

    page.goto(f"{server['url']}/admin/loans/loan/?status__exact=pending")
    row = page.locator("#result_list tbody tr", has=page.locator(f"input.action-select[value='{server['loan']}']"))
    assert "Pending" in row.inner_text()
    row.locator("input.action-select").check()
    page.select_option("select[name=action]", "approve_selected")
    page.click("button[name=index], input[name=index]")
    success = page.locator("ul.messagelist li.success")
    success.wait_for()
    assert "approved and disbursed" in success.inner_text()
    page.screenshot(path=str(tmp_path / "admin-loan-approved.png"), full_page=True)

    page.goto(f"{server['url']}/admin/loans/loan/{server['loan']}/change/")
    assert "Approved" in page.inner_text("#content")

    assert customer_balance_in_admin(page, server) == "1100.00 BDT"
    page.screenshot(path=str(tmp_path / "admin-customer-balance.png"), full_page=True)
    for name in ("admin-loan-approved.png", "admin-customer-balance.png"):
        assert (tmp_path / name).stat().st_size > 10_000


def test_customer_cannot_use_the_admin(page, server):
    page.goto(f"{server['url']}/admin/login/")
    page.fill("#id_username", "browser-customer")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state()
    assert "/admin/login/" in page.url
    page.goto(f"{server['url']}/admin/loans/loan/")
    assert "/admin/login/" in page.url


def test_swagger_ui_loads_and_lists_the_endpoints(page, server, tmp_path):
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto(f"{server['url']}/api/docs/")
    page.wait_for_selector(".opblock-summary-path", timeout=30_000)
    paths = set(page.locator(".opblock-summary-path").all_inner_texts())
    paths = {path.replace("\u200b", "").strip() for path in paths}
    for expected in ("/api/login/", "/api/deposit/", "/api/balance-transfer/", "/api/loans/{id}/approve/",
                     "/api/transactions/{id}/reverse/", "/api/services/", "/api/contact/"):
        assert expected in paths
    assert len(page.locator(".opblock").all()) >= 40
    assert not any(path.startswith("/api/auth/") for path in paths)  # old client's prefixes stay out
    assert "Bank API" in page.inner_text(".info .title")
    page.screenshot(path=str(tmp_path / "swagger-ui.png"), full_page=True)
    assert (tmp_path / "swagger-ui.png").stat().st_size > 10_000
    assert failed == []  # every script and stylesheet came from our own server


def api(server, method, path, body=None, token=None):
    request = urllib.request.Request(
        server["url"] + path, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", **({"Authorization": f"Token {token}"} if token else {})},
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        return response.status, json.loads(response.read())


def test_the_clients_deposit_goes_through_the_sandbox_checkout(page, server, tmp_path):
    """As the web client does it: POST the deposit with its Token, send the browser to
    payment_url, press Pay on the sandbox page (a real form POST with its CSRF token), land
    back on the client's success page; the balance grew by exactly the deposit, once."""
    _, login = api(server, "POST", "/api/auth/login/", {"username": "browser-customer", "password": PASSWORD})
    token = login["token"]
    _, before = api(server, "GET", "/api/account/customer/", token=token)
    status, deposit = api(server, "POST", "/api/transactions/deposit/", {"amount": 5000}, token=token)
    assert status == 201 and deposit["status"] == "pending"
    assert deposit["payment_url"].startswith(server["url"] + "/payments/sandbox/")

    page.goto(deposit["payment_url"])
    assert "5,000.00" in page.inner_text(".amount")
    page.screenshot(path=str(tmp_path / "sandbox-checkout.png"), full_page=True)
    page.click("button[value=success]")
    page.wait_for_url(f"{server['url']}/client/transaction?status=success")

    _, after = api(server, "GET", "/api/account/customer/", token=token)
    assert Decimal(after[0]["balance"]) - Decimal(before[0]["balance"]) == Decimal("5000.00")
    page.goto(deposit["payment_url"])  # back to the page: nothing left to pay
    assert "nothing left to pay" in page.inner_text("body")
    _, payment = api(server, "GET", f"/api/payments/{deposit['id']}/", token=token)
    assert payment["status"] == "completed"
