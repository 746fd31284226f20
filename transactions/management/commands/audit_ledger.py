from django.core.management.base import BaseCommand, CommandError

from transactions.audit import find_ledger_problems


class Command(BaseCommand):
    help = (
        "Verify the ledger: every transaction's entries sum to zero, every balance equals the sum "
        "of its entries, no customer balance is negative, all balances sum to zero. Exits 1 otherwise."
    )

    def handle(self, *args, **options):
        problems = find_ledger_problems()
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"The ledger is inconsistent: {len(problems)} problem(s) shown above.")
        self.stdout.write(self.style.SUCCESS("Ledger OK: every transaction balances and every balance matches its entries."))
