"""Close of business: the work of one business date, idempotent, and the catch-up of missed dates.

`close_through(target=...)` closes every date from the day after the last closed one up to
`target`, in order (or just `target` again when it is already closed). Each date runs the
jobs below in this order, each recording what it did under a unique constraint, so a
second run of a date changes nothing:

1. interest accrual on savings (end-of-day balances), and on a month's last day its posting;
2. installments collected (due ones and arrears, oldest first, partly if the balance is short),
   then late fees, through the loans' repay service and the ledger;
3. overdue: installments unpaid LOAN_GRACE_DAYS after their due date get one late fee;
4. reminders of installments due in INSTALLMENT_REMINDER_DAYS days;
5. days past due and delinquency bucket on every open loan;
6. housekeeping: old idempotency keys, expired admin sessions, and the optional hooks.

Items fail one by one (a closed account, a frozen one): the error is recorded on the run
and the other items go on; a failure of the whole job marks the run failed and stops the
catch-up there.
"""

import calendar
import logging
from collections import defaultdict
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import IntegrityError, connection, transaction
from django.db.models import Min, OuterRef, Subquery
from django.utils import timezone
from django.utils.module_loading import import_string

from audit.models import Action as AuditAction
from audit.services import record
from bank_project.api.idempotency import purge_expired_keys
from bank_project.errors import Conflict, DomainError
from bank_project.money import CENT, ZERO
from loans.models import DelinquencyBucket, Installment, Loan
from loans.services import repay_loan
from notifications import services as notifications
from transactions.models import Account, Entry, Transaction
from transactions.services import by_pk, lock_accounts, post_against_internal

from .models import CloseOfBusinessRun, CollectionAttempt, InterestAccrual, InterestPosting, LateFee

logger = logging.getLogger("bank.backoffice")

DAYS_IN_YEAR = 365  # actual/365: every day earns 1/365 of the annual rate, in leap years too
# A PostgreSQL advisory lock key: one close of business at a time across all workers.
LOCK_KEY = 16_000_016


class CloseOfBusinessBusy(Conflict):
    code = "close_of_business_busy"
    default_message = "Close of business is already running; try again when it has finished."


class InvalidBusinessDate(DomainError):
    code = "invalid_business_date"
    default_message = "A business date can be closed only after it has ended."


# --- Dates -------------------------------------------------------------------------------


def end_of_day(business_date: date) -> datetime:
    """The first instant after `business_date`, in the bank's time zone."""
    return timezone.make_aware(datetime.combine(business_date + timedelta(days=1), time.min))


def is_month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def last_closed_date() -> date | None:
    return (
        CloseOfBusinessRun.objects.filter(status__in=CloseOfBusinessRun.CLOSED_STATUSES)
        .order_by("-business_date")
        .values_list("business_date", flat=True)
        .first()
    )


def month_interest(balance_rate_sum: Decimal) -> tuple[Decimal, Decimal]:
    """(exact accrued, amount posted) for a month whose days' balance x rate sum to `balance_rate_sum`.

    The rounding rule: daily interest is balance x rate / 100 / 365, not rounded; the month's
    posting is the exact sum of those, rounded half-even (banker's rounding) to the cent once.
    """
    with localcontext() as context:
        context.prec = 50
        accrued = balance_rate_sum / Decimal(100 * DAYS_IN_YEAR)
    return accrued.quantize(Decimal("1e-12")), accrued.quantize(CENT, rounding=ROUND_HALF_EVEN)


# --- 1. Interest on savings ----------------------------------------------------------------


