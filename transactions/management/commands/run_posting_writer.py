from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from transactions.writer import Writer, WriterRefused


class Command(BaseCommand):
    help = ("Post the customers' transfers this node's API workers hand over, several to a database "
            "transaction (transactions/writer.py). One per app node; SIGTERM stops it after its batch.")

    def add_arguments(self, parser):
        parser.add_argument("--socket", dest="socket_path", default=settings.POSTING_WRITER_SOCKET,
                            help="the unix socket to listen on (default POSTING_WRITER_SOCKET)")
        parser.add_argument("--batch", type=int, default=None,
                            help=f"transfers per database transaction at most (default POSTING_WRITER_BATCH, "
                                 f"{settings.POSTING_WRITER_BATCH})")

    def handle(self, *args, socket_path="", batch=None, **options):
        if not socket_path:
            raise CommandError("Say where to listen: --socket or POSTING_WRITER_SOCKET.")
        if batch is not None and batch < 1:
            raise CommandError("--batch must be at least 1.")
        try:
            Writer(socket_path, batch=batch).run()
        except WriterRefused as refusal:
            # Exit code 3: deploy/serve does not restart a writer that refused.
            raise CommandError(str(refusal), returncode=3) from refusal
