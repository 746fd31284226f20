"""List endpoints run the same number of SQL queries for 5 rows as for 50."""

from decimal import Decimal

import pytest

from tests.conftest import client_for
from tests.factories import CustomerFactory, ManagerFactory
from tests.helpers import count_queries
from transactions import services

pytestmark = pytest.mark.django_db

CUSTOMER_LISTS = ["/api/deposit/", "/api/withdrawal/", "/api/balance-transfer/", "/api/transactions/",
                  "/api/transactions/balance-transfer/", "/api/statement/", "/api/accounts/"]
MANAGER_LISTS = CUSTOMER_LISTS[:-2] + ["/api/customer/", "/api/account/customer/", "/api/manager/",
                                       "/api/accounts/", "/api/transactions/?format=csv"]


def make_activity(customer, other, rows: int):
    """`rows` of each kind touching `customer`, with new counterparties and managers each time."""
    for _ in range(rows):
        services.deposit(account=customer.account, amount=Decimal("10.00"), performed_by=customer.user)
        services.withdraw(account=customer.account, amount=Decimal("1.00"), performed_by=customer.user)
        services.transfer(source=customer.account, recipient_account_no=CustomerFactory().account.account_no,
                          amount=Decimal("1.00"), performed_by=customer.user)
        ManagerFactory()


@pytest.mark.parametrize("role", ["customer", "manager"])
def test_list_query_counts_do_not_grow_with_rows(role):
    customer, other = CustomerFactory(), CustomerFactory()
    viewer = customer.user if role == "customer" else ManagerFactory().user
    client = client_for(viewer)
    paths = CUSTOMER_LISTS if role == "customer" else MANAGER_LISTS

    make_activity(customer, other, 5)
    small = {path: count_queries(client, path, {"page_size": 100} if "?" not in path else None) for path in paths}
    make_activity(customer, other, 45)
    large = {path: count_queries(client, path, {"page_size": 100} if "?" not in path else None) for path in paths}
    assert large == small
    assert max(small.values()) <= 6, small