def accrue_interest(business_date: date, errors: list) -> dict:
    """Record each savings account's end-of-day balance (from its entries) and its rate."""
    # Account types are stored upper case (the web client's values); the setting may name them in any case.
    rates = {kind.upper(): rate for kind, rate in settings.SAVINGS_ANNUAL_RATE.items() if rate > 0}
    if not rates:
        return {"accrued": 0}
    # The end-of-day balance: the balance after the account's last entry before the day's
    # first later transaction (found through the created_at index), so a late or catch-up run
    # sees each day as it ended. Filtering entries by transaction id needs no join: the
    # account's newest entries are read backwards from its (account, id) index.
    later = (Transaction.objects.filter(created_at__gte=end_of_day(business_date))
             .order_by("created_at", "id").values_list("id", flat=True).first())
    accounts = Account.objects.filter(
        kind=Account.Kind.CUSTOMER,
        status__in=[Account.Status.ACTIVE, Account.Status.FROZEN],
        customer__account_type__in=list(rates),
    )
    if later is None:  # nothing moved since midnight: the balances are the day's
        rows = accounts.values_list("pk", "balance", "customer__account_type")
    else:
        eod_balance = (Entry.objects.filter(account=OuterRef("pk"), transaction_id__lt=later)
                       .order_by("-id").values("balance_after")[:1])
        rows = accounts.annotate(eod=Subquery(eod_balance)).values_list("pk", "eod", "customer__account_type")
    accruals = [
        InterestAccrual(account_id=pk, business_date=business_date, balance=eod, annual_rate=rates[account_type])
        for pk, eod, account_type in rows if eod is not None and eod > 0
    ]
    # ON CONFLICT DO NOTHING: a date run again keeps the first run's figures.
    InterestAccrual.objects.bulk_create(accruals, ignore_conflicts=True, batch_size=500)
    return {"accrued": len(accruals)}


def post_interest(business_date: date, errors: list) -> dict:
    """On a month's last day: post every account's unposted accruals, one transaction per account and month."""
    if not is_month_end(business_date):
        return {"posted": 0}
    unposted = (
        InterestAccrual.objects.filter(posting__isnull=True, business_date__lte=business_date)
        .values_list("pk", "account_id", "business_date", "balance", "annual_rate")
        .order_by("account_id", "business_date")
    )
    months = defaultdict(list)
    for pk, account_id, day, balance, rate in unposted:
        months[(account_id, day.replace(day=1))].append((pk, balance * rate))
    posted = total = 0
    for (account_id, month), rows in months.items():
        try:
            amount = _post_month(account_id=account_id, month=month, rows=rows, business_date=business_date)
        except DomainError as exc:
            errors.append({"job": "interest", "account": account_id, "month": str(month), "error": str(exc)})
            continue
        if amount is not None:
            posted += 1
            total += amount
    return {"posted": posted, "amount": str(Decimal(total).quantize(CENT))}


@transaction.atomic
def _post_month(*, account_id: int, month: date, rows: list, business_date: date) -> Decimal | None:
    accrued, amount = month_interest(sum((product for _, product in rows), Decimal(0)))
    [account] = lock_accounts(ids=[account_id])
    try:
        with transaction.atomic():
            posting = InterestPosting.objects.create(
                account_id=account_id, month=month, days=len(rows), accrued=accrued, amount=amount,
                posted_on=business_date,
            )
    except IntegrityError:  # posted already (rows from a later accrual of the same month stay unposted)
        return None
    if amount > 0:
        posting.transaction = post_against_internal(
            kind=Transaction.Kind.INTEREST, account=account, internal_code=Account.INTEREST_EXPENSE, amount=amount,
            credit=True, performed_by=None, description=f"Interest for {month:%B %Y} ({len(rows)} days)",
            # Interest is the bank's debt to the customer: it reaches a frozen account too.
            allow_frozen=True,
        ).transaction
        posting.save(update_fields=["transaction"])
    InterestAccrual.objects.filter(pk__in=[pk for pk, _ in rows]).update(posting=posting)
    return amount


# --- 2. Installments and late fees collected ---------------------------------------------------

_UNPAID = [Installment.Status.UNPAID, Installment.Status.PARTIALLY_PAID]


