from django.core.management.base import BaseCommand

from payments import services


class Command(BaseCommand):
    help = (
        "Ask the gateway about every pending payment and every payment that expired within "
        "PAYMENT_RECONCILE_LOOKBACK_HOURS; credit what it confirms (verified, once), and expire "
        "pending payments older than PAYMENT_EXPIRY_MINUTES. Run it every few minutes (cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--lookback-hours", type=int, default=None,
                            help="Also re-check payments that expired this many hours back.")

    def handle(self, *args, lookback_hours=None, **options):
        counts = services.reconcile(lookback_hours=lookback_hours)
        self.stdout.write(", ".join(f"{name}: {count}" for name, count in counts.items()))
        if counts["errors"]:
            self.stderr.write(f"{counts['errors']} payment(s) could not be settled; see the log.")
