from django.core.management.base import BaseCommand

from usersessions.services import purge_expired


class Command(BaseCommand):
    help = ("End login sessions that idled out or reached their maximum age, and delete sessions "
            "that ended more than --older-than-days ago (default 30). Safe to run any time (e.g. hourly cron).")

    def add_arguments(self, parser):
        parser.add_argument("--older-than-days", type=int, default=30)

    def handle(self, *args, **options):
        ended, deleted = purge_expired(older_than_days=max(options["older_than_days"], 0))
        self.stdout.write(f"Ended {ended} expired session(s); deleted {deleted} old session(s).")