def collect_installments(business_date: date, errors: list) -> dict:
    """Every loan owing something on this date pays what its account holds, up to what it owes.

    Installments due by today first (oldest first, through repay_loan: interest, then
    principal), then late fees assessed by today. One attempt per loan and date.
    """
    owed: dict[int, Decimal] = defaultdict(Decimal)
    for loan_id, principal, interest, principal_paid, interest_paid in Installment.objects.filter(
        due_date__lte=business_date, status__in=_UNPAID, loan__status=Loan.Status.APPROVED
    ).values_list("loan_id", "principal", "interest", "principal_paid", "interest_paid"):
        owed[loan_id] += principal + interest - principal_paid - interest_paid
    for loan_id, amount in LateFee.objects.filter(
        transaction__isnull=True, amount__gt=0, assessed_on__lte=business_date
    ).values_list("installment__loan_id", "amount"):
        owed[loan_id] += amount
    for loan_id in CollectionAttempt.objects.filter(business_date=business_date).values_list("loan_id", flat=True):
        owed.pop(loan_id, None)
    # Accounts with nothing to take are recorded in bulk, without locks: a deposit landing a
    # moment later is collected by the next date's close, as if this one had run a moment earlier.
    accounts = dict(Loan.objects.filter(pk__in=list(owed)).values_list("pk", "account_id"))
    state = {pk: (balance, status, account_no) for pk, balance, status, account_no in Account.objects.filter(
        pk__in=set(accounts.values())).values_list("pk", "balance", "status", "account_no")}
    nothing_to_take = [loan_id for loan_id in owed
                       if state[accounts[loan_id]][0] <= 0 or state[accounts[loan_id]][1] != Account.Status.ACTIVE]

    def why(loan_id):
        _, status, account_no = state[accounts[loan_id]]
        return "" if status == Account.Status.ACTIVE else f"Account {account_no} is {status}: nothing collected."

    CollectionAttempt.objects.bulk_create(
        [CollectionAttempt(loan_id=loan_id, business_date=business_date, amount_due=owed[loan_id],
                           error=why(loan_id)) for loan_id in nothing_to_take],
        ignore_conflicts=True, batch_size=500,
    )
    owing = set(owed) - set(nothing_to_take)
    counts = {"loans": len(nothing_to_take), "collected": ZERO, "fees_collected": ZERO,
              "short": len(nothing_to_take)}
    for loan_id in sorted(owing):
        try:
            attempt = _collect(loan_id=loan_id, business_date=business_date)
        except DomainError as exc:
            errors.append({"job": "collection", "loan": loan_id, "error": str(exc)})
            with transaction.atomic():
                CollectionAttempt.objects.get_or_create(
                    loan_id=loan_id, business_date=business_date,
                    defaults={"amount_due": ZERO, "error": str(exc)[:255]},
                )
            continue
        if attempt is None:
            continue
        counts["loans"] += 1
        counts["collected"] += attempt.installments_collected
        counts["fees_collected"] += attempt.fees_collected
        counts["short"] += attempt.installments_collected + attempt.fees_collected < attempt.amount_due
    counts["collected"], counts["fees_collected"] = str(counts["collected"]), str(counts["fees_collected"])
    return counts


@transaction.atomic
def _collect(*, loan_id: int, business_date: date) -> CollectionAttempt | None:
    # Loan first, then every account in one statement: the order repay_loan locks them in.
    loan = Loan.objects.select_for_update().get(pk=loan_id)
    if CollectionAttempt.objects.filter(loan=loan, business_date=business_date).exists():
        return None
    codes = [Account.LOANS_RECEIVABLE, Account.INTEREST_INCOME, Account.FEE_INCOME]
    account = by_pk(lock_accounts(ids=[loan.account_id], codes=codes), loan.account_id)
    installments_due = ZERO
    if loan.status == Loan.Status.APPROVED:
        # Summed in Python: SQLite sums decimals as floats (2.8e-14 off); these are a few rows.
        installments_due = sum((i.amount_due for i in loan.installments.filter(
            due_date__lte=business_date, status__in=_UNPAID).only("principal", "interest", "principal_paid",
                                                                  "interest_paid")), ZERO)
    fees = list(LateFee.objects.select_related("installment").filter(
        installment__loan=loan, transaction__isnull=True, amount__gt=0, assessed_on__lte=business_date,
    ).order_by("id"))
    attempt = CollectionAttempt(loan=loan, business_date=business_date,
                                amount_due=installments_due + sum((fee.amount for fee in fees), ZERO))
    available = account.balance if account.status == Account.Status.ACTIVE else ZERO
    if account.status != Account.Status.ACTIVE:
        attempt.error = f"Account {account.account_no} is {account.status}: nothing collected."
    amount = min(available, installments_due, settings.MAX_TRANSACTION_AMOUNT)
    if amount > 0:
        repay_loan(loan=loan, amount=amount, performed_by=None)
        attempt.installments_collected = amount
        available -= amount
    for fee in fees:
        if fee.amount > available:
            break  # a fee is taken whole, oldest first, once the money is there
        fee.transaction = post_against_internal(  # re-reads the balance under the locks already held
            kind=Transaction.Kind.LATE_FEE, account=account, internal_code=Account.FEE_INCOME, amount=fee.amount,
            credit=False, performed_by=None,
            description=f"Late fee: loan #{loan.pk} installment {fee.installment.number}",
        ).transaction
        fee.collected_on = business_date
        fee.save(update_fields=["transaction", "collected_on"])
        attempt.fees_collected += fee.amount
        available -= fee.amount
    attempt.save()
    return attempt


