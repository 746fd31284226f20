from decimal import Decimal

from loans import services
from transactions.models import Account


def balance(account: Account) -> Decimal:
    account.refresh_from_db()
    return account.balance


def internal(code: str) -> Decimal:
    account = Account.objects.filter(code=code).first()
    return account.balance if account else Decimal("0.00")


def receivable() -> Decimal:
    return internal(Account.LOANS_RECEIVABLE)


def interest_income() -> Decimal:
    return internal(Account.INTEREST_INCOME)


def request(customer, amount="12000.00", term_months=12, purpose="A new roof"):
    return services.request_loan(
        customer=customer, amount_requested=Decimal(amount), term_months=term_months, purpose=purpose
    )


def approved_loan(customer, manager, amount="12000.00", term_months=12, rate=None):
    loan = request(customer, amount, term_months)
    return services.approve_loan(
        loan=loan, amount_approved=Decimal(amount), decided_by=manager.user,
        annual_interest_rate=None if rate is None else Decimal(rate),
    )


def ledger_problems() -> list[str]:
    """The audit's checks, summed in Python with Decimal.

    transactions.audit.find_ledger_problems sums in SQL, and SQLite sums decimals as floats:
    a three-leg repayment (−7794.23, +7504.43, +289.80) then "sums" to 7e-13. On PostgreSQL
    both must agree, so there the audit runs as well.
    """
    from collections import defaultdict

    from django.db import connection

    from transactions.audit import find_ledger_problems
    from transactions.models import Entry

    problems = []
    per_transaction, per_account = defaultdict(Decimal), defaultdict(Decimal)
    for transaction_id, account_id, amount in Entry.objects.values_list("transaction_id", "account_id", "amount"):
        per_transaction[transaction_id] += amount
        per_account[account_id] += amount
    problems += [f"transaction {pk} sums to {total}" for pk, total in per_transaction.items() if total != 0]
    total = Decimal("0.00")
    for account in Account.objects.all():
        total += account.balance
        if account.balance != per_account[account.pk]:
            problems.append(f"account {account.account_no}: {account.balance} != {per_account[account.pk]}")
        if not account.is_internal and account.balance < 0:
            problems.append(f"account {account.account_no} is negative")
    if total != 0:
        problems.append(f"balances sum to {total}")
    if connection.vendor == "postgresql":
        problems += find_ledger_problems()
    return problems
