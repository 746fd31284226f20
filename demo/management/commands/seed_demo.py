"""Demo data: a manager, three customers with money, a few transfers, a pending and an
approved loan, four services, and the web client's two demo logins (`Manager` and
`Customer`, password 123456a@: its sign-in page has a button for each). Idempotent: every object is found by a natural key (username,
service name, a "[demo]" transaction description, a loan's purpose) before it is created,
so a second run changes nothing.

Everything goes through the same service functions as the API, in one database transaction.
"""

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import services as account_services
from accounts.models import Customer, Manager, User
from bank_project.errors import DomainError
from loans import services as lending
from loans.models import Loan
from onboarding import services as onboarding
from services import services as catalogue
from services.models import Service
from transactions import services as ledger
from transactions.audit import find_ledger_problems
from transactions.models import Account, Transaction

# Good enough for local demo data, and printed. With DEBUG off (anything that might be
# reachable from the internet) new demo users get a random password instead, also printed.
DEMO_PASSWORD = "Demo-Bank-2024!"

MANAGER = {
    "username": "manager", "first_name": "Nadia", "last_name": "Rahman", "email": "manager@demo.bank",
    "profile": {"mobile_no": "01700000001", "nid": "9000000001", "age": 41},
}
CUSTOMERS = [
    {
        "username": "alice", "first_name": "Alice", "last_name": "Ahmed", "email": "alice@demo.bank",
        "profile": {"mobile_no": "01800000001", "nid": "9000000011", "age": 29, "occupation": "Software engineer",
                    "monthly_income": Decimal("80000.00"), "account_type": "SAVINGS"},
        "opening_deposit": Decimal("50000.00"),
    },
    {
        "username": "bob", "first_name": "Bob", "last_name": "Barua", "email": "bob@demo.bank",
        "profile": {"mobile_no": "01800000002", "nid": "9000000012", "age": 35, "occupation": "Teacher",
                    "monthly_income": Decimal("45000.00"), "account_type": "CHECKING"},
        "opening_deposit": Decimal("20000.00"),
    },
    {
        "username": "carol", "first_name": "Carol", "last_name": "Chowdhury", "email": "carol@demo.bank",
        "profile": {"mobile_no": "01800000003", "nid": "9000000013", "age": 44, "occupation": "Architect",
                    "monthly_income": Decimal("120000.00"), "account_type": "CURRENT"},
        "opening_deposit": Decimal("100000.00"),
    },
]
# The web client's sign-in page has a button for each of these, with this password. They are
# why seed_demo refuses to run with DEBUG off unless told --force.
CLIENT_DEMO_PASSWORD = "123456a@"
CLIENT_MANAGER = {
    "username": "Manager", "first_name": "Demo", "last_name": "Manager", "email": "demo.manager@demo.bank",
    "profile": {"mobile_no": "01700000002", "nid": "9000000002", "age": 38, "religion": "OTHER"},
}
CLIENT_CUSTOMER = {
    "username": "Customer", "first_name": "Demo", "last_name": "Customer", "email": "demo.customer@demo.bank",
    "profile": {"mobile_no": "01800000004", "nid": "9000000014", "age": 31, "occupation": "Shop owner",
                "monthly_income": Decimal("60000.00"), "account_type": "SAVINGS", "religion": "ISLAM"},
    "opening_deposit": Decimal("25000.00"),
}

TRANSFERS = [
    ("alice", "bob", Decimal("2500.00"), "[demo] Rent share"),
    ("bob", "carol", Decimal("1200.00"), "[demo] Dinner"),
    ("carol", "alice", Decimal("7500.00"), "[demo] Design invoice"),
    ("Customer", "alice", Decimal("1500.00"), "[demo] Groceries"),
    ("bob", "Customer", Decimal("800.00"), "[demo] Shared taxi"),
]
LOANS = {
    "pending": {"customer": "bob", "amount_requested": Decimal("100000.00"), "term_months": 12,
                "purpose": "[demo] Motorbike"},
    "approved": {"customer": "carol", "amount_requested": Decimal("200000.00"), "term_months": 24,
                 "purpose": "[demo] Home renovation", "amount_approved": Decimal("150000.00")},
}
# name, description, display order, picture served from services/static/.
SERVICES = [
    ("Savings accounts", "Grow your money with competitive interest and no monthly fees.", 1, "services/savings.svg"),
    ("Personal loans", "Flexible terms from 1 to 60 months, decided within a day.", 2, "services/loans.svg"),
    ("Money transfers", "Send money to any account in the bank instantly, day or night.", 3,
     "services/transfers.svg"),
    ("Online banking", "Check balances, download statements and pay from anywhere.", 4, "services/online.svg"),
]