# --- 3. Overdue installments ----------------------------------------------------------------


def mark_overdue(business_date: date, errors: list) -> dict:
    """Installments still unpaid LOAN_GRACE_DAYS after their due date: one late fee each, and a notice."""
    last_grace_day = business_date - timedelta(days=settings.LOAN_GRACE_DAYS)
    overdue = list(
        Installment.objects.filter(
            due_date__lt=last_grace_day, status__in=_UNPAID, loan__status=Loan.Status.APPROVED, late_fee__isnull=True
        ).select_related("loan__customer__user").order_by("loan_id", "number")
    )
    fee = settings.LOAN_LATE_FEE
    for installment in overdue:
        with transaction.atomic():
            _, created = LateFee.objects.get_or_create(
                installment=installment,
                defaults={"amount": fee, "assessed_on": business_date,
                          "collected_on": business_date if fee == 0 else None},
            )
            if created:
                notifications.installment_overdue(installment=installment, user=installment.loan.customer.user,
                                                  late_fee=fee)
    return {"overdue": len(overdue), "fees_assessed": str(fee * len(overdue))}


# --- 4. Reminders --------------------------------------------------------------------------------


def remind_due_installments(business_date: date, errors: list) -> dict:
    due_date = business_date + timedelta(days=settings.INSTALLMENT_REMINDER_DAYS)
    upcoming = Installment.objects.filter(
        due_date=due_date, status__in=_UNPAID, loan__status=Loan.Status.APPROVED
    ).select_related("loan__customer__user")
    count = 0
    for installment in upcoming:
        with transaction.atomic():
            notifications.installment_due(installment=installment, user=installment.loan.customer.user)
        count += 1
    return {"reminded": count}


# --- 5. Days past due ----------------------------------------------------------------------------


def update_days_past_due(business_date: date, errors: list) -> dict:
    """Days since each open loan's oldest unpaid installment fell due, and its bucket.

    Skipped when re-running a date older than the last closed one: the loan shows today's figure.
    """
    if CloseOfBusinessRun.objects.filter(business_date__gt=business_date,
                                         status__in=CloseOfBusinessRun.CLOSED_STATUSES).exists():
        return {"skipped": "a later date is closed"}
    oldest_due = dict(
        Installment.objects.filter(due_date__lt=business_date, status__in=_UNPAID, loan__status=Loan.Status.APPROVED)
        .values("loan_id").annotate(oldest=Min("due_date")).values_list("loan_id", "oldest")
    )
    wanted = {loan_id: (business_date - oldest).days for loan_id, oldest in oldest_due.items()}
    current = dict(Loan.objects.filter(pk__in=list(wanted)).values_list("pk", "days_past_due"))
    current.update(Loan.objects.filter(days_past_due__gt=0).exclude(pk__in=list(wanted))
                   .values_list("pk", "days_past_due"))
    changed = [
        Loan(pk=loan_id, days_past_due=wanted.get(loan_id, 0),
             delinquency_bucket=DelinquencyBucket.for_days(wanted.get(loan_id, 0)))
        for loan_id, days in current.items() if wanted.get(loan_id, 0) != days
    ]
    Loan.objects.bulk_update(changed, ["days_past_due", "delinquency_bucket"], batch_size=500)
    buckets = defaultdict(int)
    for days in oldest_due.values():
        buckets[DelinquencyBucket.for_days((business_date - days).days) or "current"] += 1
    return {"updated": len(changed), "past_due": dict(buckets)}


