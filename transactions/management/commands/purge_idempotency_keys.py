from django.core.management.base import BaseCommand

from bank_project.api.idempotency import purge_expired_keys


class Command(BaseCommand):
    help = "Delete Idempotency-Key records older than 24 hours (run it daily, e.g. from cron)."

    def handle(self, *args, **options):
        self.stdout.write(f"Deleted {purge_expired_keys()} expired idempotency key(s).")
