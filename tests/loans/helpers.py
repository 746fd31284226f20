from decimal import Decimal

from loans import services
from transactions.models import Account
from transactions.selectors import internal_balance


def internal(code: str) -> Decimal:
    """The internal account's balance, all its shards rolled up."""
    return internal_balance(code)


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
    """The ledger audit (transactions.audit), which sums in whole cents on SQLite too."""
    from transactions.audit import find_ledger_problems

    return find_ledger_problems()
