from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from backoffice.services import CloseOfBusinessBusy, InvalidBusinessDate, close_through


def business_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--date must be a date as YYYY-MM-DD, not {value!r}.") from exc


class Command(BaseCommand):
    help = (
        "Close of business for a business date (default: yesterday) and every missed date before it, in "
        "order: interest, installments, overdue and fees, reminders, days past due, housekeeping. "
        "Running a date again changes nothing. Exits 1 if a run failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", type=str, help="YYYY-MM-DD, a date that has ended (default: yesterday)")

    def handle(self, *args, **options):
        target = business_date(options["date"]) if options["date"] else timezone.localdate() - timedelta(days=1)
        try:
            runs = close_through(target=target, trigger="command")
        except (CloseOfBusinessBusy, InvalidBusinessDate) as exc:
            raise CommandError(str(exc)) from exc
        for run in runs:
            style = self.style.SUCCESS if run.status == run.Status.COMPLETED else self.style.WARNING
            self.stdout.write(style(f"{run.business_date}: {run.status} in "
                                    f"{(run.finished_at - run.started_at).total_seconds():.2f}s"))
            for error in run.errors:
                self.stderr.write(f"  {error}")
        if runs and runs[-1].status == runs[-1].Status.FAILED:
            raise CommandError(f"Close of business failed on {runs[-1].business_date}; fix the cause and run again.")
