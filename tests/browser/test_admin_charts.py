"""The admin index's report charts in a real Chromium, over seeded data.

A manager logs in; the index fetches /api/reports/summary/ and draws four charts with the
vendored Chart.js. The test reads the chart instances (their data must be the seeded
figures) and the canvases' pixels (they must have ink), changes the date range with the
picker, and saves screenshots. A customer's login sees no charts (the admin refuses them).
"""

import os

import pytest

from .conftest import CHROMIUM, PASSWORD, log_in_to_the_admin, seeded_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Chromium is not installed at /usr/bin/chromium"),
]

# Movements on the last 20 days, posted in time order with the clock moved back to each.
SEED = f"""
import json
from datetime import datetime, time, timedelta
from decimal import Decimal
from unittest import mock
from django.utils import timezone
from accounts import services as people
from accounts.models import User
from onboarding import services as onboarding
from loans import services as loans
from transactions import services as ledger
from transactions.models import Transaction

def at(days, hour):
    day = timezone.localdate() - timedelta(days=days)
    return mock.patch("django.utils.timezone.now",
                      return_value=datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone()))

manager = User.objects.create_user("charts-manager", password="{PASSWORD}", first_name="Mona", last_name="Manager")
people.create_manager(user=manager, mobile_no="01800000002", nid="2000000002", age=40)
with at(25, 9):
    people_ = []
    for n in range(3):
        user = User.objects.create_user(f"charts-customer-{{n}}", password="{PASSWORD}")
        people_.append(onboarding.open_customer(user=user, mobile_no=f"0170000001{{n}}", nid=f"100000001{{n}}", age=30,
                                              monthly_income=Decimal("50000.00")))
alice, bob, carol = people_
for days in range(20, 0, -1):
    with at(days, 9):
        ledger.deposit(account=alice.account, amount=Decimal(200 + days * 5), performed_by=None)
    with at(days, 11):
        ledger.withdraw(account=alice.account, amount=Decimal("35.00"), performed_by=None)
    if days % 2:
        with at(days, 13):
            ledger.transfer(source=alice.account, recipient_account_no=bob.account.account_no,
                            amount=Decimal("50.00"), performed_by=None)
    if days % 4 == 0:
        with at(days, 15):
            ledger.deposit_from_gateway(account=bob.account, amount=Decimal("80.00"))
with at(5, 10):
    loan = loans.request_loan(customer=carol, amount_requested=Decimal("3000.00"), term_months=12)
    loans.approve_loan(loan=loan, amount_approved=Decimal("3000.00"), decided_by=manager,
                       today=timezone.localdate() - timedelta(days=70))
deposits = Transaction.objects.filter(kind="deposit", source__code="cash")
print(json.dumps({{"deposits": deposits.count(), "deposit_volume": str(sum(t.amount for t in deposits)),
                  "gateway": Transaction.objects.filter(source__code="gateway_clearing").count()}}))
"""

CHART_STATE = """() => Object.fromEntries(Object.entries(window.bankCharts).map(([id, chart]) => {
    const canvas = chart.canvas;
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let inked = 0;
    for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) inked++; }
    return [id, {
        labels: chart.data.labels.length,
        datasets: chart.data.datasets.map((d) => ({label: d.label, data: d.data})),
        inkShare: inked / (canvas.width * canvas.height),
        width: canvas.width,
    }];
}))"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with seeded_server(tmp_path_factory.mktemp("charts-server"), SEED) as running:
        yield running


def wait_for_charts(page):
    page.wait_for_selector("#bank-reports[data-state=drawn]", timeout=30_000)
    return page.evaluate(CHART_STATE)


def series(state, chart, label):
    return next(d["data"] for d in state[chart]["datasets"] if d["label"].startswith(label))


def test_manager_sees_the_charts_drawn_from_the_seeded_data(page, server, tmp_path):
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    log_in_to_the_admin(page, server["url"], "charts-manager")
    state = wait_for_charts(page)

    assert set(state) == {"chart-volume", "chart-count", "chart-balances", "chart-loans"}
    for chart in state.values():
        assert chart["width"] > 200
        assert chart["inkShare"] > 0.02, chart  # the canvas is not blank
    assert state["chart-volume"]["labels"] == 30  # the default range: 30 days by day
    assert sum(series(state, "chart-count", "Deposits")) == server["deposits"] == 20
    assert sum(series(state, "chart-volume", "Deposits")) == pytest.approx(float(server["deposit_volume"]))
    assert sum(series(state, "chart-count", "Gateway payments")) == server["gateway"] == 5
    assert sum(series(state, "chart-count", "Loan disbursements")) == 1
    balances = series(state, "chart-balances", "Customers' money")
    assert balances[0] == 0 and balances[-1] > 0  # 30 days ago nobody had money yet
    assert sum(series(state, "chart-balances", "New customers")) == 3
    assert sum(series(state, "chart-loans", "Outstanding principal")) == 3000
    assert sum(series(state, "chart-loans", "Amount overdue")) > 0  # approved as of 70 days ago
    assert "Gateway payments" in page.inner_text("#reports-figures")
    page.screenshot(path=str(tmp_path / "admin-charts.png"), full_page=True)

    # The date-range picker: a week by day, then a custom range by week.
    page.click("#bank-reports-range button[data-days='7']")
    page.wait_for_function("() => window.bankCharts['chart-volume'].data.labels.length === 7")
    state = wait_for_charts(page)
    assert sum(series(state, "chart-count", "Deposits")) == 6  # days 6..1 (today has none)
    page.fill("#reports-from", page.evaluate("() => document.getElementById('reports-to').value.slice(0, 8) + '01'"))
    page.select_option("#reports-interval", "week")
    page.click("#bank-reports-range input[type=submit]")
    page.wait_for_function("() => document.getElementById('reports-status').textContent.includes('by week')")
    assert "format=csv" in page.get_attribute("#reports-csv", "href")
    page.screenshot(path=str(tmp_path / "admin-charts-by-week.png"), full_page=True)
    assert (tmp_path / "admin-charts.png").stat().st_size > 20_000
    assert failed == []  # Chart.js came from our own server


def test_a_bad_range_shows_the_apis_message(page, server):
    log_in_to_the_admin(page, server["url"], "charts-manager")
    wait_for_charts(page)
    page.fill("#reports-from", "2020-01-01")
    page.select_option("#reports-interval", "day")
    page.click("#bank-reports-range input[type=submit]")
    page.wait_for_selector("#bank-reports[data-state=error]")
    assert "at most 1000" in page.inner_text("#reports-status")