# --- 6. Housekeeping ---------------------------------------------------------------------------


def housekeeping(business_date: date, errors: list) -> dict:
    """Old idempotency keys, expired admin sessions, and the hooks other apps provide.

    A hook is a dotted path in CLOSE_OF_BUSINESS_HOOKS to a function `(*, now)` returning what
    it did (a count or a dict of counts). A path that does not import (its app not installed yet)
    is skipped: payments.services.reconcile (issue 12: settle what gateways confirm, expire unpaid
    pending payments) and usersessions.services.purge_expired (issue 11: API sessions).
    """
    now = timezone.now()
    counts = {"idempotency_keys_purged": purge_expired_keys(), "admin_sessions_purged": 0}
    counts["admin_sessions_purged"], _ = Session.objects.filter(expire_date__lt=now).delete()
    for path in settings.CLOSE_OF_BUSINESS_HOOKS:
        try:
            hook = import_string(path)
        except ImportError:
            counts[path] = "skipped (not installed)"
            continue
        counts[path] = hook(now=now)
    return counts


# --- The run -------------------------------------------------------------------------------------

JOBS = [
    ("interest_accrual", accrue_interest),
    ("interest_posting", post_interest),
    ("collection", collect_installments),
    ("overdue", mark_overdue),
    ("reminders", remind_due_installments),
    ("days_past_due", update_days_past_due),
    ("housekeeping", housekeeping),
]


@contextmanager
def _exclusive():
    """One close of business at a time (PostgreSQL advisory lock; SQLite has one writer anyway)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        if not cursor.fetchone()[0]:
            raise CloseOfBusinessBusy()
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


def close_business_day(*, business_date: date, trigger: str, by=None) -> CloseOfBusinessRun:
    """Run every job for one date and record the run, and its audit row. Call through
    close_through (it holds the lock). `by`: the staff member who asked (the admin's rerun)."""
    run = CloseOfBusinessRun.objects.create(business_date=business_date, trigger=trigger, started_at=timezone.now())
    errors: list = []
    try:
        for name, job in JOBS:
            run.counts[name] = job(business_date, errors)
    except Exception as exc:  # a bug or an outage: recorded on the run, the catch-up stops here
        logger.exception("close of business %s failed in a job", business_date)
        errors.append({"job": "run", "error": f"{type(exc).__name__}: {exc}"[:500]})
        run.status = CloseOfBusinessRun.Status.FAILED
    else:
        run.status = (CloseOfBusinessRun.Status.COMPLETED_WITH_ERRORS if errors
                      else CloseOfBusinessRun.Status.COMPLETED)
    run.errors = errors
    run.finished_at = timezone.now()
    with transaction.atomic():  # the run's outcome and its audit row commit together
        run.save(update_fields=["status", "counts", "errors", "finished_at"])
        _audit(run, by=by)
    return run


AUDITED_ERRORS = 20  # the run keeps every error; its audit row the first few and how many


def _audit(run: CloseOfBusinessRun, *, by) -> None:
    record(AuditAction.CLOSE_OF_BUSINESS, actor=by, target=run, after={
        "business_date": run.business_date.isoformat(),
        "trigger": run.trigger,
        "status": run.status,
        "jobs": list(run.counts),  # the jobs that ran to the end, in order
        "counts": run.counts,
        "failures": len(run.errors),
        "errors": run.errors[:AUDITED_ERRORS],
    })


def close_through(*, target: date, trigger: str, by=None) -> list[CloseOfBusinessRun]:
    """Close `target` and every missed date before it (after the last closed one), in order.

    A date already closed is simply run again (which changes nothing that was done). The
    catch-up stops at a run that failed.
    """
    if target >= timezone.localdate():
        raise InvalidBusinessDate(f"{target} has not ended yet; the latest date that can be closed is "
                                  f"{timezone.localdate() - timedelta(days=1)}.")
    with _exclusive():
        last = last_closed_date()
        first = target if last is None or target <= last else last + timedelta(days=1)
        runs = []
        day = first
        while day <= target:
            run = close_business_day(business_date=day, trigger=trigger, by=by)
            runs.append(run)
            if run.status == CloseOfBusinessRun.Status.FAILED:
                break
            day += timedelta(days=1)
        return runs