class Command(BaseCommand):
    help = (
        "Create demo data (a manager, three customers with money, transfers, a pending and an approved "
        "loan, four services, the web client's demo logins Manager and Customer). Safe to run again: "
        "existing demo data is left as it is. Refuses with DEBUG off unless given --force."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true",
            help="Run even with DEBUG off. The web client's demo logins (Manager, Customer) get their known "
            "password 123456a@: never on a public deployment.",
        )
        parser.add_argument(
            "--password",
            help="Password for demo users created by this run (default: a fixed demo password with DEBUG on, "
            "a random one with DEBUG off). Existing users keep theirs.",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off: seed_demo creates users with known passwords (Manager and Customer, "
                f"{CLIENT_DEMO_PASSWORD}). Run it with --force only where nobody else can log in."
            )
        password = options["password"] or (DEMO_PASSWORD if settings.DEBUG else secrets.token_urlsafe(12))
        try:
            with transaction.atomic():
                report = self.seed(password)
                problems = find_ledger_problems()
                if problems:  # roll the whole seed back rather than leave a broken ledger
                    raise CommandError("The ledger does not balance after seeding: " + "; ".join(problems))
        except (DomainError, ValidationError) as exc:
            message = exc.message if isinstance(exc, DomainError) else "; ".join(exc.messages)
            raise CommandError(f"Could not seed the demo data: {message}") from exc
        self.print_report(report)

    # --- building it --------------------------------------------------------------------------

    def seed(self, password: str) -> dict:
        report = {"users": []}
        manager_user = self.manager(MANAGER, password, report)
        self.manager(CLIENT_MANAGER, CLIENT_DEMO_PASSWORD, report)

        customers = {}
        for spec in [*CUSTOMERS, CLIENT_CUSTOMER]:
            user = self.user(spec, CLIENT_DEMO_PASSWORD if spec is CLIENT_CUSTOMER else password, report)
            customer = Customer.objects.filter(user=user).select_related("account").first()
            if customer is None:
                if Manager.objects.filter(user=user).exists():
                    raise CommandError(f"User {user.username!r} exists and is a manager, not a customer.")
                customer = onboarding.open_customer(user=user, **spec["profile"])
            customers[spec["username"]] = customer
            self.once(
                f"[demo] Opening deposit for {user.username}",
                lambda description, c=customer, s=spec: ledger.deposit(
                    account=c.account, amount=s["opening_deposit"], performed_by=manager_user,
                    description=description,
                ),
            )

        for sender, recipient, amount, description in TRANSFERS:
            self.once(
                description,
                lambda description, s=sender, r=recipient, a=amount: ledger.transfer(
                    source=customers[s].account, recipient_account_no=customers[r].account.account_no,
                    amount=a, performed_by=customers[s].user, description=description,
                ),
            )

        report["loans"] = self.loans(customers, manager_user)

        for name, description, order, picture in SERVICES:
            service = Service.objects.filter(name__iexact=name).first()
            if service is None:
                catalogue.create_service(name=name, description=description, display_order=order,
                                         static_image=picture)
            elif not service.image and not service.static_image:  # seeded before services had pictures
                catalogue.update_service(service=service, static_image=picture)

        report["customers"] = [
            (c.user.username, a.account_no, a.balance)
            for c in customers.values()
            for a in [Account.objects.get(pk=c.account.pk)]
        ]
        return report

    def manager(self, spec: dict, password: str, report: dict) -> User:
        user = self.user(spec, password, report)
        if not Manager.objects.filter(user=user).exists():
            if Customer.objects.filter(user=user).exists():
                raise CommandError(f"User {user.username!r} exists and is a customer, not a manager.")
            account_services.create_manager(user=user, **spec["profile"])
        return user

    def user(self, spec: dict, password: str, report: dict) -> User:
        user = User.objects.filter(username=spec["username"]).first()
        if user is not None:
            # Shown again while it still works (the fixed demo password on a rerun).
            report["users"].append((user.username, password if user.check_password(password) else None))
            return user
        user = account_services.register_user(
            username=spec["username"], password=password, email=spec["email"],
            first_name=spec["first_name"], last_name=spec["last_name"],
        )
        report["users"].append((user.username, password))
        return user

    @staticmethod
    def once(description: str, move) -> None:
        """Post a demo movement unless the one with this description is already in the ledger."""
        if not Transaction.objects.filter(description=description).exists():
            move(description)

    def loans(self, customers: dict, manager_user: User) -> list[str]:
        lines = []
        for state, spec in LOANS.items():
            customer = customers[spec["customer"]]
            loan = Loan.objects.filter(customer=customer, purpose=spec["purpose"]).first()
            if loan is None:
                loan = lending.request_loan(
                    customer=customer, amount_requested=spec["amount_requested"],
                    term_months=spec["term_months"], purpose=spec["purpose"],
                )
            if state == "approved" and loan.status == Loan.Status.PENDING:
                loan = lending.approve_loan(loan=loan, amount_approved=spec["amount_approved"], decided_by=manager_user)
            lines.append(f"loan #{loan.pk} of {customer.user.username}: {loan.status}, "
                         f"requested {loan.amount_requested}, approved {loan.amount_approved or '-'}")
        return lines

    # --- telling the user --------------------------------------------------------------------------

    def print_report(self, report: dict) -> None:
        out = self.stdout
        out.write(self.style.SUCCESS("Demo data ready (the ledger balances)."))
        for username, password in report["users"]:
            role = "manager" if username in (MANAGER["username"], CLIENT_MANAGER["username"]) else "customer"
            shown = password if password else "(existing user: password unchanged, not shown)"
            out.write(f"  {role:<8} username: {username:<8} password: {shown}")
        for username, account_no, balance in report["customers"]:
            out.write(f"  account {account_no} of {username}: balance {balance} {settings.BANK_CURRENCY}")
        for line in report["loans"]:
            out.write(f"  {line}")
        out.write(f"  services: {Service.objects.count()} in the catalogue")
        if not settings.DEBUG:
            out.write(self.style.WARNING(
                "  DEBUG is off: do not leave demo users with known passwords on a public deployment."
            ))
